package dev.opencode.tuner.cli.suggest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What reading an input saw besides blocked events: counted, never silently dropped. */
final class ReadCounters {
    static final int MALFORMED_SAMPLES = 5;

    /** A malformed line: where it came from and why it was not usable. */
    record MalformedSample(String location, String instance, String reason) {
    }

    long entries;
    long blocked;
    long spoofed;
    long malformed;
    long otherHosts;
    long otherInstances;
    /** Sum of journald's "Missed N kernel messages" reports: upstream loss. */
    long missedKernelMessages;
    /**
     * Kernel lines of this machine whose UID is not the instance user's: logged in another network namespace
     * (possible with nf_log_all_netns=1) or by a socket that is not the instance's. Never events.
     */
    long uidMismatch;
    private final List<MalformedSample> malformedSamples = new ArrayList<>();

    void malformed(String location, String instance, String reason) {
        malformed++;
        if (malformedSamples.size() < MALFORMED_SAMPLES) {
            malformedSamples.add(new MalformedSample(location, instance, reason));
        }
    }

    List<MalformedSample> malformedSamples() {
        return Collections.unmodifiableList(malformedSamples);
    }
}
