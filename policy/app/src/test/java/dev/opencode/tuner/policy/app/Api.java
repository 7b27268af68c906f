package dev.opencode.tuner.policy.app;

import static io.restassured.RestAssured.given;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import dev.opencode.tuner.suggest.Aggregator;
import dev.opencode.tuner.suggest.Allowlist;
import dev.opencode.tuner.suggest.CidrSuggester;
import dev.opencode.tuner.suggest.InstanceAggregate;
import dev.opencode.tuner.suggest.SuggestionPolicy;
import io.quarkus.test.common.http.TestHTTPResourceManager;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The service's API as the admin created at first start sees it, and what the core engine expects it to say. */
public final class Api {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Api() {
    }

    public static String adminPassword() {
        try {
            return Files.readString(PolicyStack.policyState().resolve("initial-admin-password")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("the service did not write its initial admin password", e);
        }
    }

    public static RequestSpecification asAdmin() {
        return given().auth().preemptive().basic("admin", adminPassword());
    }

    public static JsonNode get(String path) {
        String body = asAdmin().get(path).then().statusCode(200).extract().asString();
        return parse(body);
    }

    /** Fields the review adds to each suggestion, after those of {@code tuner suggest --format json}. */
    public static final List<String> REVIEW_FIELDS = List.of("state", "stable", "acceptedCidr", "snoozedUntil",
            "supersededBy", "approvedBy", "earlierRejection", "kind", "removal");

    /**
     * The open suggestions of one host (pending, held back by the stabilisation rule or not), as the API serves
     * them, without the review's fields: what the core engine alone suggests while nothing has been decided.
     */
    public static JsonNode suggestions(String host) {
        JsonNode answer = get("/api/v1/suggestions?state=pending,held&host=" + host);
        for (JsonNode instance : answer.get("instances")) {
            for (JsonNode suggestion : instance.get("suggestions")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) suggestion).remove(REVIEW_FIELDS);
            }
        }
        return answer;
    }

    /** Events counted for the host, summed over its instances (0 when none yet). */
    public static long events(String host) {
        long total = 0;
        for (JsonNode i : get("/api/v1/instances").get("instances")) {
            if (i.get("host").asText().equals(host)) {
                total += i.get("events").asLong();
            }
        }
        return total;
    }

    /** What the core engine suggests for the host from these events (each id once), in the API's JSON. */
    public static JsonNode expected(String host, Collection<BlockedEvent> events) {
        Aggregator aggregator = new Aggregator();
        events.forEach(aggregator::add);
        CidrSuggester suggester = new CidrSuggester(SuggestionPolicy.defaults());
        List<SuggestionViews.InstanceView> views = new ArrayList<>();
        for (InstanceAggregate aggregate : aggregator.instances()) {
            if (aggregate.host().equals(host)) {
                views.add(SuggestionViews.of(suggester.suggest(aggregate, Allowlist.empty())));
            }
        }
        try {
            return parse(JSON.writeValueAsString(new SuggestionViews.SuggestionList(views)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Distinct event ids among the events of the host. */
    public static long distinctEvents(String host, Collection<BlockedEvent> events) {
        return events.stream().filter(e -> e.host().equals(host)).map(BlockedEvent::id).distinct().count();
    }

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + json, e);
        }
    }

    /**
     * A request to the management interface (health, metrics, OpenAPI): its own port on 127.0.0.1, chosen at random
     * under test ({@code %test.quarkus.management.test-port=0}), never the API's.
     */
    public static RequestSpecification management() {
        URI uri = URI.create(TestHTTPResourceManager.getManagementUri());
        return given().baseUri(uri.getScheme() + "://" + uri.getHost()).port(uri.getPort());
    }

    /** The Prometheus text of {@code /q/metrics} on the management interface. */
    public static String metrics() {
        return management().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** The value of a Prometheus counter or gauge without labels (0 when absent). */
    public static double metric(String name) {
        String text = metrics();
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
