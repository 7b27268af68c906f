# A host with two isolated instances. The allowlist of `web` comes from two files whose
# lists merge: a hand-written base (allowlist-base.nix) and the list the egress tuner's
# exporter generated and a reviewer accepted (allowlist-generated.nix, replaced as a whole
# by each export pull request). Neither file has to know about the other.
{ pkgs, ... }:
{
  imports = [
    ./allowlist-base.nix
    ./allowlist-generated.nix
  ];

  # The egress policy is an nftables table; the NixOS firewall keeps its own table beside it.
  networking.nftables.enable = true;
  networking.firewall.enable = true;

  systemd.tmpfiles.rules = [
    "d /srv/web 0750 opencode-web opencode-web - -"
    "d /srv/batch 0750 opencode-batch opencode-batch - -"
  ];

  services.opencode = {
    enable = true;

    instances.web = {
      directory = "/srv/web";
      listen = {
        address = "0.0.0.0";
        port = 8787;
      };
      openFirewall = true;
      environmentFile = "/run/secrets/opencode-web.env";
      path = [ pkgs.git pkgs.ripgrep ];
      networkIsolation.enable = true; # the CIDRs come from the two imported files
      config.model = "anthropic/claude-sonnet-4-5";
    };

    instances.batch = {
      directory = "/srv/batch";
      listen.port = 8788;
      environmentFile = "/run/secrets/opencode-batch.env";
      networkIsolation = {
        enable = true;
        outboundAllowCidrs = [ "10.20.0.0/16" ];
        logRate = "30/minute"; # a busier instance: a larger sample
      };
    };
  };

  # The collector ships the blocked-attempt lines of this host to the tuner.
  # Its Kafka account, collector-<networking.hostName>, must be listed with the same password on
  # the policy host (see ../egress-tuner-host.nix).
  services.opencode-egress-tuner.collector = {
    enable = true;
    kafkaBootstrapServers = "tuner.example.internal:9092";
    kafkaPasswordFile = "/run/secrets/egress-tuner-kafka-collector";
  };
}
