package dev.opencode.tuner.journal;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.HashMap;
import java.util.Map;

/**
 * The uids of the local instance users ({@code opencode-<name>}, as the NixOS module creates them), through libc's
 * {@code getpwnam} so NSS sources count too. Used to check the {@code UID=} of kernel lines read from this machine's
 * journal: with {@code net.netfilter.nf_log_all_netns=1}, a user who can create a network namespace can make the
 * kernel log any line with any prefix, but not with the instance user's uid as the socket owner.
 */
public final class InstanceUsers {
    private static final boolean LOADED;

    static {
        boolean ok;
        try {
            Native.register(InstanceUsers.class, "c");
            ok = true;
        } catch (Throwable t) { // no libc through JNA: no user can be resolved, every line fails the check
            ok = false;
        }
        LOADED = ok;
    }

    // struct passwd *getpwnam(const char *name);  -- glibc x86-64/aarch64: pw_name, pw_passwd, then uid_t pw_uid
    private static native Pointer getpwnam(String name);

    private static final long PW_UID_OFFSET = 2L * Native.POINTER_SIZE;

    private final Map<String, Long> cache = new HashMap<>();

    /** The uid of user {@code opencode-<instance>} on this machine, or null when there is no such user. */
    public synchronized Long uidOf(String instance) {
        return cache.computeIfAbsent(instance, i -> {
            if (!LOADED) {
                return null;
            }
            Pointer passwd = getpwnam("opencode-" + i);
            return passwd == null ? null : Integer.toUnsignedLong(passwd.getInt(PW_UID_OFFSET));
        });
    }
}
