package dev.opencode.tuner.hoststate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reader against the JSON shapes nft 1.0.6 prints for the table nix/lib renders (taken from `nft -j list table
 * inet opencode-egress` after an unprivileged user's connections in a test namespace; the live integration test reads
 * the real command's output), and against shapes it must survive.
 */
class NftTableReaderTest {
    private static final Instant T = Instant.parse("2026-11-25T12:00:00Z");

    static String set(String name, String type, String elements) {
        return "{\"set\": {\"family\": \"inet\", \"name\": \"" + name + "\", \"table\": \"opencode-egress\", \"type\": \""
                + type + "\", \"handle\": 3, \"flags\": [\"interval\"]" + (elements == null ? "" : ", \"elem\": ["
                + elements + "]") + ", \"stmt\": [{\"counter\": null}]}}";
    }

    static String table(String... sets) {
        return "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\","
                + " \"json_schema_version\": 1}}, {\"table\": {\"family\": \"inet\", \"name\": \"opencode-egress\","
                + " \"handle\": 2}}" + (sets.length == 0 ? "" : ", " + String.join(", ", sets)) + "]}";
    }

    @Test
    void readsAllowEntriesWithCountersAndExactBlockedDestinations() {
        String json = table(
                set("allow4_web", "ipv4_addr", "{\"elem\": {\"val\": {\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": 8}},"
                        + " \"counter\": {\"packets\": 1, \"bytes\": 60}}}, {\"elem\": {\"val\": \"151.101.0.223\","
                        + " \"counter\": {\"packets\": 0, \"bytes\": 0}}}"),
                set("allow6_web", "ipv6_addr", "{\"elem\": {\"val\": \"2606:50c0:8000::154\", \"counter\":"
                        + " {\"packets\": 3, \"bytes\": 240}}}"),
                set("blocked4_web", "ipv4_addr", "{\"elem\": {\"val\": \"192.0.2.5\", \"expires\": 604796, \"counter\":"
                        + " {\"packets\": 2, \"bytes\": 120}}}"),
                set("blocked6_web", "ipv6_addr", null),
                set("allow4_docs", "ipv4_addr", null));
        HostState state = NftTableReader.read("vm-1", T, json);
        assertThat(state.problems()).isEmpty();
        assertThat(state.instances()).extracting(HostState.InstanceState::instance).containsExactly("docs", "web");
        HostState.InstanceState web = state.instances().get(1);
        assertThat(web.allow()).containsExactly(new HostState.AllowCounter("10.0.0.0/8", 1, 60),
                new HostState.AllowCounter("151.101.0.223/32", 0, 0),
                new HostState.AllowCounter("2606:50c0:8000::154/128", 3, 240));
        assertThat(web.blocked()).containsExactly(new HostState.BlockedDestination("192.0.2.5", 2, 120, 604796));
        assertThat(state.instances().get(0).allow()).isEmpty();
    }

    @Test
    void rangesBecomeTheirPrefixBlocks() {
        HostState state = NftTableReader.read("vm-1", T, table(set("allow4_web", "ipv4_addr",
                "{\"elem\": {\"val\": {\"range\": [\"192.0.2.0\", \"192.0.2.5\"]}, \"counter\": {\"packets\": 0,"
                        + " \"bytes\": 0}}}")));
        assertThat(state.instances().get(0).allow()).extracting(HostState.AllowCounter::cidr)
                .containsExactly("192.0.2.0/30", "192.0.2.4/31");
    }

    @Test
    void aMissingTableOrAnotherShapeIsAProblemNeverAnException() {
        assertThat(NftTableReader.read("vm-1", T, "{\"nftables\": [{\"metainfo\": {}}]}").problems())
                .containsExactly("table inet opencode-egress is not in nft's output");
        assertThat(NftTableReader.read("vm-1", T, "Error: No such file or directory").problems().get(0))
                .startsWith("nft printed no JSON");
        assertThat(NftTableReader.read("vm-1", T, "[1, 2]").problems()).containsExactly(
                "nft's JSON has no \"nftables\" array");
        HostState odd = NftTableReader.read("vm-1", T, table(
                set("allow4_Bad Name", "ipv4_addr", null),
                set("allow4_web", "ipv6_addr", null),
                set("counters", "ipv4_addr", null),
                set("allow4_docs", "ipv4_addr", "{\"elem\": {\"val\": \"2001:db8::1\"}}, \"not-an-address\","
                        + " {\"elem\": {\"val\": \"192.0.2.9\"}}"),
                set("blocked4_docs", "ipv4_addr", "{\"elem\": {\"val\": {\"prefix\": {\"addr\": \"192.0.2.0\", \"len\":"
                        + " 24}}}}")));
        assertThat(odd.problems()).hasSize(6).allSatisfy(p -> assertThat(p).startsWith("set "));
        assertThat(odd.instances()).hasSize(1);
        assertThat(odd.instances().get(0).allow()).containsExactly(new HostState.AllowCounter("192.0.2.9/32", 0, 0));
    }

    @Test
    void theJsonFormRoundTripsAndNamesTheBadField() throws Exception {
        HostState state = new HostState("vm-1", T, List.of("set x: odd"), List.of(new HostState.InstanceState("web",
                List.of(new HostState.AllowCounter("10.0.0.0/8", 1, 60)),
                List.of(new HostState.BlockedDestination("192.0.2.5", 2, 120, 600)))));
        assertThat(HostStateJson.read(HostStateJson.write(state))).isEqualTo(state);
        String bad = HostStateJson.write(state).replace("\"web\"", "\"Web!\"");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostStateJson.read(bad))
                .hasMessageStartingWith("instances[0].instance: 'Web!' is not");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostStateJson.read("{\"schemaVersion\": 2}"))
                .hasMessageStartingWith("schemaVersion: expected 1");
    }
}
