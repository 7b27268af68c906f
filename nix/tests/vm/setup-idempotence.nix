# The setup unit initialises state once, runs the hooks on every start (in order, telling
# them whether this is the first initialisation), never touches `directory`, and a failing
# hook keeps the server from starting.
{ pkgs, self }:
let
  stub = import ./stub.nix pkgs;
in
pkgs.testers.runNixOSTest {
  name = "opencode-setup-idempotence";

  nodes.machine = {
    imports = [ self.nixosModules.default ];
    environment.systemPackages = [ pkgs.curl ];
    systemd.tmpfiles.rules = [
      "d /srv/idem 0750 opencode-idem opencode-idem - -"
      "f /srv/idem/README 0640 opencode-idem opencode-idem - project file"
      "d /srv/broken 0750 opencode-broken opencode-broken - -"
    ];
    services.opencode = {
      enable = true;
      instances.idem = {
        directory = "/srv/idem";
        listen.port = 8081;
        package = stub;
        preInitScript = ''echo "pre $OPENCODE_FIRST_INIT" >> "$HOME/hooks.log"'';
        postInitScript = ''
          echo "post $OPENCODE_FIRST_INIT" >> "$HOME/hooks.log"
          test -L "$HOME/.config/opencode/opencode.json"
        '';
      };
      instances.broken = {
        directory = "/srv/broken";
        listen.port = 8082;
        package = stub;
        preInitScript = "echo 'hook fails on purpose' >&2; exit 3";
      };
    };
  };

  testScript = ''
    state = "/var/lib/opencode/instance-state/idem"
    machine.wait_for_unit("opencode-idem.service")
    machine.wait_for_open_port(8081)

    tree = "find /srv/idem -printf '%p %s %T@ %m %u\\n' | sort; sha256sum /srv/idem/README"
    before = machine.succeed(tree)

    with subtest("first start initialises and runs both hooks"):
        assert machine.succeed(f"cat {state}/hooks.log") == "pre 1\npost 1\n"
        machine.succeed(f"test -d {state}/.local/share/opencode && test -d {state}/.config/opencode")
        machine.succeed(f"test -f {state}/.opencode-initialized")
        machine.succeed(f"readlink {state}/.config/opencode/opencode.json | grep -q '^/nix/store/'")

    marker = machine.succeed(f"stat -c %Y {state}/.opencode-initialized")
    machine.succeed(f"echo 'kept' > {state}/.local/share/opencode/session")

    with subtest("later starts do not initialise again"):
        machine.succeed("systemctl restart opencode-idem-setup.service opencode-idem.service")
        machine.wait_for_open_port(8081)
        assert machine.succeed(f"cat {state}/hooks.log") == "pre 1\npost 1\npre 0\npost 0\n"
        assert machine.succeed(f"stat -c %Y {state}/.opencode-initialized") == marker
        assert machine.succeed(f"cat {state}/.local/share/opencode/session") == "kept\n"

    with subtest("directory is never touched"):
        assert machine.succeed(tree) == before

    with subtest("a failing hook keeps the server from starting"):
        machine.wait_until_fails("systemctl is-active opencode-broken-setup.service")
        machine.fail("systemctl is-active opencode-broken.service")
        machine.fail("curl -sf --max-time 2 http://127.0.0.1:8082/info")
        machine.succeed("journalctl -u opencode-broken-setup.service | grep -q 'hook fails on purpose'")
  '';
}
