package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Pattern;

/** Suggestion ids: 32 hex digits in the API (as before the review existed), a {@code uuid} in PostgreSQL. */
public final class ReviewIds {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern DASHED = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private ReviewIds() {
    }

    public static UUID of(String host, String instance, String cidr) {
        return parse(SuggestionViews.id(host, instance, cidr));
    }

    /** Parses 32 hex digits or the dashed uuid form (either case); null when it is neither. */
    public static UUID parse(String text) {
        if (text == null) {
            return null;
        }
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        if (DASHED.matcher(lower).matches()) {
            return UUID.fromString(lower);
        }
        if (!HEX.matcher(lower).matches()) {
            return null;
        }
        byte[] bytes = HexFormat.of().parseHex(lower);
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (bytes[i] & 0xff);
            lsb = (lsb << 8) | (bytes[i + 8] & 0xff);
        }
        return new UUID(msb, lsb);
    }

    public static String hex(UUID id) {
        return id.toString().replace("-", "");
    }
}
