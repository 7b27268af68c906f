package dev.opencode.tuner.journal;

import java.util.Map;

/** Linux errno names for the values libsystemd returns, so errors read {@code EBADMSG}, not {@code -74}. */
final class Errno {
    static final int ENOENT = 2;
    static final int ENOMEM = 12;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "EPERM: operation not permitted"),
            Map.entry(2, "ENOENT: no such file, directory or field"),
            Map.entry(5, "EIO: input/output error"),
            Map.entry(7, "E2BIG: argument list too long"),
            Map.entry(9, "EBADF: bad file descriptor"),
            Map.entry(10, "ECHILD: journal handle used after fork()"),
            Map.entry(12, "ENOMEM: out of memory"),
            Map.entry(13, "EACCES: permission denied"),
            Map.entry(17, "EEXIST: file exists"),
            Map.entry(20, "ENOTDIR: not a directory"),
            Map.entry(21, "EISDIR: is a directory"),
            Map.entry(22, "EINVAL: invalid argument"),
            Map.entry(24, "EMFILE: too many open files"),
            Map.entry(28, "ENOSPC: no space left on device"),
            Map.entry(36, "ENAMETOOLONG: file name too long"),
            Map.entry(43, "EIDRM: identifier removed (journal file vacuumed)"),
            Map.entry(61, "ENODATA: no data"),
            Map.entry(74, "EBADMSG: bad message (corrupt or vacuumed journal file)"),
            Map.entry(75, "EOVERFLOW: value too large"),
            Map.entry(93, "EPROTONOSUPPORT: unsupported journal feature or compression"),
            Map.entry(95, "EOPNOTSUPP: operation not supported"),
            Map.entry(99, "EADDRNOTAVAIL: not positioned on an entry"),
            Map.entry(105, "ENOBUFS: no buffer space available"),
            Map.entry(116, "ESTALE: entry is not from the current boot"));

    private Errno() {
    }

    static String describe(int errno) {
        String name = NAMES.get(errno);
        return name != null ? name : "errno " + errno;
    }
}
