package dev.opencode.tuner.policy.app.evidence;

/**
 * One published range of a provider: {@code provider} is {@code aws}, {@code google} or {@code github};
 * {@code service} is AWS' service, Google's service or GitHub's key ({@code actions}, {@code hooks}, ...);
 * {@code region} is AWS' region or Google's scope, null where the file has none (GitHub).
 */
public record ProviderRange(String cidr, String provider, String service, String region) {
}
