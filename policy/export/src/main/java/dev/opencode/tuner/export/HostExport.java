package dev.opencode.tuner.export;

import java.util.List;

/**
 * Everything in force for one host by decision: the input of one export.
 *
 * @param entries the entries of the generated file
 * @param removals accepted removals: announced (their entry is among {@code entries}) or carried out now (it is not)
 * @param unusedHandWritten hand-written entries the host reports unused, listed in the pull request for manual removal
 */
public record HostExport(String host, List<AcceptedEntry> entries, List<RemovalNotice> removals,
        List<UnusedHandWrittenEntry> unusedHandWritten) {
    public HostExport {
        HostNames.require(host);
        entries = List.copyOf(entries);
        removals = List.copyOf(removals);
        unusedHandWritten = List.copyOf(unusedHandWritten);
    }

    public HostExport(String host, List<AcceptedEntry> entries) {
        this(host, entries, List.of(), List.of());
    }

    /** The announced (not yet carried out) removal of an entry, or null. */
    public RemovalNotice announced(String instance, String cidr) {
        for (RemovalNotice n : removals) {
            if (!n.removed() && n.instance().equals(instance) && n.cidr().equals(cidr)) {
                return n;
            }
        }
        return null;
    }
}
