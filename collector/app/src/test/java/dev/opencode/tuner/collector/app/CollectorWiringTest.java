package dev.opencode.tuner.collector.app;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * Wiring only: the application starts the follower on a journal directory, exposes its metrics and reports Kafka as
 * not ready when no broker answers. Delivery against a real broker is tested in integration-tests/.
 */
@QuarkusTest
@QuarkusTestResource(FixtureJournal.class)
class CollectorWiringTest {
    @Test
    void journalIsLiveAndAnUnreachableBrokerIsNotReady() {
        given().get("/q/health/live").then().statusCode(200).body("checks[0].name", equalTo("journal"))
                .body("checks[0].status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(503).body(containsString("kafka"))
                .body(containsString("127.0.0.1:1"));
    }

    @Test
    void exposesTheCollectorMetricsWithoutPerAddressLabels() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : new String[] {"tuner_collector_entries_read_total", "tuner_collector_blocked_produced_total",
            "tuner_collector_spoofed_total", "tuner_collector_malformed_total", "tuner_collector_produce_errors_total",
            "tuner_collector_gap_missed_kernel_messages_total", "tuner_collector_gap_cursor_gone_total",
            "tuner_collector_journal_lag_seconds", "tuner_collector_in_flight"}) {
            org.assertj.core.api.Assertions.assertThat(metrics).contains(name);
        }
        org.assertj.core.api.Assertions.assertThat(metrics).doesNotContain("192.0.2.");
    }
}
