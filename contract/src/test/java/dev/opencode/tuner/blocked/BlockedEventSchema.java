package dev.opencode.tuner.blocked;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** The published blocked-event schema, loaded from the classpath and checked with an independent validator. */
final class BlockedEventSchema {
    private static final Schema SCHEMA = load();

    private BlockedEventSchema() {
    }

    private static Schema load() {
        // 'format' is only an annotation in draft 2020-12 unless asserted: the schema relies on date-time/ipv4/ipv6.
        SchemaRegistryConfig config = SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build();
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaRegistryConfig(config));
        try (InputStream in = BlockedEventJson.class.getResourceAsStream(BlockedEventJson.SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(BlockedEventJson.SCHEMA_RESOURCE + " is not on the classpath");
            }
            return registry.getSchema(in, InputFormat.JSON);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The schema violations of one JSON document; empty when it is valid. */
    static List<String> violations(String json) {
        List<Error> errors = SCHEMA.validate(json, InputFormat.JSON);
        return errors.stream().map(Error::toString).toList();
    }
}
