# The tuner's policy host: policy service with its exporter, with Kafka (KRaft) and
# PostgreSQL provisioned locally, plus Prometheus and Grafana with the tuner's dashboards.
# Collectors on other hosts send to kafka.listenAddress.
{
  services.opencode-egress-tuner = {
    policy = {
      enable = true;
      listen.port = 8090;
      # TUNER_POLICY_FORGE_TOKEN=... for the exporter's pull requests.
      environmentFile = "/run/secrets/egress-tuner-policy.env";
      kafka = {
        listenAddress = "10.0.0.5";
        openFirewall = true;
      };
      settings."tuner.policy.export.repository" = "git@forge.example.internal:ops/hosts.git";
    };
    # Grafana's PostgreSQL datasource reads the tuner database through a read-only role; its
    # password comes from a file outside the store (readable by root and the grafana user).
    grafana.postgres.passwordFile = "/run/secrets/egress-tuner-grafana-db";
    # This host runs isolated instances too.
    collector.enable = true;
    collector.kafkaBootstrapServers = "10.0.0.5:9092";
  };

  services.prometheus.enable = true;
  services.grafana = {
    enable = true;
    # Grafana refuses to start without a secret key; keep it out of the store.
    settings.security.secret_key = "$__file{/run/secrets/grafana-secret-key}";
  };
}
