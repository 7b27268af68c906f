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
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/** The UI in a real browser: keyboard login, overview with its chart, instance page with evidence, screenshots. */
@QuarkusTest
@WithTestResource(value = EvidenceStack.class, scope = TestResourceScope.MATCHING_RESOURCES)
class BrowserTest {
    static final String HOST = "browser-host";
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
        WebTest.WebFixtures.produceAndAwait(HOST);
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

    private void loginWithKeyboard() {
        driver.get(url("/ui"));
        assertThat(driver.getCurrentUrl()).endsWith("/login");
        // The account field has the focus; the rest is typed, tabbed and entered.
        WebElement focused = driver.switchTo().activeElement();
        assertThat(focused.getAttribute("id")).isEqualTo("j_username");
        focused.sendKeys("admin", Keys.TAB);
        driver.switchTo().activeElement().sendKeys(Api.adminPassword(), Keys.ENTER);
        Eventually.await("the overview is shown", Duration.ofSeconds(10),
                () -> driver.getCurrentUrl().endsWith("/ui"));
    }

    @Test
    void aReviewerLogsInByKeyboardAndSeesTheOverviewAndTheEvidence() {
        Browser.screenshot(driverAt("/login"), "login-laptop", Browser.LAPTOP);
        loginWithKeyboard();

        assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo("Overview");
        assertThat(driver.findElement(By.id("main")).getText()).contains(HOST);
        Eventually.await("uPlot drew the chart", Duration.ofSeconds(10),
                () -> !driver.findElements(By.cssSelector("#blocked-chart canvas")).isEmpty());
        Browser.screenshot(driver, "overview-laptop", Browser.LAPTOP);
        Browser.screenshot(driver, "overview-phone", Browser.PHONE);

        driver.findElement(By.cssSelector("a[href='/ui/instances/" + HOST + "/web']")).click();
        assertThat(driver.findElement(By.tagName("h1")).getText()).startsWith("web");
        // htmx reloads the evidence while reverse names are pending: they appear without a reload of the page.
        Eventually.await("the reverse DNS names appear", Duration.ofSeconds(20),
                () -> textOf("suggestions").contains("web-7.example.test"));
        String evidence = driver.findElement(By.id("suggestions")).getText();
        assertThat(evidence).contains("203.0.113.0/24").contains("api.example.test")
                .contains("aws EC2 us-east-1 (52.94.0.0/22)");
        Browser.screenshot(driver, "instance-laptop", Browser.LAPTOP);
        Browser.screenshot(driver, "instance-phone", Browser.PHONE);

        // Narrow the /24 to the one observed address that has a web name, and accept it with a comment.
        String net = WebTest.suggestionId(HOST, "203.0.113.0/24");
        WebElement cidr = driver.findElement(By.id("cidr-" + net));
        cidr.clear();
        cidr.sendKeys("203.0.113.7/32");
        driver.findElement(By.id("comment-" + net)).sendKeys("only the web frontend is needed");
        driver.findElement(By.cssSelector("#s-" + net + " button[value=accept]")).click();
        // htmx swaps the card in place: no reload, the page stays where the reviewer is.
        Eventually.await("the card says it was accepted", Duration.ofSeconds(10),
                () -> textOf("s-" + net).contains("Accepted 203.0.113.7/32."));
        driver.navigate().refresh();
        assertThat(driver.findElement(By.cssSelector("table.allowlist")).getText()).contains("203.0.113.7/32")
                .contains("accepted").contains("admin").contains("only the web frontend is needed");

        // Reject the GitHub SSH address with a comment, by keyboard from the comment field.
        String github = WebTest.suggestionId(HOST, "140.82.113.4/32");
        driver.findElement(By.id("comment-" + github)).sendKeys("no git over ssh from this instance");
        WebElement reject = driver.findElement(By.cssSelector("#s-" + github + " button[value=reject]"));
        reject.sendKeys(Keys.ENTER);
        Eventually.await("the card says it was rejected", Duration.ofSeconds(10),
                () -> textOf("s-" + github).contains("Rejected 140.82.113.4/32."));
        driver.navigate().refresh();

        String history = driver.findElement(By.id("history")).getText();
        assertThat(history).contains("accepted").contains("suggested 203.0.113.0/24 → decided 203.0.113.7/32")
                .contains("only the web frontend")
                .contains("rejected").contains("140.82.113.4/32").contains("no git over ssh from this instance");

        // The diff of the remaining suggestion, opened like a reader would.
        String aws = WebTest.suggestionId(HOST, "52.94.1.10/32");
        driver.findElement(By.cssSelector("#s-" + aws + " details.diff-box summary")).click();
        String diff = driver.findElement(By.cssSelector("#s-" + aws + " pre.diff")).getText();
        assertThat(diff).contains("+").contains("52.94.1.10/32").contains("203.0.113.7/32");
        Browser.screenshot(driver, "decided-laptop", Browser.LAPTOP);
        Browser.screenshot(driver, "decided-phone", Browser.PHONE);

        assertEveryControlLabelled();
        assertThat(cspViolations()).isEmpty();

        driver.findElement(By.cssSelector("form.logout button")).click();
        Eventually.await("the login page is back", Duration.ofSeconds(10),
                () -> driver.getCurrentUrl().endsWith("/login"));
        driver.get(url("/ui"));
        assertThat(driver.getCurrentUrl()).endsWith("/login");
    }

    @Test
    void everyFormControlOfTheLoginHasALabel() {
        driver.get(url("/login"));
        assertEveryControlLabelled();
    }

    private static void assertEveryControlLabelled() {
        List<WebElement> inputs = driver.findElements(By.cssSelector("input:not([type=hidden]), select, textarea"));
        assertThat(inputs).isNotEmpty();
        for (WebElement input : inputs) {
            String id = input.getAttribute("id");
            assertThat(driver.findElements(By.cssSelector("label[for='" + id + "']"))).as("label for " + id)
                    .hasSize(1);
        }
    }

    private static String textOf(String id) {
        return Browser.textOf(driver, id);
    }

    private ChromeDriver driverAt(String path) {
        driver.get(url(path));
        return driver;
    }

    private List<String> cspViolations() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage)
                .filter(m -> m.contains("Content Security Policy") || m.contains("Refused to")).toList();
    }
}
