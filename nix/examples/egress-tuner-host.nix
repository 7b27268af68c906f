# The tuner's policy host ("tuner"): policy service with its exporter, with Kafka (KRaft, SASL/SCRAM
# and ACLs) and PostgreSQL provisioned locally, plus Prometheus and Grafana with the tuner's
# dashboards. Collectors on other hosts (egress-tuner-collector-host.nix is web1) send to
# kafka.listenAddress, each with its own account, which may write only its host's topics.
# The password files come from sops-nix here; any file outside the Nix store does (docs/nixos.md,
# "Kafka accounts and passwords").
{
  networking.hostName = "tuner";

  services.opencode-egress-tuner = {
    policy = {
      enable = true;
      listen.port = 8090;
      # TUNER_POLICY_FORGE_TOKEN=... for the exporter's pull requests.
      environmentFile = "/run/secrets/egress-tuner-policy.env";
      kafka = {
        listenAddress = "10.0.0.5";
        openFirewall = true;
        passwordFile = "/run/secrets/egress-tuner/kafka-policy";
        brokerPasswordFile = "/run/secrets/egress-tuner/kafka-broker";
        controllerPasswordFile = "/run/secrets/egress-tuner/kafka-controller";
        # Each collector host's account: the same password as that host's collector.kafkaPasswordFile.
        collectors = {
          web1.passwordFile = "/run/secrets/egress-tuner/kafka-collector-web1";
          web2.passwordFile = "/run/secrets/egress-tuner/kafka-collector-web2";
        };
      };
      settings."tuner.policy.export.repository" = "git@forge.example.internal:ops/hosts.git";
    };
    # Grafana's PostgreSQL datasource reads the tuner database through a read-only role; its
    # password comes from a file outside the store (readable by root and the grafana user).
    grafana.postgres.passwordFile = "/run/secrets/egress-tuner-grafana-db";
    # This host runs isolated instances too: its collector (account collector-tuner, provisioned
    # with the others) sends to the local broker.
    collector = {
      enable = true;
      kafkaPasswordFile = "/run/secrets/egress-tuner/kafka-collector-tuner";
    };
  };

  # sops-nix would declare the files, e.g.
  #   sops.secrets."egress-tuner/kafka-broker" = { };
  # (owner root, mode 0400: systemd reads them and hands them to the units as credentials).

  services.prometheus.enable = true;
  services.grafana = {
    enable = true;
    # Grafana refuses to start without a secret key; keep it out of the store.
    settings.security.secret_key = "$__file{/run/secrets/grafana-secret-key}";
  };
}
