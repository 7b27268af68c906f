# Two instances side by side: own users, units, state directories and ports; stopping one
# leaves the other running.
{ pkgs, self }:
let
  stub = import ./stub.nix pkgs;
in
pkgs.testers.runNixOSTest {
  name = "opencode-multi-instance";

  nodes.machine = {
    imports = [ self.nixosModules.default ];
    environment.systemPackages = [ pkgs.curl ];
    systemd.tmpfiles.rules = [
      "d /srv/alpha 0750 opencode-alpha opencode-alpha - -"
      "d /srv/beta 0750 opencode-beta opencode-beta - -"
    ];
    services.opencode = {
      enable = true;
      instances.alpha = {
        directory = "/srv/alpha";
        listen.port = 8081;
        package = stub;
      };
      instances.beta = {
        directory = "/srv/beta";
        listen.port = 8082;
        package = stub;
        logLevel = "debug";
      };
    };
  };

  testScript = ''
    import json

    machine.wait_for_unit("multi-user.target")

    def info(port):
        return json.loads(machine.succeed(f"curl -sf http://127.0.0.1:{port}/info"))

    for name, port in (("alpha", 8081), ("beta", 8082)):
        machine.wait_for_unit(f"opencode-{name}.service")
        machine.wait_for_open_port(port)
        i = info(port)
        assert i["user"] == f"opencode-{name}", i
        assert i["home"] == f"/var/lib/opencode/instance-state/{name}", i
        assert i["cwd"] == f"/srv/{name}", i
        assert i["env"]["OPENCODE_INSTANCE"] == name, i
        machine.succeed(f"systemctl is-active opencode-{name}-setup.service")
        machine.succeed(f"test \"$(stat -c '%U %G %a' /var/lib/opencode/instance-state/{name})\" = 'opencode-{name} opencode-{name} 700'")
        machine.succeed(f"id -nG opencode-{name} | grep -qx opencode-{name}")

    with subtest("listen address and log level reach the command line"):
        argv = info(8082)["argv"]
        assert argv[argv.index("--hostname") + 1] == "127.0.0.1", argv
        assert argv[argv.index("--port") + 1] == "8082", argv
        assert argv[argv.index("--log-level") + 1] == "DEBUG", argv
        assert "--log-level" not in info(8081)["argv"]

    with subtest("instances are independent"):
        machine.succeed("systemctl stop opencode-alpha.service")
        machine.succeed("curl -sf http://127.0.0.1:8082/info")
        machine.fail("curl -sf http://127.0.0.1:8081/info")
        machine.succeed("systemctl start opencode-alpha.service")
        machine.wait_for_open_port(8081)

    with subtest("the listen port is not open on the external interface"):
        machine.fail("curl -sf --max-time 2 http://$(hostname -I | cut -d' ' -f1):8081/info")
  '';
}
