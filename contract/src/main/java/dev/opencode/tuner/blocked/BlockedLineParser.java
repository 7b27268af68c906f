package dev.opencode.tuner.blocked;

/**
 * Parses nftables {@code log} lines in the kernel's {@code nf_log_syslog} format whose prefix is
 * {@code opencode-<name>-blocked: }. Never throws: every input becomes a {@link BlockedLine}, a
 * {@link ParseResult.Malformed} (the prefix is there, the packet description is not usable) or
 * {@link ParseResult.Unrelated} (no prefix).
 *
 * <p>Format notes (see {@code shared/research}): the prefix is glued to {@code IN=}; IPv6 addresses are printed
 * uncompressed; ICMP errors embed the offending packet in {@code [ ... ]}, whose {@code SRC}/{@code DST} must not
 * overwrite the outer ones; UDP lines carry {@code LEN=} twice; {@code OPT (...)} blocks and flags (bare words) are
 * skipped. Stateless and thread-safe.
 *
 * <p>Forged fields: whoever can add a log rule (a namespace root with {@code nf_log_all_netns=1}) chooses the prefix,
 * up to 127 bytes printed verbatim before the kernel's {@code IN=%s OUT=%s }, and could write fields of its own there
 * (or open a {@code [} that hides the kernel's). So the line must start with {@code IN=<device> OUT=}, and
 * {@code " OUT="} must occur once in the whole line: then the kernel's {@code OUT=} is that one, and prefix text can
 * only have been glued into the {@code IN=} value, which must be a device name. A top-level field the parser reads
 * that occurs twice makes the line malformed too; the keys the kernel prints twice ({@code LEN}, {@code ID}) are not
 * read, and embedded packets ({@code [...]}) are not top level.
 */
public final class BlockedLineParser {
    public static final String PREFIX_START = "opencode-";
    public static final String PREFIX_END = "-blocked:";

