# A host with isolated opencode instances ("web1") whose collector sends its blocked-attempt lines to
# the policy host of egress-tuner-host.nix, as the Kafka account collector-web1: that account may
# write only the topics opencode.egress.*.web1, so the policy host knows the records are web1's.
# The policy host lists web1 in policy.kafka.collectors with the same password.
{
  networking.hostName = "web1";

  services.opencode-egress-tuner.collector = {
    enable = true;
    # The policy host's policy.kafka.listenAddress; reach it over a network you trust, or see
    # docs/nixos.md on SASL_PLAINTEXT.
    kafkaBootstrapServers = "10.0.0.5:9092";
    # host = "web1";  (the default: networking.hostName)
    # The password from agenix here (age.secrets.egress-tuner-kafka-collector.file = ...; root,
    # 0400); any file outside the Nix store does.
    kafkaPasswordFile = "/run/agenix/egress-tuner-kafka-collector";
  };

  networking.nftables.enable = true;
  services.opencode = {
    enable = true;
    instances.web = {
      directory = "/srv/web";
      listen.port = 8787;
      networkIsolation = {
        enable = true;
        outboundAllowCidrs = [ "10.10.0.0/16" ];
      };
    };
  };
}
