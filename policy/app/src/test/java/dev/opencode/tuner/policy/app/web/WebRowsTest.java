package dev.opencode.tuner.policy.app.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opencode.tuner.policy.app.evidence.ReverseName;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The evidence rows written in Java: the markup the template had, every value escaped. */
class WebRowsTest {
    private static WebPages.AddressRow row(String address, ReverseName reverse, List<String> providers) {
        return new WebPages.AddressRow(address, 12, "443, 8443", "tcp", "2026-12-01 10:00Z", "2026-12-02 11:00Z",
                "10.0.0.2, 10.0.0.3", reverse, providers);
    }

    private static ReverseName found(String name) {
        return new ReverseName(ReverseName.Status.FOUND, name, null);
    }

    private static ReverseName none(ReverseName.Status status) {
        return new ReverseName(status, null, null);
    }

    @Test
    void aRowHasEveryColumnWithItsLabel() {
        String html = WebRows.addressRows(List.of(row("203.0.113.7", found("api.example.test"),
                List.of("aws EC2 us-east-1 (203.0.113.0/24)"))), true).getValue();

        assertThat(html).isEqualTo("<tr><td data-label=\"Address\"><code>203.0.113.7</code></td>"
                + "<td data-label=\"Events\" class=\"num\">12</td>"
                + "<td data-label=\"Ports\">443, 8443 tcp</td>"
                + "<td data-label=\"Reverse DNS\" class=\"rdns found\"><code>api.example.test</code></td>"
                + "<td data-label=\"Provider range\"><span class=\"provider\">aws EC2 us-east-1 (203.0.113.0/24)"
                + "</span></td>"
                + "<td data-label=\"Sources\">10.0.0.2, 10.0.0.3</td>"
                + "<td data-label=\"First blocked\">2026-12-01 10:00Z</td>"
                + "<td data-label=\"Last blocked\">2026-12-02 11:00Z</td></tr>\n");
    }

    @Test
    void formatCharactersInReverseNamesAndProviderLabelsAreShownEscaped() {
        String html = WebRows.addressRows(List.of(row("203.0.113.7", found("moc.elgoog\u202E.evil.example"),
                List.of("aws\u200B EC2")), row("203.0.113.8", new ReverseName(ReverseName.Status.FOUND_UNCONFIRMED,
                "moc.buhtig\u202E.evil.example", "the name's addresses do not include this one"), List.of())), true)
                .getValue();

        assertThat(html).contains("<code>moc.elgoog\\u202E.evil.example</code>").contains("aws\\u200B EC2")
                .contains("unverified</em> <code>moc.buhtig\\u202E.evil.example</code>")
                .doesNotContain("\u202E").doesNotContain("\u200B");
    }

    @Test
    void anAddressWithoutNameOrProviderSaysSo() {
        String html = WebRows.addressRows(List.of(row("2001:db8::1", none(ReverseName.Status.NXDOMAIN),
                List.of())), true).getValue();

        assertThat(html).contains("class=\"rdns nxdomain\"><em>no reverse name (NXDOMAIN)</em></td>")
                .contains("<td data-label=\"Provider range\"><em>none</em></td>");
        assertThat(WebRows.addressRows(List.of(row("2001:db8::1", none(ReverseName.Status.NXDOMAIN), List.of())),
                false).getValue()).as("no range file configured: not known, rather than none")
                .contains("<td data-label=\"Provider range\"><em>no provider data loaded</em></td>");
        assertThat(WebRows.observedOptions(List.of(row("2001:db8::1", none(ReverseName.Status.NXDOMAIN), List.of())))
                .getValue())
                .isEqualTo("<option value=\"2001:db8::1/128\">");
    }

    @Test
    void hostileTextIsEscapedInTextAndInAttributes() {
        // A reverse name is whatever the PTR record says, and provider files come from outside: neither may add
        // markup or leave an attribute.
        WebPages.AddressRow hostile = new WebPages.AddressRow("198.51.100.1", 1, "", "tcp", "", "",
                "<img src=x onerror=alert(1)>", found("<script>alert('x')</script>"), List.of("a & b \"quoted\""));
        WebPages.AddressRow unverified = new WebPages.AddressRow("198.51.100.2\" onmouseover=\"alert(1)", 1, "",
                "tcp", "", "", "", new ReverseName(ReverseName.Status.FOUND_UNCONFIRMED, "\"><script>x</script>",
                null), List.of());

        String html = WebRows.addressRows(List.of(hostile, unverified), true).getValue();

        assertThat(html).doesNotContain("<script").doesNotContain("<img").doesNotContain("\" onmouseover=\"")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
                .contains("a &amp; b &quot;quoted&quot;")
                .contains("&lt;img src=x onerror=alert(1)&gt;")
                .contains("<code>&quot;&gt;&lt;script&gt;x&lt;/script&gt;</code>");
        WebPages.AddressRow notLookedUp = new WebPages.AddressRow(unverified.address(), 1, "", "tcp", "", "", "",
                none(ReverseName.Status.NOT_LOOKED_UP), List.of());
        assertThat(WebRows.lookupFields(List.of(notLookedUp)).getValue()).isEqualTo("<input type=\"hidden\""
                + " name=\"address\" value=\"198.51.100.2&quot; onmouseover=&quot;alert(1)\">");
        assertThat(WebRows.html(null)).isEmpty();
    }