    private static final int MAX_INSTANCE_ECHO = 40;
    /** IFNAMSIZ - 1: the longest network device name the kernel accepts. */
    private static final int MAX_DEVICE_NAME = 15;
    private static final String OUT_TOKEN = " OUT=";
    private static final byte[] PREFIX_START_BYTES = PREFIX_START.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] PREFIX_END_BYTES = PREFIX_END.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * A cheap test on raw message bytes, before any decoding: does it start with {@code opencode-}? Journal readers
     * use it to skip the other kernel messages without building a String.
     */
    public static boolean mayBeBlocked(byte[] message) {
        return startsWith(message, PREFIX_START_BYTES);
    }

    /** Whether raw message bytes carry the whole prefix shape: {@code opencode-...-blocked:}. */
    public static boolean hasPrefix(byte[] message) {
        return mayBeBlocked(message) && indexOf(message, PREFIX_END_BYTES) > 0;
    }

    /** Whether {@code value} starts with {@code prefix}. */
    public static boolean startsWith(byte[] value, byte[] prefix) {
        if (value.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (value[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] value, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= value.length; i++) {
            for (int k = 0; k < part.length; k++) {
                if (value[i + k] != part[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Parses one log message (the text starting at the prefix). */
    public ParseResult parse(String line) {
        if (line == null || !line.startsWith(PREFIX_START)) {
            return ParseResult.Unrelated.INSTANCE;
        }
        int end = line.indexOf(PREFIX_END, PREFIX_START.length());
        if (end < 0) {
            return ParseResult.Unrelated.INSTANCE;
        }
        String instance = line.substring(PREFIX_START.length(), end);
        if (!InstanceName.isValid(instance)) {
            return ParseResult.malformed(null, "instance name " + Untrusted.quote(instance, MAX_INSTANCE_ECHO)
                    + " in the prefix is not valid (" + InstanceName.RULE + ")");
        }
        return new Fields(line, instance).parse(end + PREFIX_END.length());
    }

    /** One parse: the fields found so far. */
    private static final class Fields {
        private final String line;
        private final String instance;
        private String in;
        private String out;
        private String src;
        private String dst;
        private String proto;
        private String mac;
        private Integer spt;
        private Integer dpt;
        private Long uid;
        private Long gid;
        private Integer icmpType;
        private Integer icmpCode;
        private String error;

        Fields(String line, String instance) {
            this.line = line;
            this.instance = instance;
        }

        ParseResult parse(int start) {
            final int n = line.length();
            int pos = start;
            while (pos < n && line.charAt(pos) == ' ') {
                pos++;
            }
            if (!line.startsWith("IN=", pos)) {
                return ParseResult.malformed(instance, "expected 'IN=' after the prefix, found "
                        + Untrusted.quote(line.substring(pos, Math.min(n, pos + 20))));
            }
            String envelopeError = envelope(pos);
            if (envelopeError != null) {
                return ParseResult.malformed(instance, envelopeError);
            }
            while (pos < n && error == null) {
                char c = line.charAt(pos);
                if (c == ' ') {
                    pos++;
                } else if (c == '[') {
                    pos = skipGroup(pos, '[', ']');
                } else if (c == '(') {
                    pos = skipGroup(pos, '(', ')');
                } else {
                    int tokenEnd = line.indexOf(' ', pos);
                    if (tokenEnd < 0) {
                        tokenEnd = n;
                    }
                    int eq = line.indexOf('=', pos, tokenEnd); // bounded, or long lines parse in quadratic time
                    if (eq > pos && eq < tokenEnd) {
                        field(pos, eq, tokenEnd);
                    }
                    pos = tokenEnd;
                }
            }
            if (error != null) {
                return ParseResult.malformed(instance, error);
            }
            if (dst == null) {
                return ParseResult.malformed(instance, "no DST= field");
            }
            if (src == null) {
                return ParseResult.malformed(instance, "no SRC= field");
            }
            int family = dst.indexOf(':') >= 0 ? 6 : 4;
            int srcFamily = src.indexOf(':') >= 0 ? 6 : 4;
            if (family != srcFamily) {
                return ParseResult.malformed(instance, "SRC=" + src + " and DST=" + dst + " are of different families");
            }
            return new BlockedLine(instance, family, proto, src, dst, spt, dpt, uid, gid,
                    out == null ? "" : out, in == null ? "" : in, mac, icmpType, icmpCode);
        }

        /**
         * Checks the kernel's envelope {@code IN=<device> OUT=} at {@code pos}, and that no other {@code OUT=} token
         * exists; returns why not, or null.
         */
        private String envelope(int pos) {
            int out = line.indexOf(OUT_TOKEN, pos);
            int in = pos + "IN=".length();
            if (out < 0) {
                return "no 'OUT=' after 'IN=': not a kernel line";
            }
            if (line.indexOf(OUT_TOKEN, out + 1) >= 0) {
                return "'OUT=' appears twice: text in the log prefix imitates the kernel's fields";
            }
            String device = line.substring(in, out);
            if (device.length() > MAX_DEVICE_NAME || device.indexOf(' ') >= 0 || device.indexOf('/') >= 0
                    || device.indexOf(':') >= 0) {
                return "IN=" + Untrusted.quote(device, 40) + " is not a network device name (at most "
                        + MAX_DEVICE_NAME + " characters, no space, '/' or ':'): text in the log prefix imitates"
                        + " the kernel's fields";
            }
            return null;
        }

        /** Skips a bracketed group (embedded packet or options), nesting included; returns the index after it. */
        private int skipGroup(int pos, char open, char close) {
            int depth = 0;
            final int n = line.length();
            for (int i = pos; i < n; i++) {
                char c = line.charAt(i);
                if (c == open) {
                    depth++;
                } else if (c == close && --depth == 0) {
                    return i + 1;
                }
            }
            return n;
        }

        private void field(int keyStart, int eq, int end) {
            int keyLength = eq - keyStart;
            int v = eq + 1;
            switch (keyLength) {
                case 2 -> {
                    if (is(keyStart, "IN") && once("IN", in)) {
                        in = line.substring(v, end);
                    }
                }
                case 3 -> {
                    char k0 = line.charAt(keyStart);
                    if (k0 == 'S' && is(keyStart, "SRC")) {
                        if (once("SRC", src)) {
                            src = address("SRC", v, end);
                        }
                    } else if (k0 == 'D' && is(keyStart, "DST")) {
                        if (once("DST", dst)) {
                            dst = address("DST", v, end);
                        }
                    } else if (k0 == 'S' && is(keyStart, "SPT")) {
                        if (once("SPT", spt)) {
                            spt = (int) number("SPT", v, end, 65535);
                        }
                    } else if (k0 == 'D' && is(keyStart, "DPT")) {
                        if (once("DPT", dpt)) {
                            dpt = (int) number("DPT", v, end, 65535);
                        }
                    } else if (k0 == 'O' && is(keyStart, "OUT")) {
                        if (once("OUT", out)) {
                            out = line.substring(v, end);
                        }
                    } else if (k0 == 'U' && is(keyStart, "UID")) {
                        if (once("UID", uid)) {
                            uid = number("UID", v, end, 0xffff_ffffL);
                        }
                    } else if (k0 == 'G' && is(keyStart, "GID")) {
                        if (once("GID", gid)) {
                            gid = number("GID", v, end, 0xffff_ffffL);
                        }
                    } else if (k0 == 'M' && is(keyStart, "MAC")) {
                        if (once("MAC", mac)) {
                            mac = line.substring(v, end);
                        }
                    }
                }
                case 4 -> {
                    if (is(keyStart, "TYPE")) {
                        if (once("TYPE", icmpType)) {
                            icmpType = (int) number("TYPE", v, end, 255);
                        }
                    } else if (is(keyStart, "CODE")) {
                        if (once("CODE", icmpCode)) {
                            icmpCode = (int) number("CODE", v, end, 255);
                        }
                    }
                }
                case 5 -> {
                    if (is(keyStart, "PROTO") && once("PROTO", proto)) {
                        proto = protocol(v, end);
                    }
                }
                default -> {
                    // LEN, TOS, TTL, ID, WINDOW, ...: not needed for allowlists.
                }
            }
        }

        /** Whether a field not yet seen may be read; a second top-level occurrence sets the error instead. */
        private boolean once(String key, Object seen) {
            if (seen != null) {
                error = key + "= appears twice outside an embedded packet: text in the log prefix imitates the"
                        + " kernel's fields";
                return false;
            }
            return true;
        }

        private boolean is(int keyStart, String key) {
            return line.regionMatches(keyStart, key, 0, key.length());
        }

        private String protocol(int from, int to) {
            if (from == to) {
                error = "PROTO= is empty";
                return null;
            }
            return switch (line.substring(from, to)) {
                case "TCP" -> "tcp";
                case "UDP" -> "udp";
                case "UDPLITE" -> "udplite";
                case "ICMP" -> "icmp";
                case "ICMPv6" -> "icmpv6";
                case "AH" -> "ah";
                case "ESP" -> "esp";
                case "SCTP" -> "sctp";
                default -> {
                    long number = FieldValues.digits(line, from, to);
                    if (number < 0 || number > 255) {
                        error = "PROTO=" + Untrusted.quote(line.substring(from, to)) + " is not a protocol";
                        yield null;
                    }
                    yield Long.toString(number);
                }
            };
        }

        private long number(String key, int from, int to, long max) {
            long value = FieldValues.digits(line, from, to);
            if (value < 0 || value > max) {
                error = key + "=" + Untrusted.quote(line.substring(from, to)) + " is not a number in 0.." + max;
                return 0;
            }
            return value;
        }

        private String address(String key, int from, int to) {
            String canonical = FieldValues.ipv4(line, from, to);
            if (canonical == null) {
                canonical = FieldValues.ipv6(line, from, to);
            }
            if (canonical == null) {
                error = key + "=" + Untrusted.quote(line.substring(from, to)) + " is not an IP address";
            }
            return canonical;
        }
    }
}
