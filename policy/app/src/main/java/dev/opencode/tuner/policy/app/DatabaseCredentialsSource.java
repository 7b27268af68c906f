package dev.opencode.tuner.policy.app;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Reads {@code tuner.policy.database.credentials-file} (the stack's {@code credentials/policy-db.properties}: keys
 * {@code url}, {@code user}, {@code password}) into {@code tuner.policy.database.url}, {@code .user} and
 * {@code .password}, so that the password never has to appear on a command line or in the environment.
 *
 * <p>Its ordinal ({@value #ORDINAL}) is above {@code application.properties} (250) and below environment variables
 * (300) and system properties (400): the file overrides the defaults, explicit settings override the file.
 */
public final class DatabaseCredentialsSource implements ConfigSourceFactory {
    static final String KEY = "tuner.policy.database.credentials-file";
    static final int ORDINAL = 260;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue value = context.getValue(KEY);
        if (value == null || value.getValue() == null || value.getValue().isBlank()) {
            return List.of();
        }
        Path file = Path.of(value.getValue().strip());
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException(KEY + "=" + file + " cannot be read (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + "); it should hold url, user and password, as ./tuner up writes them",
                    e);
        }
        String url = properties.getProperty("url");
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(KEY + "=" + file + " holds no 'url'; it should hold url, user and"
                    + " password, as ./tuner up writes them");
        }
        Map<String, String> values = new HashMap<>();
        values.put("tuner.policy.database.url", url.strip());
        String user = properties.getProperty("user");
        if (user != null) {
            values.put("tuner.policy.database.user", user.strip());
        }
        String password = properties.getProperty("password");
        if (password != null) {
            values.put("tuner.policy.database.password", password.strip());
        }
        return List.of(new PropertiesConfigSource(values, KEY + " " + file, ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }
}
