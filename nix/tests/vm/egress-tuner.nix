# The tuner's own services: on `tuner`, local Kafka (KRaft, SASL/SCRAM and ACLs) and PostgreSQL
# (peer authentication) provisioned, collector and policy service up and healthy, Prometheus
# scraping them; on `web1`, a collector sending to tuner's broker with its own account, which
# may write only web1's topics. The policy service's metrics, health and OpenAPI are on its loopback
# management port only. Needs the real package, so the Maven dependency hash must be
# set first (docs/nixos.md, "Updating the package hash"); for that reason it is exported as nixosTests.egress-tuner, not a check.
{ pkgs, self }:
let
  # Test passwords, written by tmpfiles at boot (in the store, which a real host must never do:
  # its files come from sops-nix, agenix or the like). No final newline: the broker reads its
  # files verbatim.
  secrets =
    files:
    [ "d /run/secrets 0700 root root -" ]
    ++ pkgs.lib.mapAttrsToList (name: text: "f /run/secrets/${name} 0400 root root - ${text}") files;
  web1Password = "web1-collector-password-0001";
in
pkgs.testers.runNixOSTest {
  name = "opencode-egress-tuner";

  nodes.tuner = {
    imports = [ self.nixosModules.egress-tuner ];
    virtualisation.memorySize = 3072;
    environment.systemPackages = [ pkgs.curl pkgs.apacheKafka ];
    networking.hostName = "tuner";
    systemd.tmpfiles.rules = secrets {
      kafka-broker = "tuner-broker-password-0001";
      kafka-controller = "tuner-controller-password-0001";
      kafka-policy = "tuner-policy-password-0001";
      kafka-collector-tuner = "tuner-collector-password-0001";
      kafka-collector-web1 = web1Password;
    };
    services.prometheus.enable = true;
    services.opencode-egress-tuner = {
      collector = {
        enable = true;
        kafkaPasswordFile = "/run/secrets/kafka-collector-tuner";
      };
      policy = {
        enable = true;
        kafka = {
          listenAddress = "tuner";
          openFirewall = true;
          passwordFile = "/run/secrets/kafka-policy";
          brokerPasswordFile = "/run/secrets/kafka-broker";
          controllerPasswordFile = "/run/secrets/kafka-controller";
          collectors.web1.passwordFile = "/run/secrets/kafka-collector-web1";
        };
      };
    };
  };

  nodes.web1 = {
    imports = [ self.nixosModules.egress-tuner ];
    virtualisation.memorySize = 1024;
    environment.systemPackages = [ pkgs.curl ];
    networking.hostName = "web1";
    systemd.tmpfiles.rules = secrets { kafka-collector = web1Password; };
    services.opencode-egress-tuner.collector = {
      enable = true;
      kafkaBootstrapServers = "tuner:9092";
      kafkaPasswordFile = "/run/secrets/kafka-collector";
    };
  };

  testScript = ''
    start_all()
    tuner.wait_for_unit("apache-kafka.service")
    tuner.wait_for_unit("opencode-egress-tuner-kafka-accounts.service")
    tuner.wait_for_unit("postgresql.service")
    tuner.wait_for_unit("opencode-egress-tuner-policy.service")
    tuner.wait_for_unit("opencode-egress-tuner-collector.service")
    tuner.wait_for_open_port(8090)
    tuner.wait_for_open_port(9421)
    tuner.wait_for_open_port(9401)
    tuner.wait_until_succeeds("curl -sf http://127.0.0.1:9421/q/health/ready")
    tuner.wait_until_succeeds("curl -sf http://127.0.0.1:9401/q/health/ready")
    tuner.succeed("curl -sf http://127.0.0.1:9421/q/metrics | grep -q '^tuner_policy_'")
    tuner.succeed("curl -sf 'http://127.0.0.1:9421/q/openapi?format=json' | grep -q '/api/v1/suggestions'")
    for path in ["/q/metrics", "/q/openapi", "/q/health"]:
        code = tuner.succeed(f"curl -s -o /dev/null -w '%{{http_code}}' http://127.0.0.1:8090{path}").strip()
        assert code == "404", f"{path} on the API port answered {code}"
    # Bound to 127.0.0.1 only, not to every address of the host.
    tuner.fail("curl -sf --max-time 5 http://127.0.0.2:9421/q/health/live")
    tuner.succeed("systemctl show -P SupplementaryGroups opencode-egress-tuner-collector.service | grep -q systemd-journal")
    tuner.succeed("systemctl show -P DynamicUser opencode-egress-tuner-collector.service | grep -qx yes")
    tuner.wait_until_succeeds("curl -sf http://127.0.0.1:9090/api/v1/targets | grep -q '\"scrapeUrl\":\"http://127.0.0.1:9401/q/metrics\"'")
    tuner.wait_until_succeeds("curl -sf http://127.0.0.1:9090/api/v1/targets | grep -q '\"scrapeUrl\":\"http://127.0.0.1:9421/q/metrics\"'")

    # The provisioning made both collectors' accounts and topics; no password in the unit files.
    tuner.succeed("journalctl -u opencode-egress-tuner-kafka-accounts -o cat | grep -qx 'account collector-web1'")
    tuner.succeed("journalctl -u opencode-egress-tuner-kafka-accounts -o cat | grep -qx 'account collector-tuner'")
    tuner.fail("grep -R -e tuner-broker-password-0001 -e ${web1Password} /etc/systemd/system/ $(systemctl show -P FragmentPath apache-kafka.service)")
    # Without a login the broker answers nothing.
    tuner.fail("timeout 60 kafka-topics.sh --bootstrap-server tuner:9092 --list")

    # web1's collector logs in over the network with its own account.
    web1.wait_for_unit("opencode-egress-tuner-collector.service")
    web1.wait_until_succeeds("curl -sf http://127.0.0.1:9401/q/health/ready")
    web1.fail("journalctl -u opencode-egress-tuner-collector -o cat | grep -q -i 'authentication failed'")
  '';
}
