package dev.opencode.tuner.policy.app.web;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The web UI over HTTP: form login against the API's accounts, pages, CSRF, origin checks and security headers. */
@QuarkusTest
@WithTestResource(value = EvidenceStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class WebTest {
    @jakarta.inject.Inject
    dev.opencode.tuner.policy.app.ingest.IngestService ingest;
    static final String HOST = "web-host";
    private static final Pattern CSRF_FIELD = Pattern.compile("name=\"csrf-token\" value=\"([^\"]+)\"");

    private static boolean produced;

    @BeforeEach
    void produceEventsOnce() {
        // Not in @BeforeAll: RestAssured learns the service's port only before each test.
        if (produced) {
            return;
        }
        produced = true;
        WebFixtures.produce(HOST);
        Eventually.await("the suggestions of " + HOST + " are served", Duration.ofSeconds(60),
                () -> Api.suggestions(HOST).get("instances").size() == 1
                        && Api.suggestions(HOST).get("instances").get(0).get("suggestions").size() == 3);
    }

    static String login() {
        Response response = given().redirects().follow(false).contentType(ContentType.URLENC)
                .formParam("j_username", "admin").formParam("j_password", Api.adminPassword())
                .post("/j_security_check");
        assertThat(response.statusCode()).isEqualTo(302);
        assertThat(response.header("Location")).endsWith("/ui");
        String session = response.cookie("tuner-session");
        assertThat(session).isNotBlank();
        return session;
    }

    @Test
    void pagesNeedALoginAndTheLoginUsesTheApiAccounts() {
        Response anonymous = given().redirects().follow(false).get("/ui");
        assertThat(anonymous.statusCode()).isEqualTo(302);
        assertThat(anonymous.header("Location")).endsWith("/login");

        Response wrong = given().redirects().follow(false).contentType(ContentType.URLENC)
                .formParam("j_username", "admin").formParam("j_password", "not-the-password")
                .post("/j_security_check");
        assertThat(wrong.statusCode()).isEqualTo(302);
        assertThat(wrong.header("Location")).contains("/login?error");
        assertThat(wrong.cookie("tuner-session")).isNullOrEmpty();

        String page = given().cookie("tuner-session", login()).get("/ui").then().statusCode(200).extract().asString();
        assertThat(page).contains("Overview").contains(HOST).contains("/ui/instances/" + HOST + "/web");
    }

    @Test
    void theOverviewQueueSaysWhyEachInstanceNeedsAttentionDenylistHitsFirst() {
        // queue-deny: an agent reaching for cloud metadata (refused), one stable and one held-back destination;
        // queue-many: three pending suggestions and more events, so it would come first by pending count alone.
        try (TestEvents producer = new TestEvents()) {
            producer.send(List.of(TestEvents.tcp("queue-deny", "web", "169.254.169.254", 80, 1),
                    TestEvents.tcp("queue-deny", "web", "169.254.169.254", 80, 2),
                    TestEvents.tcp("queue-deny", "web", "198.51.100.5", 443, 3),
                    TestEvents.tcp("queue-deny", "web", "198.51.100.5", 443, 4),
                    TestEvents.tcp("queue-deny", "web", "198.51.100.77", 443, 5)));
        }
        WebFixtures.produceAndAwait("queue-many");
        Eventually.await("the suggestions of queue-deny are served", Duration.ofSeconds(60),
                () -> Api.suggestions("queue-deny").get("instances").size() == 1
                        && Api.suggestions("queue-deny").get("instances").get(0).get("suggestions").size() == 2);
        String session = login();

        String queue = given().cookie("tuner-session", session).get("/ui").then().statusCode(200).extract()
                .asString();
        assertThat(queue.indexOf("queue-deny / ")).as("denylist hits first").isPositive()
                .isLessThan(queue.indexOf("queue-many / "));
        String deny = row(queue, "queue-deny");
        assertThat(deny).contains("denylist: 2 events").contains("169.254.169.254 (")
                .contains("198.51.100.5/32</code> tcp/443 (2 events)").contains("+1 held back")
                .containsPattern("data-label=\"Oldest pending\">\\d+ (d|h|min)<");
        assertThat(row(queue, "queue-many")).contains("203.0.113.0/24</code> tcp/443 (12 events)")
                .contains("<span class=\"badge\">3</span>").doesNotContain("denylist");

        String byEvents = given().cookie("tuner-session", session).get("/ui?sort=events").then().statusCode(200)
                .extract().asString();
        assertThat(byEvents.indexOf("queue-many / ")).as("sorted by blocked events: 16 before 5")
                .isLessThan(byEvents.indexOf("queue-deny / "));
        assertThat(byEvents).contains("aria-sort=\"descending\"><a href=\"/ui?sort=events\">");
    }

    @Test
    void theOverviewDecidesTickedSuggestionsAcrossInstancesEachOnItsOwn() {
        WebFixtures.produceAndAwait("across-a", "across-b");
        String session = login();
        Csrf csrf = csrf(session, "/ui");
        String awsA = suggestionId("across-a", "52.94.1.10/32");
        String awsB = suggestionId("across-b", "52.94.1.10/32");
        String githubB = suggestionId("across-b", "140.82.113.4/32");
        String page = given().cookie("tuner-session", session).get("/ui").asString();
        assertThat(page).contains("value=\"" + awsA + "\" form=\"bulk\"").contains("value=\"" + githubB + "\"");
        // githubB is decided meanwhile, in another tab.
        Api.asAdmin().contentType(ContentType.JSON).body("{}").post("/api/v1/suggestions/" + githubB + "/accept")
                .then().statusCode(200);

        Response noComment = bulkAcrossInstances(session, csrf, "reject", null, awsA);
        assertThat(noComment.statusCode()).isEqualTo(422);
        assertThat(noComment.asString()).contains("comment: a rejection needs a comment");

        Response bulk = bulkAcrossInstances(session, csrf, "accept", "known AWS endpoint", awsA, awsB, githubB);
        assertThat(bulk.statusCode()).isEqualTo(409);
        String answer = bulk.asString();
        assertThat(answer).contains("2 of 3 accepted; 1 failed (listed below).")
                .contains("<code>52.94.1.10/32</code>: accepted (across-a / web)")
                .contains("<code>52.94.1.10/32</code>: accepted (across-b / web)")
                .containsPattern("<li class=\"failed\"><code>140\\.82\\.113\\.4/32</code>: cannot accept: [^<]*last"
                        + " decision: accepted 140\\.82\\.113\\.4/32 by admin at ");
        assertThat(Api.get("/api/v1/decisions?host=across-a").get("decisions").get(0).get("comment").asText())
                .isEqualTo("known AWS endpoint");
    }

    private static Response bulkAcrossInstances(String session, Csrf csrf, String action, String comment,
                                                String... ids) {
        var request = given().redirects().follow(false).cookie("tuner-session", session)
                .cookie("tuner-csrf", csrf.cookie()).contentType(ContentType.URLENC.withCharset(StandardCharsets.UTF_8))
                .formParam("csrf-token", csrf.token()).formParam("action", action);
        if (comment != null) {
            request = request.formParam("comment", comment);
        }
        for (String id : ids) {
            request = request.formParam("id", id);
        }
        return request.post("/ui/bulk");
    }

    /** The overview's table row of a host's instance {@code web}. */
    private static String row(String page, String host) {
        int at = page.indexOf("<td data-label=\"Host / instance\">" + host + " / ");
        assertThat(at).as("a row of " + host).isPositive();
        return page.substring(at, page.indexOf("</tr>", at));
    }

    @Test
    void theApiStillAnswers401WithABasicChallengeNotALoginRedirect() {
        given().redirects().follow(false).get("/api/v1/instances").then().statusCode(401);
        // A session cookie is not an API credential.
        given().redirects().follow(false).cookie("tuner-session", login()).get("/api/v1/instances").then()
                .statusCode(401);
    }

    @Test
    void theInstancePageShowsEvidenceLabelsAndTheDiff() {
        String session = login();
        // The first view starts the reverse DNS lookups; a later one shows the names.
        given().cookie("tuner-session", session).get("/ui/instances/" + HOST + "/web").then().statusCode(200);
        String[] page = {""};
        Eventually.await("the reverse names are on the page", Duration.ofSeconds(20), () -> {
            page[0] = given().cookie("tuner-session", session).get("/ui/instances/" + HOST + "/web").then()
                    .statusCode(200).extract().asString();
            return page[0].contains("web-7.example.test");
        });

        Eventually.await("the unverified name is on the page", Duration.ofSeconds(20), () -> {
            page[0] = given().cookie("tuner-session", session).get("/ui/instances/" + HOST + "/web").then()
                    .statusCode(200).extract().asString();
            return page[0].contains("api.example.test");
        });
        assertThat(page[0]).contains("203.0.113.0/24").contains("Opens <strong>256</strong> addresses, 4 observed")
                // web-7's A record holds its address; api.example.test resolves elsewhere: a claim, marked so.
                .contains("class=\"rdns found\"><code>web-7.example.test</code>")
                .contains("class=\"rdns unverified\"><em class=\"unverified\"")
                .contains("unverified</em> <code>api.example.test</code>")
                .contains("no reverse name (NXDOMAIN)") // 203.0.113.20 has no PTR record
                .contains("aws EC2 us-east-1 (52.94.0.0/22)")
                .contains("github web (140.82.112.0/20)")
                .contains("&quot;203.0.113.0/24&quot;</span>")
                .contains("class=\"add\"")
                .contains("Of 16 blocked events in the last 14 days, this would have allowed 12");
    }

    @Test
    void theEvidenceFragmentIsServedAloneForHtmx() {
        String fragment = given().cookie("tuner-session", login())
                .get("/ui/instances/" + HOST + "/web/suggestions?refresh=1").then().statusCode(200).extract()
                .asString();

        assertThat(fragment).startsWith("<section id=\"suggestions\"").contains("203.0.113.0/24")
                .doesNotContain("<html");
    }

    @Test
    void aPendingNameIsRefreshedInItsCellAloneNeverTheFormsAroundIt() {
        String session = login();
        String page = given().cookie("tuner-session", session).get("/ui/instances/" + HOST + "/web").then()
                .statusCode(200).extract().asString();
        // A reviewer typing a narrower CIDR must not have the card replaced under the cursor.
        assertThat(page).contains("<section id=\"suggestions\" aria-labelledby=\"suggestions-title\">");
        String[] cell = new String[1];
        Eventually.await("the cell of 203.0.113.7 holds its name", Duration.ofSeconds(30), () -> {
            cell[0] = given().cookie("tuner-session", session).get("/ui/reverse-dns?address=203.0.113.7&refresh=1")
                    .then().statusCode(200).extract().asString();
            return cell[0].contains("web-7.example.test");
        });
        assertThat(cell[0]).startsWith("<td data-label=\"Reverse DNS\" class=\"rdns found\">")
                .doesNotContain("hx-get");
        given().cookie("tuner-session", session).get("/ui/reverse-dns?address=not%20an%20address").then()
                .statusCode(400);
        given().redirects().follow(false).get("/ui/reverse-dns?address=203.0.113.7").then()
                .statusCode(org.hamcrest.Matchers.anyOf(org.hamcrest.Matchers.is(302), org.hamcrest.Matchers.is(401)));
    }

    @Test
    void unknownInstancesAndBadNamesAre404() {
        String session = login();
        given().cookie("tuner-session", session).get("/ui/instances/" + HOST + "/nosuch").then().statusCode(404);
        given().cookie("tuner-session", session).get("/ui/instances/" + HOST + "/Bad%20Name").then().statusCode(404);
    }

    @Test
    void aFormPostWithoutTheCsrfTokenIsRefused() {
        String session = login();
        Response page = given().cookie("tuner-session", session).get("/ui");
        String csrfCookie = page.cookie("tuner-csrf");
        Matcher field = CSRF_FIELD.matcher(page.asString());
        assertThat(csrfCookie).isNotBlank();
        assertThat(field.find()).isTrue();

        given().redirects().follow(false).cookie("tuner-session", session).contentType(ContentType.URLENC)
                .formParam("x", "1").post("/ui/logout").then().statusCode(400);
        given().redirects().follow(false).cookie("tuner-session", session).cookie("tuner-csrf", csrfCookie)
                .contentType(ContentType.URLENC).formParam("csrf-token", "forged").post("/ui/logout").then()
                .statusCode(400);

        Response logout = given().redirects().follow(false).cookie("tuner-session", session)
                .cookie("tuner-csrf", csrfCookie).contentType(ContentType.URLENC)
                .formParam("csrf-token", field.group(1)).post("/ui/logout");
        assertThat(logout.statusCode()).isEqualTo(303);
        assertThat(logout.header("Location")).endsWith("/login");
        assertThat(logout.header("Set-Cookie")).contains("tuner-session=;").containsIgnoringCase("max-age=0");
    }

    @Test
    void aCrossOriginLoginIsRefused() {
        given().redirects().follow(false).header("Origin", "http://attacker.example").contentType(ContentType.URLENC)
                .formParam("j_username", "admin").formParam("j_password", Api.adminPassword())
                .post("/j_security_check").then().statusCode(403);
    }

    @Test
    void pagesCarryTheSecurityHeaders() {
        for (Response response : List.of(given().get("/login"), given().cookie("tuner-session", login()).get("/ui"))) {
            assertThat(response.statusCode()).isEqualTo(200);
            String csp = response.header("Content-Security-Policy");
            assertThat(csp).contains("default-src 'self'").contains("script-src 'self'")
                    .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
            assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(response.header("Referrer-Policy")).isEqualTo("same-origin");
            assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
        }
        assertThat(given().get("/login").asString()).doesNotContain("<script>").doesNotContain("style=");
    }

    @Test
    void scriptsComeFromTheServiceItself() {
        given().get("/webjars/htmx.org/dist/htmx.min.js").then().statusCode(200);
        given().get("/webjars/uplot/dist/uPlot.iife.min.js").then().statusCode(200);
        given().get("/webjars/uplot/dist/uPlot.min.css").then().statusCode(200);
        given().get("/static/overview.js").then().statusCode(200);
        String page = given().cookie("tuner-session", login()).get("/ui").asString();
        assertThat(page).doesNotContain("http://").doesNotContain("https://");
    }

    @jakarta.inject.Inject
    javax.sql.DataSource dataSource;

    @Test
    void theExportStatusOfTheHostIsOnTheInstancePageAndTheOverview() throws Exception {
        // The export is off in this profile: the host's last run is written as the exporter records it.
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("""
                INSERT INTO export_status (host, last_run, last_success, result, change, branch, commit_id,
                                           pull_request_number, pull_request_url, pull_request_state, last_error)
                VALUES (?, '2026-12-01T10:15:00Z', '2026-11-30T09:00:00Z', 'failed', 'commit', 'opencode-egress/'
                        || ?, '0123456789abcdef0123456789abcdef01234567', 7,
                        'https://forge.example.org/ops/infra/pull/7', 'open',
                        'push of opencode-egress/web-host refused: the branch moved since the fetch')
                ON CONFLICT (host) DO NOTHING""")) {
            s.setString(1, HOST);
            s.setString(2, HOST);
            s.executeUpdate();
        }
        String session = login();

        String page = given().cookie("tuner-session", session).get("/ui/instances/" + HOST + "/web").then()
                .statusCode(200).extract().asString();
        assertThat(page).contains("Export of " + HOST).contains("Export is off")
                .contains("2026-12-01 10:15Z: failed").contains("(last success 2026-11-30 09:00Z)")
                .contains("<code>0123456789ab</code>")
                .contains("<a href=\"https://forge.example.org/ops/infra/pull/7\" rel=\"noreferrer noopener\">#7 (open)</a>")
                .contains("push of opencode-egress/web-host refused: the branch moved since the fetch");

        String overview = given().cookie("tuner-session", session).get("/ui").then().statusCode(200).extract()
                .asString();
        assertThat(overview).contains("Export to pull requests").contains("<td data-label=\"Host\">" + HOST + "</td>")
                .contains("#7 (open)").contains("0123456789ab").contains("the branch moved since the fetch");
    }

    /** A page's CSRF cookie and hidden-field token, for posting its forms. */
    record Csrf(String cookie, String token) {
    }

    static Csrf csrf(String session, String path) {
        Response page = given().cookie("tuner-session", session).get(path);
        Matcher field = CSRF_FIELD.matcher(page.asString());
        assertThat(field.find()).as("a CSRF field on " + path).isTrue();
        return new Csrf(page.cookie("tuner-csrf"), field.group(1));
    }

    static String suggestionId(String host, String cidr) {
        for (var s : Api.suggestions(host).get("instances").get(0).get("suggestions")) {
            if (s.get("cidr").asText().equals(cidr)) {
                return s.get("id").asText();
            }
        }
        throw new AssertionError("no pending suggestion " + cidr + " for " + host);
    }

    static Response decide(String session, Csrf csrf, String host, String id, String action, String cidr,
                           String comment, String until) {
        var request = given().redirects().follow(false).cookie("tuner-session", session)
                .cookie("tuner-csrf", csrf.cookie()).contentType(ContentType.URLENC.withCharset(StandardCharsets.UTF_8))
                .formParam("csrf-token", csrf.token()).formParam("host", host).formParam("instance", "web")
                .formParam("action", action);
        if (cidr != null) {
            request = request.formParam("cidr", cidr);
        }
        if (comment != null) {
            request = request.formParam("comment", comment);
        }
        if (until != null) {
            request = request.formParam("until", until);
        }
        return request.post("/ui/suggestions/" + id + "/decide");
    }

    @Test
    void decisionsGoThroughTheReviewServiceAndRefusalsAreShownWithTheirStatus() {
        String host = "decide-host";
        WebFixtures.produce(host);
        Eventually.await("the suggestions of " + host + " are served", Duration.ofSeconds(60),
                () -> Api.suggestions(host).get("instances").size() == 1
                        && Api.suggestions(host).get("instances").get(0).get("suggestions").size() == 3);
        String session = login();
        String path = "/ui/instances/" + host + "/web";
        Csrf csrf = csrf(session, path);
        String net = suggestionId(host, "203.0.113.0/24");
        String github = suggestionId(host, "140.82.113.4/32");
        String aws = suggestionId(host, "52.94.1.10/32");

        Response noComment = decide(session, csrf, host, github, "reject", null, "  ", null);
        assertThat(noComment.statusCode()).isEqualTo(422);
        assertThat(noComment.asString()).contains("comment: a rejection needs a comment");

        Response tooWide = decide(session, csrf, host, net, "accept", "203.0.0.0/8", null, null);
        assertThat(tooWide.statusCode()).isEqualTo(422);
        assertThat(tooWide.asString()).contains("role=\"alert\"").contains("cidr");

        Response badTime = decide(session, csrf, host, aws, "snooze", null, null, "next week");
        assertThat(badTime.statusCode()).isEqualTo(400);
        assertThat(badTime.asString()).contains("until: expected a date and time (UTC)");

        Response narrowed = decide(session, csrf, host, net, "accept", "203.0.113.7/32", "only the web frontend",
                null);
        assertThat(narrowed.statusCode()).isEqualTo(303);
        assertThat(narrowed.header("Location")).endsWith(path + "?done=accepted#history");

        Response again = decide(session, csrf, host, net, "accept", null, null, null);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.asString()).contains("role=\"alert\"");

        Response rejected = decide(session, csrf, host, github, "reject", null, "ssh to GitHub is not needed",
                null);
        assertThat(rejected.statusCode()).isEqualTo(303);
        Response snoozed = decide(session, csrf, host, aws, "snooze", null, "ask the owner",
                LocalDateTime.now(ZoneOffset.UTC).plusDays(2).withNano(0).toString());
        assertThat(snoozed.statusCode()).isEqualTo(303);

        String page = given().cookie("tuner-session", session).get(path + "?done=accepted").asString();
        assertThat(page).contains("Accepted: the CIDR is in the generated allowlist.")
                .contains("<code>203.0.113.7/32</code>")
                .contains("only the web frontend").contains("ssh to GitHub is not needed").contains("ask the owner")
                .contains(">rejected<").contains("snoozed until");
        assertThat(Api.get("/api/v1/decisions?host=" + host).get("decisions")).hasSize(3);
    }

    @Test
    void formatCharactersInHostNamesAndCommentsAreShownEscaped() throws Exception {
        // journald's _HOSTNAME is whatever sethostname() was given; shown raw, the override reverses what follows.
        String host = "bidi-\u202Etsoh";
        // No collector can speak for such a host any more (it names no Kafka topic): the aggregates get it straight
        // from the writer, as from a database filled before; pages must still show it escaped.
        ingest.writer().apply(WebFixtures.events(host));
        Eventually.await("the suggestions of " + host + " are served", Duration.ofSeconds(60),
                () -> Api.suggestions(host).get("instances").size() == 1
                        && Api.suggestions(host).get("instances").get(0).get("suggestions").size() == 3);
        String session = login();
        String path = "/ui/instances/" + host + "/web";
        Csrf csrf = csrf(session, path);

        Response rejected = decide(session, csrf, host, suggestionId(host, "140.82.113.4/32"), "reject", null,
                "ssh\u2066 is \u202Eton needed\u200B", null);

        assertThat(rejected.statusCode()).isEqualTo(303);
        String page = given().cookie("tuner-session", session).get(path).then().statusCode(200).extract().asString();
        assertThat(page).contains("bidi-\\u202Etsoh").contains("ssh\\u2066 is \\u202Eton needed\\u200B")
                .doesNotContain("\u202E").doesNotContain("\u2066").doesNotContain("\u200B");
        String overview = given().cookie("tuner-session", session).get("/ui").then().statusCode(200).extract()
                .asString();
        assertThat(overview).contains("bidi-\\u202Etsoh").doesNotContain("\u202E");
    }

    @Test
    void aViewerSeesNoDecisionFormAndCannotPostOne() throws Exception {
        java.nio.file.Path accounts = dev.opencode.tuner.policy.app.PolicyStack.policyState().resolve("accounts");
        String hash = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, "viewer-pw".toCharArray());
        if (!java.nio.file.Files.readString(accounts).contains("\nwebviewer:")) {
            java.nio.file.Files.writeString(accounts, "webviewer:" + hash + ":viewer\n",
                    java.nio.file.StandardOpenOption.APPEND);
        }
        Response login = given().redirects().follow(false).contentType(ContentType.URLENC)
                .formParam("j_username", "webviewer").formParam("j_password", "viewer-pw").post("/j_security_check");
        String session = login.cookie("tuner-session");
        String path = "/ui/instances/" + HOST + "/web";
        String page = given().cookie("tuner-session", session).get(path).then().statusCode(200).extract().asString();
        assertThat(page).contains("203.0.113.0/24").doesNotContain("/decide");

        Csrf csrf = csrf(session, "/ui");
        decide(session, csrf, HOST, suggestionId(HOST, "203.0.113.0/24"), "accept", null, null, null).then()
                .statusCode(403);
    }

    @Test
    void aDecisionWithoutTheCsrfTokenIsRefused() {
        String session = login();
        given().redirects().follow(false).cookie("tuner-session", session).contentType(ContentType.URLENC)
                .formParam("host", HOST).formParam("instance", "web").formParam("action", "accept")
                .post("/ui/suggestions/" + suggestionId(HOST, "203.0.113.0/24") + "/decide").then().statusCode(400);
        assertThat(Api.suggestions(HOST).get("instances").get(0).get("suggestions")).hasSize(3);
    }

    @Test
    void theSuggestionDetailOfTheApiCarriesTheLabels() {
        String id = suggestionId(HOST, "52.94.1.10/32");
        String detail = "/api/v1/suggestions/" + id;
        // The first call may start the lookup; the name is there on a later one.
        Eventually.await("the reverse name is in the detail", Duration.ofSeconds(10), () -> Api.get(detail)
                .get("suggestion").get("addresses").get(0).path("reverseDns").asText("")
                .equals("ec2-52-94-1-10.compute.example.test"));
        var address = Api.get(detail).get("suggestion").get("addresses").get(0);
        assertThat(address.get("reverseDnsStatus").asText()).isEqualTo("found");
        assertThat(address.get("reverseDnsUnverified").isNull()).isTrue();
        var providers = address.get("providers");
        assertThat(providers).hasSize(3);
        assertThat(providers.get(0).get("provider").asText()).isEqualTo("aws");
        assertThat(providers.get(0).get("service").asText()).isEqualTo("AMAZON");
        assertThat(providers.get(0).get("region").asText()).isEqualTo("us-east-1");
    }

    @Test
    void anInstanceWithManySuggestionsShowsThemTenToAPage() {
        String host = "paged-host";
        List<BlockedEvent> events = new ArrayList<>();
        for (int i = 1; i <= 12; i++) { // twelve /32s in twelve /16s: nothing folds
            events.add(TestEvents.tcp(host, "web", "45." + (i * 10) + ".0.1", 443, 2 * i));
            events.add(TestEvents.tcp(host, "web", "45." + (i * 10) + ".0.1", 443, 2 * i + 1));
        }
        try (TestEvents producer = new TestEvents()) {
            producer.send(events);
        }
        Eventually.await("the suggestions of " + host + " are served", Duration.ofSeconds(60),
                () -> Api.suggestions(host).get("instances").size() == 1
                        && Api.suggestions(host).get("instances").get(0).get("suggestions").size() == 12);
        String session = login();
        String path = "/ui/instances/" + host + "/web";

        String first = given().cookie("tuner-session", session).get(path).then().statusCode(200).extract()
                .asString();
        assertThat(first).contains("12 pending suggestions").contains("Suggestions 1–10 of 12 (page 1 of 2)")
                .contains("href=\"" + path + "?page=2#suggestions\" rel=\"next\"").doesNotContain("rel=\"prev\"");
        assertThat(Pattern.compile("<article class=\"card\"").matcher(first).results().count()).isEqualTo(10);

        String second = given().cookie("tuner-session", session).get(path + "?page=2").then().statusCode(200)
                .extract().asString();
        assertThat(second).contains("Suggestions 11–12 of 12 (page 2 of 2)").contains("rel=\"prev\"")
                .doesNotContain("rel=\"next\"");
        assertThat(Pattern.compile("<article class=\"card\"").matcher(second).results().count()).isEqualTo(2);
        // Past the end is the last page; anything but a number is the first.
        assertThat(given().cookie("tuner-session", session).get(path + "?page=99").asString())
                .contains("Suggestions 11–12 of 12");
        assertThat(given().cookie("tuner-session", session).get(path + "?page=x").asString())
                .contains("Suggestions 1–10 of 12");
    }

    /** Events that make one /24 suggestion (four addresses) and /32s labelled by AWS and GitHub ranges. */
    static final class WebFixtures {
        static void produce(String host) {
            try (TestEvents producer = new TestEvents()) {
                producer.send(events(host));
            }
        }

        /** Produces the fixture's events for each host and waits until its three suggestions are served. */
        static void produceAndAwait(String... hosts) {
            for (String host : hosts) {
                produce(host);
            }
            for (String host : hosts) {
                Eventually.await("the suggestions of " + host + " are served", Duration.ofSeconds(60),
                        () -> Api.suggestions(host).get("instances").size() == 1
                                && Api.suggestions(host).get("instances").get(0).get("suggestions").size() == 3);
            }
        }

        static List<BlockedEvent> events(String host) {
            List<BlockedEvent> events = new ArrayList<>();
            String[] addresses = {"203.0.113.7", "203.0.113.9", "203.0.113.20", "203.0.113.21"};
            for (int i = 0; i < 12; i++) {
                events.add(TestEvents.tcp(host, "web", addresses[i % 4], 443, i));
            }
            events.add(TestEvents.tcp(host, "web", "52.94.1.10", 443, 20));
            events.add(TestEvents.tcp(host, "web", "52.94.1.10", 443, 21));
            events.add(TestEvents.tcp(host, "web", "140.82.113.4", 22, 22));
            events.add(TestEvents.tcp(host, "web", "140.82.113.4", 22, 23));
            return events;
        }
    }
}
