package dev.opencode.tuner.policy.app.web;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.blocked.BlockedEvent;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.Eventually;
import dev.opencode.tuner.policy.app.TestEvents;
import dev.opencode.tuner.policy.app.evidence.EvidenceStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which suggestions' addresses reverse DNS looks up in the default scope ({@code suggestions}), and a reviewer's
 * request for the others, through the API and the instance page's form; queries counted in dnsmasq's query log.
 */
@QuarkusTest
@WithTestResource(value = EvidenceStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ReverseDnsRequestTest {
    private static final String HOST = "rdns-host";
    /** Addresses no other test uses: any query for them comes from this class. */
    private static final String SHOWN = "198.51.100.61";
    private static final String DECIDED = "192.0.2.61";
    private static final String ASKED_FROM_PAGE = "192.0.2.161";

    private static boolean produced;

    @BeforeEach
    void produceEventsOnce() {
        if (produced) {
            return;
        }
        produced = true;
        List<BlockedEvent> events = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // three /32s in three /16s: nothing folds
            events.add(TestEvents.tcp(HOST, "web", SHOWN, 443, i));
            events.add(TestEvents.tcp(HOST, "web", DECIDED, 443, 10 + i));
            events.add(TestEvents.tcp(HOST, "web", ASKED_FROM_PAGE, 443, 20 + i));
        }
        try (TestEvents producer = new TestEvents()) {
            producer.send(events);
        }
        Eventually.await("the suggestions of " + HOST + " are served", Duration.ofSeconds(60),
                () -> Api.suggestions(HOST).get("instances").size() == 1
                        && Api.suggestions(HOST).get("instances").get(0).get("suggestions").size() == 3);
    }

    private static JsonNode firstAddress(String id) {
        return Api.get("/api/v1/suggestions/" + id).get("suggestion").get("addresses").get(0);
    }

    private static long queriesFor(String address) {
        return EvidenceStack.ptrQueries().stream().filter(EvidenceStack.reverseName(address)::equals).count();
    }

    private static Response requestLookup(String id, String body) {
        return Api.asAdmin().contentType(ContentType.JSON).body(body)
                .post("/api/v1/suggestions/" + id + "/reverse-dns");
    }

    @Test
    void aDecidedSuggestionsAddressIsNotLookedUpUntilAReviewerAsks() {
        String shown = WebTest.suggestionId(HOST, SHOWN + "/32");
        String decided = WebTest.suggestionId(HOST, DECIDED + "/32");
        Api.asAdmin().contentType(ContentType.JSON).body("{\"comment\": \"not needed\"}")
                .post("/api/v1/suggestions/" + decided + "/reject").then().statusCode(200);

        JsonNode before = firstAddress(decided);
        // The pending suggestion's detail looks its address up; its query is logged after any the decided one's
        // detail could have sent.
        Eventually.await("the pending suggestion's address is looked up", Duration.ofSeconds(20),
                () -> firstAddress(shown).get("reverseDnsStatus").asText().equals("nxdomain"));
        Eventually.await("dnsmasq logged the query", Duration.ofSeconds(10), () -> queriesFor(SHOWN) == 1);

        assertThat(before.get("reverseDnsStatus").asText()).isEqualTo("not-looked-up");
        assertThat(before.get("reverseDns").isNull()).isTrue();
        assertThat(queriesFor(DECIDED)).isZero();

        JsonNode answer = Api.parse(requestLookup(decided, "{\"addresses\": [\"" + DECIDED + "\"]}").then()
                .statusCode(200).extract().asString());
        assertThat(answer.get("id").asText()).isEqualTo(decided);
        assertThat(answer.get("addresses").get(0).get("reverseDnsStatus").asText()).isIn("pending", "nxdomain");
        Eventually.await("the requested name is in the detail", Duration.ofSeconds(20),
                () -> firstAddress(decided).get("reverseDnsStatus").asText().equals("nxdomain"));
        Eventually.await("dnsmasq logged the requested query", Duration.ofSeconds(10),
                () -> queriesFor(DECIDED) == 1);
        // Asked once: the answer is cached, another request or detail sends nothing.
        requestLookup(decided, "{}").then().statusCode(200);
        assertThat(firstAddress(decided).get("reverseDnsStatus").asText()).isEqualTo("nxdomain");
        assertThat(queriesFor(DECIDED)).isEqualTo(1);
    }

    @Test
    void aRequestNamesOnlyObservedAddressesOfTheSuggestion() {
        String id = WebTest.suggestionId(HOST, SHOWN + "/32");

        requestLookup(id, "{\"addresses\": [\"192.0.2.62\"]}").then().statusCode(422);
        requestLookup(id, "{\"addresses\": [\"not an address\"]}").then().statusCode(400);
        requestLookup("00000000000000000000000000000000", "{}").then().statusCode(404);
        assertThat(queriesFor("192.0.2.62")).isZero();
    }

    @Test
    void theInstancePageFormAsksForTheAddressesItCarries() {
        // Decided, so that no page view looks its address up: only the form's request can.
        String id = WebTest.suggestionId(HOST, ASKED_FROM_PAGE + "/32");
        Api.asAdmin().contentType(ContentType.JSON).body("{\"comment\": \"not needed\"}")
                .post("/api/v1/suggestions/" + id + "/reject").then().statusCode(200);
        String session = WebTest.login();
        String path = "/ui/instances/" + HOST + "/web";
        WebTest.Csrf csrf = WebTest.csrf(session, path);
        assertThat(queriesFor(ASKED_FROM_PAGE)).isZero();

        Response asked = post(session, csrf, id, ASKED_FROM_PAGE);
        Response refused = post(session, csrf, id, "192.0.2.62");

        assertThat(asked.statusCode()).isEqualTo(303);
        assertThat(asked.header("Location")).endsWith(path + "?done=lookup&page=1#s-" + id);
        assertThat(given().cookie("tuner-session", session).get(asked.header("Location")).asString())
                .contains("Reverse DNS lookups started");
        Eventually.await("the address asked for is looked up", Duration.ofSeconds(20),
                () -> queriesFor(ASKED_FROM_PAGE) == 1);
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(refused.asString()).contains("is not an observed address of suggestion " + id);
        assertThat(queriesFor("192.0.2.62")).isZero();
        // Without the CSRF token nothing is asked.
        given().redirects().follow(false).cookie("tuner-session", session).contentType(ContentType.URLENC)
                .formParam("host", HOST).formParam("instance", "web").formParam("address", "192.0.2.63")
                .post("/ui/suggestions/" + id + "/reverse-dns").then().statusCode(400);
    }

    private static Response post(String session, WebTest.Csrf csrf, String id, String address) {
        return given().redirects().follow(false).cookie("tuner-session", session).cookie("tuner-csrf", csrf.cookie())
                .contentType(ContentType.URLENC).formParam("csrf-token", csrf.token()).formParam("host", HOST)
                .formParam("instance", "web").formParam("page", "1").formParam("address", address)
                .post("/ui/suggestions/" + id + "/reverse-dns");
    }
}
