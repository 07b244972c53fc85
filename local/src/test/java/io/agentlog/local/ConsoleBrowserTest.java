package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.testkit.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, which
 * {@code scripts/setup.sh} installs), against the engine's HTTP API on a real broker: submit a task, watch its
 * timeline stream, approve a call, see the result and the file it wrote.
 */
class ConsoleBrowserTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private static InProcessStack stack;
    private static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Path binary : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(binary)) {
                missing.add(binary + " is missing (Debian packages chromium and chromium-driver)");
            }
        }
        Prerequisites.require(
                "a headless Chromium", missing.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", missing)));
        stack = InProcessStack.startWithHttp("console", DEADLINE, HttpApiConfig.loopback());
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1400");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldSubmitWatchApproveAndShowTheResultInARealBrowser() throws Exception {
        try {
            submitWatchApprove();
        } catch (RuntimeException | AssertionError e) {
            // what the browser showed, for the report: the page, and the screenshot next to it
            Files.writeString(Path.of("target", "console-failure.html"), browser.getPageSource());
            Files.write(
                    Path.of("target", "console-failure.png"),
                    ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            throw new AssertionError(
                    "the console failed at " + browser.getCurrentUrl()
                            + " (page and screenshot in target/console-failure.*)",
                    e);
        }
    }

    private void submitWatchApprove() throws Exception {
        // Given an agent whose file write waits for approval
        String agent = stack.putAgent("console", """
                tools: [{name: write_file, requiresApproval: true}]
                script:
                  - toolCalls:
                      - {id: w1, name: write_file, arguments: {path: report.md, content: "# Report"}}
                  - text: all done
                """);
        WebDriverWait wait = new WebDriverWait(browser, DEADLINE);

        // When a task is submitted in the console
        browser.get(stack.httpBase() + "/#/sessions");
        wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#new-agent option[value='" + agent + "']")));
        new Select(browser.findElement(By.id("new-agent"))).selectByValue(agent);
        browser.findElement(By.id("new-input")).sendKeys("Write the report");
        browser.findElement(By.id("submit")).click();

        // Then the session's timeline streams in until the call waits for approval
        WebElement approve = wait.until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("#timeline .event[data-type='ApprovalRequested'] button.approve")));
        assertThat(browser.getCurrentUrl()).contains("#/sessions/");
        assertThat(text("#status")).isEqualTo("AWAITING_APPROVAL");
        assertThat(types()).startsWith("SessionStarted").contains("ModelResponded", "ApprovalRequested");

        // When the call is approved in the console
        approve.click();

        // Then the session ends with its result, its file is shown, and the timeline has the call's completion
        wait.until(ExpectedConditions.textToBe(By.id("status"), "COMPLETED"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("output"), "all done"));
        assertThat(types())
                .contains("ApprovalDecided", "ToolCompleted", "FileWritten")
                .endsWith("SessionEnded");
        assertThat(text("#files")).contains("report.md").contains("# Report");
        assertThat(browser.findElements(By.cssSelector("button.approve"))).isEmpty();
        Path screenshot = Path.of("target", "console-session.png");
        Files.write(screenshot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // And the sessions page lists it as completed
        browser.get(stack.httpBase() + "/#/sessions?agent=" + agent);
        WebElement row = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr.session")));
        assertThat(row.getText()).contains("COMPLETED").contains(agent);
    }

    private static String text(String css) {
        return browser.findElement(By.cssSelector(css)).getText();
    }

    private static List<String> types() {
        return browser.findElements(By.cssSelector("#timeline .event")).stream()
                .map(event -> event.getDomAttribute("data-type"))
                .toList();
    }
}
