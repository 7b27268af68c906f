# The smallest useful host: one opencode server for one project, reachable on loopback.
# Import next to nixosModules.opencode (see nix/README.md and docs/nixos.md).
{
  systemd.tmpfiles.rules = [ "d /srv/my-project 0750 opencode-my-project opencode-my-project - -" ];

  services.opencode = {
    enable = true;
    instances.my-project = {
      directory = "/srv/my-project";
      listen.port = 8787;
      # ANTHROPIC_API_KEY=... lives here, outside the store (sops-nix, agenix, ...).
      environmentFile = "/run/secrets/opencode-my-project.env";
      config = {
        model = "anthropic/claude-sonnet-4-5";
        autoupdate = false;
        share = "disabled";
        provider.anthropic.options.apiKey = "{env:ANTHROPIC_API_KEY}";
      };
    };
  };
}
