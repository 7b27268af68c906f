package dev.opencode.tuner.policy.app;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Wiring: health of the database, Kafka and the consumer; the metrics; the OpenAPI document. */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ServiceTest {
    @Test
    void isReadyWithTheDatabaseKafkaAndTheConsumer() {
        JsonNode health = Api.parse(given().get("/q/health").then().statusCode(200).extract().asString());
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
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
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
        JsonNode doc = Api.parse(given().accept("application/json").get("/q/openapi?format=json").then()
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
}
