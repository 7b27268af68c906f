package dev.opencode.tuner.policy.app;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResourceManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Wiring: health of the database, Kafka and the consumer; the metrics; the OpenAPI document; all three on the
 * management interface (127.0.0.1, a port of its own) and none on the API port.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ServiceTest {
    @Test
    void isReadyWithTheDatabaseKafkaAndTheConsumer() {
        JsonNode health = Api.parse(Api.management().get("/q/health").then().statusCode(200).extract().asString());
        List<String> up = new ArrayList<>();
        health.get("checks").forEach(c -> {
            if (c.get("status").asText().equals("UP")) {
                up.add(c.get("name").asText());
            }
        });
        assertThat(up).contains("consumer", "ingest", "kafka");
        assertThat(up).anyMatch(name -> name.toLowerCase().contains("database") || name.contains("datasource"));
    }

    @Test
    void exposesTheIngestMetricsWithoutPerAddressLabels() {
        String metrics = Api.metrics();
        for (String name : new String[] {"tuner_policy_records_consumed_total", "tuner_policy_events_applied_total",
            "tuner_policy_events_duplicates_total", "tuner_policy_events_expired_total",
            "tuner_policy_events_overflow_total", "tuner_policy_records_dead_lettered_total", "tuner_policy_database_errors_total",
            "tuner_policy_dead_letter_errors_total", "tuner_policy_commit_failures_total",
            "tuner_policy_seen_pruned_total", "tuner_policy_batch_duration_seconds_count",
            "tuner_policy_event_lag_seconds"}) {
            assertThat(metrics).contains(name);
        }
        for (String line : metrics.split("\n")) {
            if (line.startsWith("tuner_policy")) {
                // host and instance labels only through InstanceLabels (bounded); never an address
                assertThat(line).doesNotContainPattern("\\d+\\.\\d+\\.\\d+\\.\\d+");
            }
        }
    }

    @Test
    void publishesTheOpenApiDocumentWithTheSuggestionShape() {
        JsonNode doc = Api.parse(Api.management().accept("application/json").get("/q/openapi?format=json").then()
                .statusCode(200).extract().asString());
        assertThat(doc.get("paths").has("/api/v1/suggestions")).isTrue();
        assertThat(doc.get("paths").has("/api/v1/instances")).isTrue();
        JsonNode suggestion = doc.at("/components/schemas/Suggestion/properties");
        List<String> properties = new ArrayList<>();
        suggestion.fieldNames().forEachRemaining(properties::add);
        assertThat(properties).containsExactlyInAnyOrder("id", "cidr", "addresses", "opens", "ports", "protocols",
                "services", "events", "firstSeen", "lastSeen", "state", "stable", "acceptedCidr", "snoozedUntil",
                "supersededBy", "approvedBy", "earlierRejection", "kind", "removal");
        assertThat(doc.at("/components/schemas/Removal/properties").toString()).contains("unusedSince")
                .contains("removeAfter");
        assertThat(doc.get("paths").has("/api/v1/unused-entries")).isTrue();
        assertThat(doc.at("/components/securitySchemes").toString()).contains("basic");
    }

    @Test
    void servesMetricsHealthAndOpenApiOnlyOnTheLoopbackManagementPort() {
        URI management = URI.create(TestHTTPResourceManager.getManagementUri());
        assertThat(management.getHost()).isEqualTo("127.0.0.1");
        assertThat(management.getPort()).isNotEqualTo(RestAssured.port);
        // Bound to 127.0.0.1 itself, not to every address: another loopback address is refused.
        assertThatThrownBy(() -> new Socket("127.0.0.2", management.getPort()).close())
                .isInstanceOf(ConnectException.class);
        for (String path : List.of("/q/metrics", "/q/openapi", "/q/openapi?format=json", "/q/health",
                "/q/health/live", "/q/health/ready", "/q/swagger-ui")) {
            // Anonymous, as a scraper from the network would ask, and as the admin: the API port has none of them.
            assertThat(given().get(path).statusCode()).as("anonymous " + path + " on the API port").isEqualTo(404);
            assertThat(Api.asAdmin().get(path).statusCode()).as("admin " + path + " on the API port").isEqualTo(404);
        }
        assertThat(Api.management().get("/q/health/live").statusCode()).isEqualTo(200);
        assertThat(Api.management().get("/q/openapi").statusCode()).isEqualTo(200);
        // What the API port serves is unchanged: the API asks for an account, the UI's login page is public.
        given().get("/api/v1/instances").then().statusCode(401);
        given().get("/login").then().statusCode(200);
    }
}
