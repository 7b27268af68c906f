package dev.opencode.tuner.suggest;

import java.util.List;

/**
 * The suggestion engine's answer for one instance on one host.
 *
 * @param events         blocked events seen
 * @param destinations   distinct destinations seen
 * @param suggestions    minimal set of CIDRs covering every destination that is neither refused nor allowed
 * @param refused        destinations on the denylist
 * @param alreadyAllowed destinations the existing allowlist already covers (blocked before it was deployed)
 */
public record InstanceSuggestions(
        String host,
        String instance,
        long events,
        int destinations,
        List<Suggestion> suggestions,
        List<Refusal> refused,
        List<DestinationAggregate> alreadyAllowed) {
}
