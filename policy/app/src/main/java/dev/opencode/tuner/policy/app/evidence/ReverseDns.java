package dev.opencode.tuner.policy.app.evidence;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Reverse DNS names of destination addresses, asked of one resolver with dnsjava's asynchronous client and kept in a
 * bounded cache. {@link #lookup} never blocks and never does I/O on the caller's thread: it answers from the cache,
 * or starts a lookup and answers {@link ReverseName.Status#PENDING}. Thread-safe.
 *
 * <p>A PTR name is a claim of whoever runs the reverse zone, not proof of who operates the address; pages show it as
 * evidence next to the counts, never as a reason by itself.
 */
public final class ReverseDns {
    private static final Pattern BRACKETED = Pattern.compile("\\[([^\\]]+)\\]:(\\d{1,5})");
    private static final Pattern PLAIN = Pattern.compile("([0-9.]+):(\\d{1,5})");

    private final SimpleResolver resolver;
    private final Cache<String, ReverseName> cache;
    private final Semaphore inFlight;
    private final Consumer<ReverseName.Status> outcomes;

    /**
     * @param server     the resolver; null for the first name server of the system configuration
     * @param outcomes   told the status of every finished lookup (metrics); called on dnsjava's threads
     */
    public ReverseDns(InetSocketAddress server, Duration timeout, int cacheSize, Duration ttl, Duration failureTtl,
                      int maxInFlight, Consumer<ReverseName.Status> outcomes) {
        this(server, timeout, cacheSize, ttl, failureTtl, maxInFlight, outcomes, Ticker.systemTicker());
    }

    /** With the cache's clock given: tests move time instead of sleeping. */
    ReverseDns(InetSocketAddress server, Duration timeout, int cacheSize, Duration ttl, Duration failureTtl,
               int maxInFlight, Consumer<ReverseName.Status> outcomes, Ticker ticker) {
        try {
            this.resolver = server == null ? new SimpleResolver() : new SimpleResolver(server);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("tuner.policy.evidence.dns.server: no name server is configured on this"
                    + " machine (/etc/resolv.conf); set the key to address:port, or disable reverse DNS with"
                    + " tuner.policy.evidence.dns.enabled=false", e);
        }
        resolver.setTimeout(timeout);
        this.inFlight = new Semaphore(maxInFlight);
        this.outcomes = outcomes;
        // A pending mark outlives the lookup's own timeout a little: a lost completion cannot pin it forever.
        long pendingNanos = timeout.plusSeconds(5).toNanos();
        this.cache = Caffeine.newBuilder()
                .maximumSize(cacheSize)
                .ticker(ticker)
                .executor(Runnable::run) // evictions happen on the writing thread: the bound holds at once
                .expireAfter(Expiry.<String, ReverseName>writing((key, value) -> switch (value.status()) {
                    case PENDING -> Duration.ofNanos(pendingNanos);
                    case FOUND, NXDOMAIN, NO_NAME -> ttl;
                    default -> failureTtl;
                }))
                .build();
    }

    /** The resolver asked. */
    public InetSocketAddress server() {
        return resolver.getAddress();
    }

    /** The cached answer for an address, or PENDING after starting a lookup (unless too many are in flight). */
    public ReverseName lookup(IPAddress address) {
        String key = address.withoutPrefixLength().toCanonicalString();
        ReverseName known = cache.getIfPresent(key);
        if (known != null) {
            return known;
        }
        if (cache.asMap().putIfAbsent(key, ReverseName.PENDING) != null) {
            return ReverseName.PENDING; // another caller started it just now
        }
        if (!inFlight.tryAcquire()) {
            cache.invalidate(key); // asked again on a later request
            return ReverseName.PENDING;
        }
        try {
            Name reverse = ReverseMap.fromAddress(address.withoutPrefixLength().toInetAddress());
            Message query = Message.newQuery(Record.newRecord(reverse, Type.PTR, DClass.IN));
            resolver.sendAsync(query).whenComplete((answer, failure) -> {
                inFlight.release();
                ReverseName result = failure == null ? read(answer) : failed(failure);
                // Counted before it becomes visible: whoever sees the answer also sees it counted.
                outcomes.accept(result.status());
                cache.put(key, result);
            });
        } catch (RuntimeException e) {
            inFlight.release();
            ReverseName result = failed(e);
            outcomes.accept(result.status());
            cache.put(key, result);
            return result;
        }
        return ReverseName.PENDING;
    }

    /** Cached entries (pending ones included); for tests and the health of the cache. */
    public long cachedEntries() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    static ReverseName read(Message answer) {
        int rcode = answer.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return ReverseName.of(ReverseName.Status.NXDOMAIN, null);
        }
        if (rcode != Rcode.NOERROR) {
            return ReverseName.of(ReverseName.Status.FAILED, Rcode.string(rcode));
        }
        List<Record> records = answer.getSection(Section.ANSWER);
        for (Record record : records) {
            if (record instanceof PTRRecord ptr) {
                // toString escapes anything unprintable as \DDD: the name is safe to show as text.
                return ReverseName.found(ptr.getTarget().toString(true));
            }
        }
        return ReverseName.of(ReverseName.Status.NO_NAME, null);
    }

    static ReverseName failed(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof TimeoutException || cause instanceof SocketTimeoutException) {
            return ReverseName.of(ReverseName.Status.TIMEOUT, null);
        }
        String message = cause.getMessage();
        return ReverseName.of(ReverseName.Status.FAILED, cause.getClass().getSimpleName()
                + (message == null ? "" : ": " + Untrusted.quote(message, 120)));
    }

    /**
     * Parses {@code tuner.policy.evidence.dns.server}: {@code 192.0.2.53:53}, {@code [2001:db8::53]:53}, or an
     * address alone (port 53). Only IP literals: resolving the resolver's name would itself block on DNS.
     */
    public static InetSocketAddress parseServer(String value) {
        String text = value.strip();
        String host;
        String port;
        Matcher bracketed = BRACKETED.matcher(text);
        Matcher plain = PLAIN.matcher(text);
        if (bracketed.matches()) {
            host = bracketed.group(1);
            port = bracketed.group(2);
        } else if (plain.matches()) {
            host = plain.group(1);
            port = plain.group(2);
        } else {
            host = text;
            port = "53";
        }
        IPAddress address;
        try {
            address = Cidrs.address(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tuner.policy.evidence.dns.server: " + Untrusted.quote(value)
                    + " is not address:port with an IP address (e.g. 127.0.0.1:53 or [::1]:53)");
        }
        int number = Integer.parseInt(port);
        if (number < 1 || number > 65535) {
            throw new IllegalArgumentException("tuner.policy.evidence.dns.server: port " + number
                    + " is not in 1..65535");
        }
        return new InetSocketAddress(address.toInetAddress(), number);
    }
}
