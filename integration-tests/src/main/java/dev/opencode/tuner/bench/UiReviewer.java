package dev.opencode.tuner.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scripted reviewer in the review UI, without a browser: it loads an instance page as the browser does (with the
 * session cookie), then accepts each card through the card's form as htmx posts it ({@code HX-Request}, the CSRF
 * token of the page, the swapped card as the answer), and loads the page again when a page of cards is done, until it
 * has decided {@code count} suggestions. Reading time is not part of it: the result is what the service makes a
 * reviewer wait.
 */
final class UiReviewer {
    private static final Pattern CARD = Pattern.compile("<article class=\"card\" id=\"s-([0-9a-f]{32})\"");
    private static final Pattern CSRF_FIELD = Pattern.compile(
            "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">");

    /** How long the whole review took, and each decision's answer time in milliseconds (sorted). */
    record Result(double seconds, int pageLoads, double[] decisionMillis) {
        double percentile(double p) {
            return decisionMillis[Math.min(decisionMillis.length - 1, (int) Math.ceil(p * decisionMillis.length) - 1)];
        }
    }

    private UiReviewer() {
    }

    static Result decide(String api, String sessionCookie, String host, String instance, int count)
            throws IOException, InterruptedException {
        String page = api + "/ui/instances/" + host + "/" + instance;
        List<Double> decisions = new ArrayList<>();
        Set<String> decided = new LinkedHashSet<>();
        int loads = 0;
        long start = System.nanoTime();
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build()) {
            while (decided.size() < count) {
                HttpResponse<String> html = http.send(HttpRequest.newBuilder(URI.create(page))
                        .header("Cookie", sessionCookie).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofString());
                loads++;
                if (html.statusCode() != 200) {
                    throw new IllegalStateException("the instance page answered " + html.statusCode());
                }
                String csrfCookie = html.headers().allValues("Set-Cookie").stream()
                        .filter(c -> c.startsWith("tuner-csrf=")).map(c -> c.substring(0, c.indexOf(';')))
                        .findFirst().orElseThrow(() -> new IllegalStateException("no CSRF cookie on the page"));
                Matcher field = CSRF_FIELD.matcher(html.body());
                if (!field.find()) {
                    throw new IllegalStateException("no CSRF field on the page");
                }
                List<String> cards = new ArrayList<>();
                Matcher card = CARD.matcher(html.body());
                while (card.find()) {
                    if (!decided.contains(card.group(1))) {
                        cards.add(card.group(1));
                    }
                }
                if (cards.isEmpty()) {
                    throw new IllegalStateException("no pending card left on " + page + " after " + decided.size()
                            + " decisions");
                }
                for (String id : cards) {
                    if (decided.size() == count) {
                        break;
                    }
                    String form = enc(field.group(1)) + "=" + enc(field.group(2)) + "&host=" + enc(host)
                            + "&instance=" + enc(instance) + "&page=1&action=accept&cidr=&comment=&until=";
                    long t = System.nanoTime();
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(api
                            + "/ui/suggestions/" + id + "/decide")).header("Cookie", sessionCookie + "; " + csrfCookie)
                            .header("HX-Request", "true").header("Content-Type", "application/x-www-form-urlencoded")
                            .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    decisions.add((System.nanoTime() - t) / 1e6);
                    if (answer.statusCode() != 200 || !answer.body().contains("Accepted ")) {
                        throw new IllegalStateException("deciding " + id + " answered " + answer.statusCode() + ": "
                                + answer.body().substring(0, Math.min(300, answer.body().length())));
                    }
                    decided.add(id);
                }
            }
        }
        double[] millis = decisions.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(millis);
        return new Result((System.nanoTime() - start) / 1e9, loads, millis);
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
