# The tuner's own services on one host: local Kafka (KRaft) and PostgreSQL (peer
# authentication) provisioned, collector and policy service up and healthy, Prometheus
# scraping them (the policy service on its loopback management port, which is the only
# port with its metrics, health and OpenAPI). Needs the real package, so the Maven dependency hash must be set first
# (nix/README.md); for that reason it is exported as nixosTests.egress-tuner, not a check.
{ pkgs, self }:
pkgs.testers.runNixOSTest {
  name = "opencode-egress-tuner";

  nodes.machine = {
    imports = [ self.nixosModules.egress-tuner ];
    virtualisation.memorySize = 3072;
    environment.systemPackages = [ pkgs.curl ];
    services.prometheus.enable = true;
    services.opencode-egress-tuner = {
      collector.enable = true;
      policy.enable = true;
    };
  };

  testScript = ''
    machine.wait_for_unit("apache-kafka.service")
    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("opencode-egress-tuner-policy.service")
    machine.wait_for_unit("opencode-egress-tuner-collector.service")
    machine.wait_for_open_port(8090)
    machine.wait_for_open_port(9421)
    machine.wait_for_open_port(9401)
    machine.wait_until_succeeds("curl -sf http://127.0.0.1:9421/q/health/ready")
    machine.wait_until_succeeds("curl -sf http://127.0.0.1:9401/q/health/ready")
    machine.succeed("curl -sf http://127.0.0.1:9421/q/metrics | grep -q '^tuner_policy_'")
    machine.succeed("curl -sf 'http://127.0.0.1:9421/q/openapi?format=json' | grep -q '/api/v1/suggestions'")
    for path in ["/q/metrics", "/q/openapi", "/q/health"]:
        code = machine.succeed(f"curl -s -o /dev/null -w '%{{http_code}}' http://127.0.0.1:8090{path}").strip()
        assert code == "404", f"{path} on the API port answered {code}"
    # Bound to 127.0.0.1 only, not to every address of the host.
    machine.fail("curl -sf --max-time 5 http://127.0.0.2:9421/q/health/live")
    machine.succeed("systemctl show -P SupplementaryGroups opencode-egress-tuner-collector.service | grep -q systemd-journal")
    machine.succeed("systemctl show -P DynamicUser opencode-egress-tuner-collector.service | grep -qx yes")
    machine.wait_until_succeeds("curl -sf http://127.0.0.1:9090/api/v1/targets | grep -q '\"scrapeUrl\":\"http://127.0.0.1:9401/q/metrics\"'")
    machine.wait_until_succeeds("curl -sf http://127.0.0.1:9090/api/v1/targets | grep -q '\"scrapeUrl\":\"http://127.0.0.1:9421/q/metrics\"'")
  '';
}
