package dev.opencode.tuner.policy.app.web;

import dev.opencode.tuner.policy.app.evidence.ReverseName;
import io.quarkus.qute.RawString;
import java.util.List;

/**
 * The evidence rows and the diff lines of a suggestion card, written in Java instead of Qute loops. A card shows up
 * to 50 addresses of about a dozen values each; interpreted by Qute that was the largest share of the instance page's
 * CPU and allocations (policy/app/DESIGN.md, docs/benchmarks.md). Every value goes through {@link VisibleHtml}, the escaping the
 * templates apply to {@code {expressions}}, so what reaches the page is escaped exactly as before; only the markup is
 * constant.
 */
final class WebRows {
    private static final String UNVERIFIED = "The name's own A/AAAA records do not hold this address: the name is"
            + " only what the operator of the reverse zone claims.";

    private WebRows() {
    }

    /**
     * The {@code <tr>} of each observed address, for the card's evidence table; without {@code providersLoaded} an
     * address in no provider range says that no range file is loaded, not "none".
     */
    static RawString addressRows(List<WebPages.AddressRow> rows, boolean providersLoaded) {
        StringBuilder out = new StringBuilder(rows.size() * 480);
        for (WebPages.AddressRow a : rows) {
            out.append("<tr><td data-label=\"Address\"><code>").append(html(a.address())).append("</code></td>")
                    .append("<td data-label=\"Events\" class=\"num\">").append(a.events()).append("</td>")
                    .append("<td data-label=\"Ports\">").append(html(a.ports())).append(' ')
                    .append(html(a.protocols())).append("</td>")
                    .append(reverseDnsCell(a.address(), a.reverseName(), 0))
                    .append("<td data-label=\"Provider range\">");
            if (a.providers().isEmpty()) {
                out.append(providersLoaded ? "<em>none</em>" : "<em>no provider data loaded</em>");
            }
            for (String p : a.providers()) {
                out.append("<span class=\"provider\">").append(html(p)).append("</span>");
            }
            out.append("</td><td data-label=\"Sources\">").append(html(a.sampleSources()))
                    .append("</td><td data-label=\"First blocked\">").append(html(a.firstSeen()))
                    .append("</td><td data-label=\"Last blocked\">").append(html(a.lastSeen())).append("</td></tr>\n");
        }
        return new RawString(out.toString());
    }

    /**
     * The reverse DNS {@code <td>} of an address. While its lookup is pending, the cell alone asks again after 2 s
     * (at most {@link WebPages#LABEL_REFRESHES} times, from the cache only): the rest of the card, and what a reviewer
     * is typing into its form, is never replaced.
     */
    static String reverseDnsCell(String address, ReverseName name, int refresh) {
        StringBuilder out = new StringBuilder(160);
        out.append("<td data-label=\"Reverse DNS\"");
        if (name.status() == ReverseName.Status.PENDING && refresh < WebPages.LABEL_REFRESHES) {
            out.append(" hx-get=\"/ui/reverse-dns?address=").append(html(address)).append("&amp;refresh=")
                    .append(refresh + 1).append("\" hx-trigger=\"load delay:2s\" hx-swap=\"outerHTML\"");
        }
        out.append(" class=\"rdns ");
        reverseName(out, name);
        return out.append("</td>").toString();
    }

    /**
     * The class and content of the reverse DNS cell: a forward-confirmed name as code; a name that did not confirm
     * marked "unverified" before it (whoever runs the reverse zone may claim any name, e.g. a well-known service's);
     * otherwise why there is no name.
     */
    private static void reverseName(StringBuilder out, ReverseName name) {
        out.append(html(name.status().text())).append("\">");
        switch (name.status()) {
            case FOUND -> out.append("<code>").append(html(name.name())).append("</code>");
            case FOUND_UNCONFIRMED -> out.append("<em class=\"unverified\" title=\"").append(html(UNVERIFIED))
                    .append("\">unverified</em> <code>").append(html(name.name())).append("</code>");
            default -> out.append("<em>").append(html(name.describe())).append("</em>");
        }
    }

    /** An address whose name was not looked up: the look-up form offers it. */
    static boolean notLookedUp(WebPages.AddressRow row) {
        ReverseName.Status status = row.reverseName().status();
        return status == ReverseName.Status.NOT_LOOKED_UP || status == ReverseName.Status.RATE_LIMITED;
    }

    /** The hidden {@code address} fields of a card's look-up form: its addresses not looked up. */
    static RawString lookupFields(List<WebPages.AddressRow> rows) {
        StringBuilder out = new StringBuilder();
        for (WebPages.AddressRow a : rows) {
            if (notLookedUp(a)) {
                out.append("<input type=\"hidden\" name=\"address\" value=\"").append(html(a.address()))
                        .append("\">");
            }
        }
        return new RawString(out.toString());
    }

    /** The {@code <option>}s of the CIDR field's datalist: each observed address as a CIDR of its own. */
    static RawString observedOptions(List<WebPages.AddressRow> rows) {
        StringBuilder out = new StringBuilder(rows.size() * 40);
        for (WebPages.AddressRow a : rows) {
            out.append("<option value=\"").append(html(a.hostCidr())).append("\">");
        }
        return new RawString(out.toString());
    }

    /** The lines of a unified diff, each a {@code <span>} whose class is its kind (add, remove, hunk, ...). */
    static RawString diff(List<WebPages.DiffLine> lines) {
        StringBuilder out = new StringBuilder(lines.size() * 64);
        for (WebPages.DiffLine line : lines) {
            out.append("<span class=\"").append(html(line.kind())).append("\">").append(html(line.text()))
                    .append("</span>");
        }
        return new RawString(out.toString());
    }

    /** {@code value} escaped for HTML text and double-quoted attributes, as the templates escape an expression. */
    static String html(String value) {
        return VisibleHtml.escape(value);
    }
}