    @Test
    void anUnverifiedNameSaysSoBeforeTheName() {
        String html = WebRows.addressRows(List.of(row("203.0.113.9", new ReverseName(
                ReverseName.Status.FOUND_UNCONFIRMED, "api.github.com", "the name's addresses do not include this one"),
                List.of())), true).getValue();

        assertThat(html).contains("<td data-label=\"Reverse DNS\" class=\"rdns unverified\"><em class=\"unverified\""
                + " title=\"The name&#39;s own A/AAAA records do not hold this address: the name is only what the"
                + " operator of the reverse zone claims.\">unverified</em> <code>api.github.com</code></td>");
    }

    @Test
    void theLookUpFormOffersTheAddressesNotLookedUpOnly() {
        List<WebPages.AddressRow> rows = List.of(
                row("203.0.113.7", found("web-7.example.test"), List.of()),
                row("203.0.113.8", new ReverseName(ReverseName.Status.NOT_LOOKED_UP, null, "on request only"),
                        List.of()),
                row("203.0.113.9", none(ReverseName.Status.RATE_LIMITED), List.of()),
                row("203.0.113.10", none(ReverseName.Status.PENDING), List.of()));

        assertThat(WebRows.lookupFields(rows).getValue()).isEqualTo(
                "<input type=\"hidden\" name=\"address\" value=\"203.0.113.8\">"
                        + "<input type=\"hidden\" name=\"address\" value=\"203.0.113.9\">");
        assertThat(WebRows.addressRows(rows, true).getValue())
                .contains("class=\"rdns not-looked-up\"><em>not looked up: on request only</em>")
                .contains("class=\"rdns rate-limited\"><em>not looked up: rate limit</em>")
                .contains("class=\"rdns pending\"><em>reverse DNS pending</em>");
        assertThat(rows.stream().filter(WebRows::notLookedUp).count()).isEqualTo(2);
    }

    @Test
    void diffLinesKeepTheirKindAndAreEscaped() {
        String html = WebRows.diff(WebPages.diff("""
                --- a/hosts/h.nix
                +++ b/hosts/h.nix
                @@ -1,2 +1,3 @@
                 { "web" = [
                +  "203.0.113.0/24" # <b>"x" & y</b>
                -  "198.51.100.0/24"
                """)).getValue();

        assertThat(html).isEqualTo("<span class=\"file\">--- a/hosts/h.nix</span>"
                + "<span class=\"file\">+++ b/hosts/h.nix</span>"
                + "<span class=\"hunk\">@@ -1,2 +1,3 @@</span>"
                + "<span class=\"context\"> { &quot;web&quot; = [</span>"
                + "<span class=\"add\">+  &quot;203.0.113.0/24&quot; # &lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;</span>"
                + "<span class=\"remove\">-  &quot;198.51.100.0/24&quot;</span>");
    }

    @Test
    void noRowsGiveNoMarkup() {
        assertThat(WebRows.addressRows(List.of(), true).getValue()).isEmpty();
        assertThat(WebRows.observedOptions(List.of()).getValue()).isEmpty();
        assertThat(WebRows.diff(List.of()).getValue()).isEmpty();
    }

    @Test
    void onlyAPendingReverseDnsCellAsksAgainAndOnlyForItself() {
        String pending = WebRows.reverseDnsCell("203.0.113.7", none(ReverseName.Status.PENDING), 0);
        org.assertj.core.api.Assertions.assertThat(pending).startsWith("<td data-label=\"Reverse DNS\" hx-get=")
                .contains("/ui/reverse-dns?address=203.0.113.7&amp;refresh=1").contains("hx-swap=\"outerHTML\"")
                .contains("reverse DNS pending").endsWith("</td>");
        org.assertj.core.api.Assertions.assertThat(WebRows.reverseDnsCell("203.0.113.7",
                none(ReverseName.Status.PENDING), WebPages.LABEL_REFRESHES)).doesNotContain("hx-get");
        org.assertj.core.api.Assertions.assertThat(WebRows.reverseDnsCell("203.0.113.7",
                found("web-7.example.test"), 2)).doesNotContain("hx-get").contains("<code>web-7.example.test</code>");
    }
}
