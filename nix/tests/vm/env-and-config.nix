# Environment precedence (environment < environmentFile; HOME always stateDir), secrets only
# through the file, `path`, and the generated opencode.json (typed + freeform, nulls
# stripped, $schema injected, model/provider folded in) versus an explicit configFile.
{ pkgs, self }:
let
  stub = import ./stub.nix pkgs;
in
pkgs.testers.runNixOSTest {
  name = "opencode-env-and-config";

  nodes.machine = {
    imports = [ self.nixosModules.default ];
    environment.systemPackages = [ pkgs.curl pkgs.jq ];
    systemd.tmpfiles.rules = [
      "d /srv/env 0750 opencode-env opencode-env - -"
      "d /srv/file 0750 opencode-file opencode-file - -"
      "d /run/secrets 0750 root root - -"
      "f /run/secrets/opencode-env.env 0400 root root - SECRET_TOKEN=s3cr3t-value\\nPLAIN=from-file"
    ];
    services.opencode = {
      enable = true;
      instances.env = {
        directory = "/srv/env";
        listen.port = 8081;
        package = stub;
        environment = {
          PLAIN = "from-environment";
          ONLY_HERE = "yes";
          HOME = "/somewhere-else";
        };
        environmentFile = "/run/secrets/opencode-env.env";
        path = [ pkgs.hello ];
        provider = "anthropic";
        model = "claude-sonnet-4-5";
        config = {
          share = "disabled";
          theme = null;
          experimental.someFlag = true;
        };
      };
      instances.file = {
        directory = "/srv/file";
        listen.port = 8082;
        package = stub;
        model = "ignored";
        configFile = pkgs.writeText "explicit-opencode.json" ''{"theme":"from-file"}'';
      };
    };
  };

  testScript = ''
    import json
    machine.wait_for_unit("opencode-env.service")
    machine.wait_for_unit("opencode-file.service")
    machine.wait_for_open_port(8081)
    machine.wait_for_open_port(8082)
    env = json.loads(machine.succeed("curl -sf http://127.0.0.1:8081/info"))["env"]

    with subtest("environment and its precedence"):
        assert env["ONLY_HERE"] == "yes", env
        assert env["PLAIN"] == "from-file", env  # environmentFile overrides environment
        assert env["HOME"] == "/var/lib/opencode/instance-state/env", env

    with subtest("the secret arrives but is not in the store"):
        assert env["SECRET_TOKEN"] == "s3cr3t-value", env
        machine.fail("grep -rl s3cr3t-value $(systemctl show -P FragmentPath opencode-env.service) /etc/systemd/system/opencode-env*")

    with subtest("path reaches the unit"):
        assert "Hello, world!" in machine.succeed("curl -sf 'http://127.0.0.1:8081/run?argv=hello'")

    with subtest("generated opencode.json"):
        link = "/var/lib/opencode/instance-state/env/.config/opencode/opencode.json"
        machine.succeed(f"readlink {link} | grep -q '^/nix/store/'")
        cfg = json.loads(machine.succeed(f"cat {link}"))
        assert cfg["$schema"] == "https://opencode.ai/config.json", cfg
        assert cfg["model"] == "anthropic/claude-sonnet-4-5", cfg
        assert cfg["share"] == "disabled", cfg
        assert cfg["experimental"] == {"someFlag": True}, cfg
        assert "theme" not in cfg and "small_model" not in cfg, cfg

    with subtest("configFile overrides config, model and provider"):
        cfg = json.loads(machine.succeed("cat /var/lib/opencode/instance-state/file/.config/opencode/opencode.json"))
        assert cfg == {"theme": "from-file"}, cfg
  '';
}
