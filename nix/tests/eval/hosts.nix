# Host modules of the module eval checks, shared by module.nix (all of nixpkgs) and
# partial/default.nix (nixpkgs' lib, a few NixOS files and stand-ins).
rec {
  # One opencode instance `name` in /srv/<name>; `extra` adds to its settings.
  namedInstance = name: extra: {
    services.opencode.enable = true;
    services.opencode.instances.${name} = { directory = "/srv/${name}"; } // extra;
  };
  # The instance `web`, in /srv/web.
  instance = namedInstance "web";

  # The Kafka password files of a host with the tuner's parts (paths only: nothing reads them here).
  kafkaPasswords = {
    services.opencode-egress-tuner = {
      collector.kafkaPasswordFile = "/run/secrets/kafka-collector";
      policy.kafka = {
        passwordFile = "/run/secrets/kafka-policy";
        brokerPasswordFile = "/run/secrets/kafka-broker";
        controllerPasswordFile = "/run/secrets/kafka-controller";
      };
    };
  };

  # The tuner's monitoring: its parts on one host with Prometheus and Grafana, which get the
  # scrape jobs, rules and Grafana provisioning (dashboards/README.md).
  monitoredHost = {
    imports = [ kafkaPasswords ];
    networking.hostName = "tuner-host";
    services.opencode-egress-tuner = {
      collector.enable = true;
      policy.enable = true;
      grafana.postgres.passwordFile = "/run/secrets/grafana-db";
    };
    services.prometheus.enable = true;
    services.grafana.enable = true;
    # nixpkgs' Grafana module refuses to evaluate without a secret key; the host's, from a file.
    services.grafana.settings.security.secret_key = "$__file{/run/secrets/grafana-secret-key}";
  };
}
