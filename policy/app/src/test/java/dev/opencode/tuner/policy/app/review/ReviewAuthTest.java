package dev.opencode.tuner.policy.app.review;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every API operation, enumerated from the service's own OpenAPI document, answers 401 without credentials and 403
 * to an account below its role. The table of required roles must name every operation the service has: a new
 * endpoint without a row here fails the test instead of going untested.
 */
@QuarkusTest
@WithTestResource(value = PolicyStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ReviewAuthTest {
    /** METHOD path → the least role that may call it. */
    private static final Map<String, String> REQUIRED = new TreeMap<>(Map.ofEntries(
            Map.entry("GET /api/v1/instances", "viewer"),
            Map.entry("GET /api/v1/suggestions", "viewer"),
            Map.entry("GET /api/v1/suggestions/{id}", "viewer"),
            Map.entry("POST /api/v1/suggestions/{id}/accept", "reviewer"),
            Map.entry("POST /api/v1/suggestions/{id}/reject", "reviewer"),
            Map.entry("POST /api/v1/suggestions/{id}/snooze", "reviewer"),
            Map.entry("POST /api/v1/suggestions/{id}/reverse-dns", "reviewer"),
            Map.entry("POST /api/v1/instances/{host}/{instance}/bulk", "reviewer"),
            Map.entry("GET /api/v1/decisions", "viewer"),
            Map.entry("GET /api/v1/allowlists/{host}", "viewer"),
            Map.entry("GET /api/v1/exports", "viewer"),
            Map.entry("GET /api/v1/host-states", "viewer"),
            Map.entry("GET /api/v1/unused-entries", "viewer"),
            Map.entry("GET /api/v1/exports/entries", "reviewer"),
            Map.entry("POST /api/v1/exports", "reviewer"),
            Map.entry("GET /api/v1/accounts", "admin"),
            Map.entry("POST /api/v1/accounts", "admin"),
            Map.entry("PUT /api/v1/accounts/{name}/password", "admin"),
            Map.entry("DELETE /api/v1/accounts/{name}", "admin")));

    /** An account below each role: who must get 403. */
    private static final Map<String, List<String>> BELOW = Map.of(
            "viewer", List.of(),
            "reviewer", List.of("carol"),
            "admin", List.of("carol", "alice"));

    private static List<String[]> operations() {
        JsonNode doc = Api.parse(Api.management().accept("application/json").get("/q/openapi?format=json").then()
                .statusCode(200).extract().asString());
        List<String[]> operations = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            if (!path.getKey().startsWith("/api/")) {
                continue;
            }
            path.getValue().fieldNames().forEachRemaining(method -> {
                if (List.of("get", "post", "put", "delete", "patch").contains(method)) {
                    operations.add(new String[] {method.toUpperCase(), path.getKey()});
                }
            });
        }
        return operations;
    }

    private static String concrete(String path) {
        return path.replace("{id}", "0123456789abcdef0123456789abcdef").replace("{host}", "auth-host")
                .replace("{instance}", "web").replace("{name}", "nobody-here");
    }

    private static int call(RequestSpecification request, String method, String path) {
        RequestSpecification r = request.contentType("application/json").body("{}");
        return switch (method) {
            case "GET" -> r.get(concrete(path)).statusCode();
            case "POST" -> r.post(concrete(path)).statusCode();
            case "PUT" -> r.put(concrete(path)).statusCode();
            case "DELETE" -> r.delete(concrete(path)).statusCode();
            default -> throw new AssertionError(method);
        };
    }

    @Test
    void theTableNamesEveryOperationOfTheApi() {
        TreeSet<String> found = new TreeSet<>();
        operations().forEach(o -> found.add(o[0] + " " + o[1]));
        assertThat(found).containsExactlyElementsOf(REQUIRED.keySet());
    }

    @Test
    void everyOperationAnswers401WithoutCredentialsAnd403BelowItsRole() {
        Reviewers.ensure();
        for (String[] o : operations()) {
            String key = o[0] + " " + o[1];
            String role = REQUIRED.get(key);
            assertThat(role).as("required role of " + key).isNotNull();
            assertThat(call(given(), o[0], o[1])).as(key + " without credentials").isEqualTo(401);
            assertThat(call(given().auth().preemptive().basic("alice", "wrong"), o[0], o[1]))
                    .as(key + " with a wrong password").isEqualTo(401);
            for (String below : BELOW.get(role)) {
                assertThat(call(given().auth().preemptive().basic(below, Reviewers.PASSWORD), o[0], o[1]))
                        .as(key + " as " + below).isEqualTo(403);
            }
            // The role itself gets past authorisation (the dummy ids and bodies may be refused after that).
            String allowed = switch (role) {
                case "viewer" -> "carol";
                case "reviewer" -> "alice";
                default -> "dave";
            };
            assertThat(call(given().auth().preemptive().basic(allowed, Reviewers.PASSWORD), o[0], o[1]))
                    .as(key + " as " + allowed).isNotIn(401, 403);
        }
    }
}
