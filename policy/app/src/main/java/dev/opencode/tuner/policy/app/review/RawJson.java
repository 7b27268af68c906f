package dev.opencode.tuner.policy.app.review;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes a string that holds JSON already (the stored evidence) as it is, like {@code @JsonRawValue}, but copied as
 * UTF-8 bytes in one go: {@code @JsonRawValue} encodes it char by char, which was a fifth of the CPU time of
 * {@code GET /api/v1/suggestions} for an instance with 1,000 addresses of evidence (about 210 KB).
 */
public final class RawJson extends StdSerializer<String> {
    public RawJson() {
        super(String.class);
    }

    @Override
    public void serialize(String json, JsonGenerator generator, SerializerProvider provider) throws IOException {
        generator.writeRawValue(new Utf8(json));
    }

    /** The text with its UTF-8 bytes made at once (String's own encoder), which the generator copies. */
    private static final class Utf8 extends SerializedString {
        Utf8(String json) {
            super(json);
            _unquotedUTF8Ref = json.getBytes(StandardCharsets.UTF_8);
        }
    }
}
