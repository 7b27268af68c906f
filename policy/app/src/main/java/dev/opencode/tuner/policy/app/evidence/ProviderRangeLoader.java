package dev.opencode.tuner.policy.app.evidence;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Loads the configured provider range files at start (a bad file stops the service, naming file and field) and again
 * whenever one changes. A file that has become bad on reload leaves the last good ranges in force and is reported in
 * the log and by {@code tuner.policy.evidence.range.reload.failures}.
 */
@ApplicationScoped
public class ProviderRangeLoader {
    private static final Logger LOG = Logger.getLogger(ProviderRangeLoader.class);

    /** One configured file and how to read it. */
    private record Source(String key, Path file, Reader reader) {
    }

    @FunctionalInterface
    private interface Reader {
        List<ProviderRanges.Parsed> read(String key, Path file) throws InvalidRangeFile;
    }

    /** What was read of one file, with the attributes that tell when it changed. */
    private record Loaded(Object modified, long size, List<ProviderRanges.Parsed> ranges) {
    }

    private final List<Source> sources = new ArrayList<>();
    private final Map<String, Loaded> loaded = new LinkedHashMap<>();
    private final Counter reloadFailures;
    private volatile ProviderRanges ranges = ProviderRanges.EMPTY;

    ProviderRangeLoader(EvidenceConfig config, MeterRegistry registry) {
        EvidenceConfig.Providers providers = config.providers();
        add("tuner.policy.evidence.providers.aws", providers.aws(), ProviderRangeFiles::readAws);
        add("tuner.policy.evidence.providers.google", providers.google(), ProviderRangeFiles::readGoogle);
        add("tuner.policy.evidence.providers.github", providers.github(), ProviderRangeFiles::readGitHub);
        this.reloadFailures = Counter.builder("tuner.policy.evidence.range.reload.failures")
                .description("Provider range files that could not be read again; the last good ranges stay")
                .register(registry);
    }

    private void add(String key, Optional<Path> file, Reader reader) {
        file.ifPresent(f -> sources.add(new Source(key, f, reader)));
    }

    void onStart(@Observes StartupEvent event) {
        try {
            reload();
        } catch (InvalidRangeFile e) {
            throw new IllegalStateException(e.getMessage() + "; fix or replace the file, or unset the key", e);
        }
    }

    @Scheduled(every = "${tuner.policy.evidence.providers.reload-interval:1m}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reloadIfChanged() {
        try {
            reload();
        } catch (InvalidRangeFile e) {
            reloadFailures.increment();
            LOG.errorf("provider ranges not reloaded, the last good ones stay in force: %s", e.getMessage());
        }
    }

    /** The ranges in force. */
    public ProviderRanges ranges() {
        return ranges;
    }

    /** Reads every changed file; all of them or none take effect. */
    synchronized void reload() throws InvalidRangeFile {
        Map<String, Loaded> next = new LinkedHashMap<>(loaded);
        boolean changed = false;
        for (Source source : sources) {
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(source.file(), BasicFileAttributes.class);
            } catch (IOException e) {
                throw new InvalidRangeFile(source.key(), source.file(), "cannot read it (" + e.getClass()
                        .getSimpleName() + ": " + e.getMessage() + ")", e);
            }
            Loaded previous = loaded.get(source.key());
            if (previous != null && previous.modified().equals(attributes.lastModifiedTime())
                    && previous.size() == attributes.size()) {
                continue;
            }
            List<ProviderRanges.Parsed> read = source.reader().read(source.key(), source.file());
            next.put(source.key(), new Loaded(attributes.lastModifiedTime(), attributes.size(), read));
            LOG.infof("read %d provider ranges from %s (%s)", read.size(), source.file(), source.key());
            changed = true;
        }
        if (changed) {
            List<ProviderRanges.Parsed> all = new ArrayList<>();
            next.values().forEach(l -> all.addAll(l.ranges()));
            ranges = ProviderRanges.of(all);
            loaded.clear();
            loaded.putAll(next);
        }
    }
}
