package dev.opencode.tuner.policy.app.review;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.opencode.tuner.policy.app.suggest.SuggestionViews;
import java.math.BigInteger;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The review API's JSON. */
public final class ReviewViews {
    private ReviewViews() {
    }

    /** {@code GET /api/v1/suggestions}: the earlier shape (tuner suggest's {@code instances[]} plus ids), extended. */
    @Schema(name = "SuggestionList", description = "Suggestions per instance, sorted by host then instance: the"
            + " instances[] of `tuner suggest --format json` with an id and the review state per suggestion")
    public record ReviewList(List<ReviewInstance> instances) {
    }

    @JsonPropertyOrder({"host", "instance", "events", "destinations", "suggestions", "refused", "alreadyAllowed"})
    @Schema(name = "InstanceSuggestions")
    public record ReviewInstance(
            String host,
            String instance,
            @Schema(description = "Blocked events counted when the suggestions were last computed") long events,
            @Schema(description = "Distinct blocked destinations") int destinations,
            List<ReviewSuggestion> suggestions,
            @Schema(type = SchemaType.ARRAY, implementation = SuggestionViews.RefusalView.class,
                    description = "Destinations on the denylist: never suggested") @JsonRawValue String refused,
            @Schema(type = SchemaType.ARRAY, implementation = SuggestionViews.DestinationView.class,
                    description = "Destinations the effective allowlist (accepted and host entries) already covers")
            @JsonRawValue String alreadyAllowed) {
    }

    @JsonPropertyOrder({"id", "cidr", "addresses", "opens", "ports", "protocols", "services", "events", "firstSeen",
        "lastSeen", "state", "stable", "acceptedCidr", "snoozedUntil", "supersededBy", "approvedBy",
        "earlierRejection", "kind", "removal"})
    @Schema(name = "Suggestion")
    public record ReviewSuggestion(
            @Schema(description = "Stable id: 128 bits of SHA-256 over host, instance and CIDR, in hex") String id,
            @Schema(description = "Canonical CIDR suggested", examples = "140.82.112.0/24") String cidr,
            @Schema(type = SchemaType.ARRAY, implementation = SuggestionViews.DestinationView.class,
                    description = "The observed destinations it covers, sorted") @JsonSerialize(using = RawJson.class)
            String addresses,
            @Schema(description = "How many addresses the CIDR opens, observed or not") BigInteger opens,
            List<Integer> ports,
            List<String> protocols,
            List<String> services,
            long events,
            String firstSeen,
            String lastSeen,
            @Schema(enumeration = {"pending", "accepted", "rejected", "snoozed", "superseded", "exported", "merged",
                "deployed", "removed"}, description = "removed: an addition whose entry an accepted removal took out"
                    + " of the generated file") String state,
            @Schema(description = "Passes the stabilisation rule; a pending suggestion that does not is held back"
                    + " (state filter `held`)") boolean stable,
            @Schema(description = "The CIDR in force when accepted (differs from cidr after an edit)") String
                    acceptedCidr,
            String snoozedUntil,
            @Schema(description = "The suggestion that replaced this one") String supersededBy,
            @Schema(description = "Four-eyes: who approved so far while it is still pending") List<String> approvedBy,
            @Schema(description = "The earlier rejection of this destination, when new evidence reopened it")
            DecisionView earlierRejection,
            @Schema(enumeration = {"add", "remove"}, description = "add: allow the CIDR; remove: take an unused"
                    + " entry out of the generated file (see removal)") String kind,
            @Schema(description = "For kind remove: the entry's counter and the notice; null for additions")
            @JsonInclude(JsonInclude.Include.NON_NULL) Removal removal) {
    }

    /** What a removal suggestion rests on, and where its notice stands. */
    @JsonPropertyOrder({"packets", "lastUsed", "unusedSince", "removes", "announcedAt", "removeAfter"})
    @Schema(name = "Removal", description = "A removal suggestion: the generated entry's counter on the host has not"
            + " moved for tuner.policy.removal.unused-after")
    public record Removal(
            @Schema(description = "The entry's packet counter as the host last reported it") long packets,
            @Schema(description = "When the counter was last seen moving (null: never)") String lastUsed,
            @Schema(description = "Unused since: the last use, or the first report for an entry never used") String
                    unusedSince,
            @Schema(description = "The addition (suggestion id) whose entry this removes") String removes,
            @Schema(description = "When the exporter announced the accepted removal in the pull request") String
                    announcedAt,
            @Schema(description = "From when the generated file drops the entry (announcement + notice period)")
            String removeAfter) {
    }

    /** {@code GET /api/v1/unused-entries}. */
    @Schema(name = "UnusedEntries", description = "Entries in force on the hosts whose counter has not moved for"
            + " tuner.policy.removal.unused-after")
    public record UnusedEntries(
            @Schema(description = "tuner.policy.removal.unused-after, ISO-8601") String unusedAfter,
            List<UnusedEntryView> entries) {
    }

    @JsonPropertyOrder({"host", "instance", "cidr", "source", "packets", "firstReported", "lastUsed", "unusedSince",
        "removalId", "removalState"})
    @Schema(name = "UnusedEntry")
    public record UnusedEntryView(
            String host,
            String instance,
            String cidr,
            @Schema(enumeration = {"generated", "hand-written"}, description = "generated: in the exporter's file,"
                    + " reviewed as a removal suggestion; hand-written: the host allows it from the operator's own"
                    + " files, listed for manual removal only") String source,
            long packets,
            String firstReported,
            String lastUsed,
            String unusedSince,
            @Schema(description = "generated: the removal suggestion's id") String removalId,
            @Schema(description = "generated: the removal suggestion's state") String removalState) {
    }

