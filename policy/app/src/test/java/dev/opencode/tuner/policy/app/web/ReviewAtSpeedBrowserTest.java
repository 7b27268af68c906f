package dev.opencode.tuner.policy.app.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.policy.app.Api;
import dev.opencode.tuner.policy.app.Eventually;
import dev.opencode.tuner.policy.app.evidence.EvidenceStack;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;

/**
 * Reviewing many suggestions in a real browser (Debian's Chromium): the bulk decision with one item that fails, the
 * keyboard flow with cards swapped in place, a refused edit that keeps what the reviewer typed, and the 409 of a
 * suggestion decided meanwhile in another tab. Each test has its own host; screenshots go to target/screenshots.
 */
@QuarkusTest
@WithTestResource(value = EvidenceStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ReviewAtSpeedBrowserTest {
    static final String BULK = "speed-bulk";
    static final String KEYS = "speed-keys";
    static final String EDIT = "speed-edit";
    private static ChromeDriver driver;
    private static boolean produced;

    @TestHTTPResource("/")
    URL root;

    @BeforeEach
    void produceEventsOnce() {
        if (produced) {
            return;
        }
        produced = true;
        WebTest.WebFixtures.produceAndAwait(BULK, KEYS, EDIT);
        driver = Browser.start();
    }

    @AfterAll
    static void quit() {
        if (driver != null) {
            driver.quit();
        }
    }

    private String url(String path) {
        return root.toString().replaceAll("/$", "") + path;
    }

    private void open(String host) {
        driver.get(url("/ui/instances/" + host + "/web"));
        if (driver.getCurrentUrl().endsWith("/login")) {
            driver.findElement(By.id("j_username")).sendKeys("admin");
            driver.findElement(By.id("j_password")).sendKeys(Api.adminPassword(), Keys.ENTER);
            Eventually.await("logged in", Duration.ofSeconds(10), () -> !driver.getCurrentUrl().endsWith("/login"));
            driver.get(url("/ui/instances/" + host + "/web"));
        }
        assertThat(driver.findElement(By.tagName("h1")).getText()).startsWith("web");
    }

    /** Accepts a suggestion through the API, as a second reviewer (or the same one in another tab) would. */
    private static String acceptElsewhere(String id) {
        return Api.parse(Api.asAdmin().contentType("application/json").body("{\"comment\": \"from the other tab\"}")
                .post("/api/v1/suggestions/" + id + "/accept").then().statusCode(200).extract().asString())
                .get("decision").get("decidedAt").asText();
    }

    private static String textOf(String id) {
        return Browser.textOf(driver, id);
    }

    private static String active() {
        return driver.switchTo().activeElement().getAttribute("id");
    }

    @Test
    void aBulkAcceptListsWhatBecameOfEachAndNamesTheOneThatFailed() {
        open(BULK);
        String net = WebTest.suggestionId(BULK, "203.0.113.0/24");
        String aws = WebTest.suggestionId(BULK, "52.94.1.10/32");
        String github = WebTest.suggestionId(BULK, "140.82.113.4/32");
        for (String id : List.of(net, aws, github)) {
            driver.findElement(By.id("pick-" + id)).click();
        }
        driver.findElement(By.id("bulk-comment")).sendKeys("the services this agent needs");
        // Meanwhile, the GitHub address is decided in another tab.
        String decidedAt = acceptElsewhere(github);
        driver.findElement(By.cssSelector("form.bulk button[value=accept]")).click();

        Eventually.await("the results are listed", Duration.ofSeconds(10),
                () -> !driver.findElements(By.cssSelector("ul.results li")).isEmpty());
        List<WebElement> results = driver.findElements(By.cssSelector("ul.results li"));
        assertThat(results).hasSize(3);
        assertThat(driver.findElements(By.cssSelector("ul.results li.done"))).extracting(WebElement::getText)
                .containsExactlyInAnyOrder("203.0.113.0/24: accepted", "52.94.1.10/32: accepted");
        assertThat(driver.findElement(By.cssSelector("ul.results li.failed")).getText())
                .startsWith("140.82.113.4/32: ").contains("last decision: accepted 140.82.113.4/32 by admin at "
                        + decidedAt);
        assertThat(driver.findElement(By.id("decision-error")).getText())
                .isEqualTo("2 of 3 accepted; 1 failed (listed below).");
        assertThat(driver.findElement(By.cssSelector("table.allowlist")).getText()).contains("203.0.113.0/24")
                .contains("52.94.1.10/32").contains("the services this agent needs");
        Browser.screenshot(driver, "bulk-one-failed-laptop", Browser.LAPTOP);
        Browser.screenshot(driver, "bulk-one-failed-phone", Browser.PHONE);
    }

    @Test
    void aReviewerDecidesByKeyboardAndEachCardIsSwappedInPlace() {
        open(KEYS);
        String first = driver.findElements(By.cssSelector("article.card")).get(0).getAttribute("id");
        Actions keys = new Actions(driver);
        keys.sendKeys("j").perform();
        assertThat(active()).isEqualTo(first);

        keys.sendKeys("a").perform();
        Eventually.await("the first card is decided in place", Duration.ofSeconds(10),
                () -> textOf(first).startsWith("Accepted "));
        assertThat(driver.findElements(By.cssSelector("article.card"))).hasSize(3); // no reload: still three cards
        String second = driver.findElements(By.cssSelector("article.card")).get(1).getAttribute("id");
        Eventually.await("the focus moved to the next open card", Duration.ofSeconds(5),
                () -> second.equals(active()));

        // r with an empty comment asks for the comment first; Escape goes back to the card; r rejects.
        keys.sendKeys("r").perform();
        assertThat(active()).isEqualTo("comment-" + second.substring(2));
        driver.switchTo().activeElement().sendKeys("not needed", Keys.ESCAPE);
        assertThat(active()).isEqualTo(second);
        keys.sendKeys("r").perform();
        Eventually.await("the second card is rejected in place", Duration.ofSeconds(10),
                () -> textOf(second).startsWith("Rejected "));
        Browser.screenshot(driver, "keyboard-flow-laptop", Browser.LAPTOP);

        driver.navigate().refresh();
        String history = driver.findElement(By.id("history")).getText();
        assertThat(history).contains("accepted").contains("rejected").contains("not needed");
        assertThat(driver.findElements(By.cssSelector("article.card"))).hasSize(1);
    }

    @Test
    void aRefusedEditKeepsWhatTheReviewerTypedAndSaysWhyInTheCard() {
        open(EDIT);
        int cards = driver.findElements(By.cssSelector("article.card")).size();
        String net = WebTest.suggestionId(EDIT, "203.0.113.0/24");
        WebElement cidr = driver.findElement(By.id("cidr-" + net));
        cidr.clear();
        cidr.sendKeys("0.0.0.0/0");
        driver.findElement(By.id("comment-" + net)).sendKeys("everything, please");
        driver.findElement(By.cssSelector("#s-" + net + " button[value=accept]")).click();

        Eventually.await("the refusal is shown in the card", Duration.ofSeconds(10),
                () -> !driver.findElements(By.id("err-" + net)).isEmpty());
        assertThat(driver.findElement(By.id("err-" + net)).getText()).isNotBlank();
        WebElement kept = driver.findElement(By.id("cidr-" + net));
        assertThat(kept.getAttribute("value")).isEqualTo("0.0.0.0/0");
        assertThat(kept.getAttribute("aria-invalid")).isEqualTo("true");
        assertThat(kept.getAttribute("aria-describedby")).contains("err-" + net);
        assertThat(driver.findElement(By.id("comment-" + net)).getAttribute("value")).isEqualTo("everything, please");
        Eventually.await("the refused field has the focus", Duration.ofSeconds(5),
                () -> ("cidr-" + net).equals(active()));
        assertThat(driver.findElements(By.cssSelector("article.card"))).hasSize(cards); // nothing else changed
        Browser.screenshot(driver, "refused-edit-laptop", Browser.LAPTOP);
        Browser.screenshot(driver, "refused-edit-phone", Browser.PHONE);

        // Fixed in place, it goes through.
        kept.clear();
        kept.sendKeys("203.0.113.7/32");
        driver.findElement(By.cssSelector("#s-" + net + " button[value=accept]")).click();
        Eventually.await("the corrected edit is accepted", Duration.ofSeconds(10),
                () -> textOf("s-" + net).equals("Accepted 203.0.113.7/32."));
    }

    @Test
    void aSuggestionDecidedInAnotherTabSaysWhoDecidedWhatAndWhen() {
        open(EDIT);
        String aws = WebTest.suggestionId(EDIT, "52.94.1.10/32");
        String decidedAt = acceptElsewhere(aws);
        driver.findElement(By.id("comment-" + aws)).sendKeys("looks fine");
        driver.findElement(By.cssSelector("#s-" + aws + " button[value=accept]")).click();

        Eventually.await("the card says it was decided meanwhile", Duration.ofSeconds(10),
                () -> textOf("s-" + aws).startsWith("Not decided: "));
        assertThat(textOf("s-" + aws)).contains("accepted already")
                .contains("last decision: accepted 52.94.1.10/32 by admin at " + decidedAt);
        assertThat(driver.findElement(By.cssSelector("#s-" + aws + " [role=alert]")).isDisplayed()).isTrue();
        Browser.screenshot(driver, "conflict-second-tab-laptop", Browser.LAPTOP);
    }
}
