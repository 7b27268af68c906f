package dev.opencode.tuner.policy.app.evidence;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.opencode.tuner.blocked.Untrusted;
import dev.opencode.tuner.suggest.Cidrs;
import inet.ipaddr.IPAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
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
 * <p>The addresses are chosen by the agents whose blocked connections are reviewed, and each PTR query tells the
 * operator of the reverse zone the address asked for: lookups are bounded by {@link Limits#perMinute} (the excess
 * answers {@link ReverseName.Status#RATE_LIMITED} and is never sent). A PTR name is that operator's claim, so it is
 * forward-confirmed: the name's A (or AAAA) records must hold the address, or the answer is
 * {@link ReverseName.Status#FOUND_UNCONFIRMED}. A lookup is at most two queries, the PTR and the name's A or AAAA.
 * Pages show the name as evidence next to the counts, never as a reason by itself.
 */
public final class ReverseDns {
    private static final Pattern BRACKETED = Pattern.compile("\\[([^\\]]+)\\]:(\\d{1,5})");
    private static final Pattern PLAIN = Pattern.compile("([0-9.]+):(\\d{1,5})");

    /**
     * How far lookups go: {@code timeout} per query, {@code cacheSize} addresses kept, answers kept for {@code ttl}
     * and failures for {@code failureTtl}, {@code maxInFlight} lookups at once and {@code perMinute} in any minute.
     */
    public record Limits(Duration timeout, int cacheSize, Duration ttl, Duration failureTtl, int maxInFlight,
                         int perMinute) {
    }

    /** Why a lookup asked for was not made. */
    public enum Skip {
        /** {@link Limits#perMinute} lookups were made in the last minute: answered RATE_LIMITED, not cached. */
        RATE_LIMIT("rate-limit"),
        /** {@link Limits#maxInFlight} lookups were running: answered PENDING, asked again on a later request. */
        IN_FLIGHT("in-flight");

        private final String text;

        Skip(String text) {
            this.text = text;
        }

        /** The metric's {@code reason} tag. */
        public String text() {
            return text;
        }
    }

    private final SimpleResolver resolver;
    private final Cache<String, ReverseName> cache;
    private final Semaphore inFlight;
    private final LookupRateLimit rate;
    private final Consumer<ReverseName.Status> outcomes;
    private final Consumer<Skip> skipped;

    /**
     * @param server   the resolver; null for the first name server of the system configuration
     * @param outcomes told the status of every finished lookup (metrics); called on dnsjava's threads
     * @param skipped  told every lookup asked for and not made (metrics); called on the caller's thread
     */
    public ReverseDns(InetSocketAddress server, Limits limits, Consumer<ReverseName.Status> outcomes,
                      Consumer<Skip> skipped) {
        this(server, limits, outcomes, skipped, Ticker.systemTicker());
    }

    /** With the clock of the cache and the rate limit given: tests move time instead of sleeping. */
    ReverseDns(InetSocketAddress server, Limits limits, Consumer<ReverseName.Status> outcomes, Consumer<Skip> skipped,
               Ticker ticker) {
        try {
            this.resolver = server == null ? new SimpleResolver() : new SimpleResolver(server);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("tuner.policy.evidence.dns.server: no name server is configured on this"
                    + " machine (/etc/resolv.conf); set the key to address:port, or turn reverse DNS off with"
                    + " tuner.policy.evidence.dns.scope=off", e);
        }
        resolver.setTimeout(limits.timeout());
        this.inFlight = new Semaphore(limits.maxInFlight());
        this.rate = new LookupRateLimit(limits.perMinute(), ticker::read);
        this.outcomes = outcomes;
        this.skipped = skipped;
        // A pending mark outlives the lookup's own two queries a little: a lost completion cannot pin it forever.
        long pendingNanos = limits.timeout().multipliedBy(2).plusSeconds(5).toNanos();
        Duration ttl = limits.ttl();
        Duration failureTtl = limits.failureTtl();
        this.cache = Caffeine.newBuilder()
                .maximumSize(limits.cacheSize())
                .ticker(ticker)
                .executor(Runnable::run) // evictions happen on the writing thread: the bound holds at once
                .expireAfter(Expiry.<String, ReverseName>writing((key, value) -> value.status()
                        == ReverseName.Status.PENDING ? Duration.ofNanos(pendingNanos)
                        : value.isAnswer() ? ttl : failureTtl))
                .build();
    }

    /** The resolver asked. */
    public InetSocketAddress server() {
        return resolver.getAddress();
    }

    /** The cached answer for an address (PENDING while its lookup runs), or null: never starts a lookup. */
    public ReverseName cached(IPAddress address) {
        return cache.getIfPresent(key(address));
    }

    /**
     * The cached answer for an address, or PENDING after starting a lookup; PENDING without a lookup when too many
     * are in flight, RATE_LIMITED when the minute's lookups are used up (neither is cached: a later request asks).
     */
    public ReverseName lookup(IPAddress address) {
        String key = key(address);
        ReverseName known = cache.getIfPresent(key);
        if (known != null) {
            return known;
        }
        if (cache.asMap().putIfAbsent(key, ReverseName.PENDING) != null) {
            return ReverseName.PENDING; // another caller started it just now
        }
        if (!inFlight.tryAcquire()) {
            cache.invalidate(key); // asked again on a later request
            skipped.accept(Skip.IN_FLIGHT);
            return ReverseName.PENDING;
        }
        if (!rate.tryAcquire()) {
            inFlight.release();
            cache.invalidate(key);
            skipped.accept(Skip.RATE_LIMIT);
            return ReverseName.RATE_LIMITED;
        }
        InetAddress inet = address.withoutPrefixLength().toInetAddress();
        try {
            Message query = Message.newQuery(Record.newRecord(ReverseMap.fromAddress(inet), Type.PTR, DClass.IN));
            resolver.sendAsync(query).whenComplete((answer, failure) -> {
                if (failure != null) {
                    finish(key, failed(failure));
                    return;
                }
                Name name = ptrTarget(answer);
                if (name == null) {
                    finish(key, read(answer));
                } else {
                    confirm(key, inet, name);
                }
            });
        } catch (RuntimeException e) {
            ReverseName result = failed(e);
            finish(key, result);
            return result;
        }
        return ReverseName.PENDING;
    }

    /** The second query of a lookup: does {@code name} resolve to the address it was given for? */
    private void confirm(String key, InetAddress address, Name name) {
        // toString escapes anything unprintable as \DDD: the name is safe to show as text.
        String text = name.toString(true);
        int type = address instanceof Inet4Address ? Type.A : Type.AAAA;
        try {
            Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
            resolver.sendAsync(query).whenComplete((answer, failure) -> finish(key, failure == null
                    ? confirmed(text, name, address, answer)
                    : ReverseName.unconfirmed(text, "the " + Type.string(type) + " lookup of the name: "
                    + failed(failure).describe())));
        } catch (RuntimeException e) {
            finish(key, ReverseName.unconfirmed(text, "the " + Type.string(type) + " lookup of the name: "
                    + failed(e).describe()));
        }
    }

    private void finish(String key, ReverseName result) {
        inFlight.release();
        // Counted before it becomes visible: whoever sees the answer also sees it counted.
        outcomes.accept(result.status());
        cache.put(key, result);
    }

    private static String key(IPAddress address) {
        return address.withoutPrefixLength().toCanonicalString();
    }

    /** Cached entries (pending ones included); for tests and the health of the cache. */
    public long cachedEntries() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** The target of the first PTR record of a NOERROR answer, or null. */
    static Name ptrTarget(Message answer) {
        if (answer.getRcode() != Rcode.NOERROR) {
            return null;
        }
        for (Record record : answer.getSection(Section.ANSWER)) {
            if (record instanceof PTRRecord ptr) {
                return ptr.getTarget();
            }
        }
        return null;
    }

    /** A PTR answer that names nothing ({@link #ptrTarget} is null): NXDOMAIN, a failure, or no PTR record. */
    static ReverseName read(Message answer) {
        int rcode = answer.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return ReverseName.of(ReverseName.Status.NXDOMAIN, null);
        }
        if (rcode != Rcode.NOERROR) {
            return ReverseName.of(ReverseName.Status.FAILED, Rcode.string(rcode));
        }
        return ReverseName.of(ReverseName.Status.NO_NAME, null);
    }

    /**
     * FOUND when the answer to the name's A or AAAA query holds the address, following CNAMEs from the name;
     * FOUND_UNCONFIRMED otherwise. Records for other owners in the answer are not taken as the name's.
     */
    static ReverseName confirmed(String text, Name name, InetAddress address, Message answer) {
        int rcode = answer.getRcode();
        if (rcode != Rcode.NOERROR) {
            return ReverseName.unconfirmed(text, "the name's own lookup answered " + Rcode.string(rcode));
        }
        List<Record> records = answer.getSection(Section.ANSWER);
        Set<Name> chain = new HashSet<>();
        chain.add(name);
        // Resolvers list a CNAME chain in order, but nothing promises it: follow it until it stops growing.
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Record record : records) {
                if (record instanceof CNAMERecord cname && chain.contains(cname.getName())
                        && chain.add(cname.getTarget())) {
                    grew = true;
                }
            }
        }
        for (Record record : records) {
            InetAddress held = record instanceof ARecord a ? a.getAddress()
                    : record instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
            if (held != null && chain.contains(record.getName()) && held.equals(address)) {
                return ReverseName.found(text);
            }
        }
        return ReverseName.unconfirmed(text, "the name's addresses do not include this one");
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