    @JsonPropertyOrder({"id", "suggestionId", "host", "instance", "cidr", "decidedCidr", "outcome", "actor",
        "decidedAt", "comment", "snoozedUntil", "evidence"})
    @Schema(name = "Decision", description = "One entry of the append-only audit trail")
    public record DecisionView(
            long id,
            String suggestionId,
            String host,
            String instance,
            @Schema(description = "The CIDR as suggested") String cidr,
            @Schema(description = "Accepted or approved: the CIDR chosen (an edit, or the suggested one)") String
                    decidedCidr,
            @Schema(enumeration = {"accepted", "approved", "rejected", "snoozed", "withdrawn"}, description =
                    "withdrawn: the service took back a removal suggestion (actor tuner), e.g. the entry was used"
                    + " again") String outcome,
            String actor,
            String decidedAt,
            String comment,
            String snoozedUntil,
            @Schema(type = SchemaType.OBJECT, description = "The suggestion's evidence at that moment") @JsonRawValue
            String evidence) {
    }

    @Schema(name = "DecisionList", description = "Decisions, newest first")
    public record DecisionList(List<DecisionView> decisions) {
    }

    /** {@code GET /api/v1/suggestions/{id}}. */
    @JsonPropertyOrder({"host", "instance", "suggestion", "opens", "observed", "history", "earlierDecisions",
        "impact", "diff"})
    @Schema(name = "SuggestionDetail")
    public record SuggestionDetail(
            String host,
            String instance,
            ReviewSuggestion suggestion,
            @Schema(description = "Addresses the CIDR (or the previewed edit) opens") BigInteger opens,
            @Schema(description = "Of those, addresses observed blocked") int observed,
            @Schema(description = "This suggestion's decisions, newest first") List<DecisionView> history,
            @Schema(description = "Decisions on other suggestions of the instance whose CIDR overlaps this one")
            List<DecisionView> earlierDecisions,
            Impact impact,
            @Schema(description = "Unified diff of the host's generated Nix allowlist file, before and after"
                    + " accepting this suggestion (or the previewed edit)") String diff) {
    }

    @JsonPropertyOrder({"days", "since", "cidr", "blockedEvents", "allowedBySuggestion", "allowedByPatch",
        "patchSuggestions", "allowedNow", "staysBlockedEvents", "staysBlockedDestinations", "staysBlocked"})
    @Schema(name = "Impact", description = "Of the blocked events of the last `days` days (destination_day, UTC)")
    public record Impact(
            int days,
            @Schema(description = "First UTC day counted") String since,
            @Schema(description = "The CIDR previewed") String cidr,
            long blockedEvents,
            @Schema(description = "Events this suggestion would have allowed") long allowedBySuggestion,
            @Schema(description = "Events the instance's whole pending patch (every pending suggestion, this one"
                    + " included) would have allowed") long allowedByPatch,
            int patchSuggestions,
            @Schema(description = "Events to destinations the effective allowlist covers by now") long allowedNow,
            long staysBlockedEvents,
            int staysBlockedDestinations,
            @Schema(description = "The destinations that stay blocked with the patch, most events first (up to 20)")
            List<BlockedDestination> staysBlocked) {
    }

    public record BlockedDestination(String destination, long events) {
    }

    /** The answer to a decision: what was recorded and the suggestion's state after it. */
    @Schema(name = "DecisionResult")
    public record DecisionResult(
            DecisionView decision,
            ReviewSuggestion suggestion,
            @Schema(description = "Four-eyes: approvals still needed before the accept takes effect") int
                    approvalsNeeded) {
    }

    @Schema(name = "BulkResult")
    public record BulkResult(List<DecisionResult> results) {
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    @Schema(name = "AcceptRequest")
    public record AcceptRequest(
            @Schema(description = "Why (optional for an accept)") String comment,
            @Schema(description = "An edited CIDR: narrower or wider, within the guardrails") String cidr) {
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    @Schema(name = "RejectRequest")
    public record RejectRequest(@Schema(required = true, description = "Why: required") String comment) {
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    @Schema(name = "ReverseDnsRequest")
    public record ReverseDnsRequest(@Schema(description = "Observed addresses of the suggestion to look up; all of"
            + " them when absent or empty") List<String> addresses) {
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    @Schema(name = "SnoozeRequest")
    public record SnoozeRequest(
            @Schema(required = true, description = "ISO-8601 instant in the future", examples = "2026-12-01T00:00:00Z")
            String until,
            String comment) {
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    @Schema(name = "BulkRequest", description = "Decide every pending (stable) suggestion of the instance, or the"
            + " listed ones")
    public record BulkRequest(
            @Schema(required = true, enumeration = {"accept", "reject"}) String action,
            @Schema(description = "Required for reject") String comment,
            @Schema(description = "Only these suggestions of the instance (default: every pending, stable one)")
            List<String> ids) {
    }

    /** {@code GET /api/v1/allowlists/{host}} as JSON. */
    @Schema(name = "HostAllowlist")
    public record HostAllowlist(String host, List<InstanceAllowlist> instances) {
    }

    @Schema(name = "InstanceAllowlist")
    public record InstanceAllowlist(String instance, List<AllowlistEntry> entries) {
    }

    @JsonPropertyOrder({"cidr", "source", "suggestionId", "acceptedBy", "acceptedAt", "comment"})
    @Schema(name = "AllowlistEntry")
    public record AllowlistEntry(
            String cidr,
            @Schema(enumeration = {"accepted", "host"}, description = "accepted: by a decision (in the generated"
                    + " file); host: what the host already allows (allowlist_entry)") String source,
            String suggestionId,
            String acceptedBy,
            String acceptedAt,
            String comment) {
    }
}
