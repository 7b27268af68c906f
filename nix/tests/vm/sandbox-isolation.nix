# The sandbox seen from inside a running instance (the stub answers probes as the unit):
# writable only directory and stateDir, other instances' state invisible, homes and /run
# hidden unless allowed, no privileges, only the listen port bindable.
{ pkgs, self }:
let
  stub = import ./stub.nix pkgs;
in
pkgs.testers.runNixOSTest {
  name = "opencode-sandbox-isolation";

  nodes.machine = {
    imports = [ self.nixosModules.default ];
    environment.systemPackages = [ pkgs.curl ];
    systemd.tmpfiles.rules = [
      "d /srv/alpha 0750 opencode-alpha opencode-alpha - -"
      "d /srv/beta 0750 opencode-beta opencode-beta - -"
      "d /home/shared 0755 root root - -"
      "f /home/shared/readme 0644 root root - shared notes"
      "d /srv/scratch 0777 root root - -"
    ];
    services.opencode = {
      enable = true;
      instances.alpha = {
        directory = "/srv/alpha";
        listen.port = 8081;
        package = stub;
        sandbox.readOnlyPaths = [ "/home/shared" ];
        sandbox.readWritePaths = [ "/srv/scratch" ];
      };
      instances.beta = {
        directory = "/srv/beta";
        listen.port = 8082;
        package = stub;
      };
    };
  };

  testScript = ''
    machine.wait_for_unit("opencode-alpha.service")
    machine.wait_for_unit("opencode-beta.service")
    machine.wait_for_open_port(8081)
    machine.wait_for_open_port(8082)

    def probe(port, what):
        return machine.succeed(f"curl -s -o /dev/null -w '%{{http_code}}' 'http://127.0.0.1:{port}/{what}'").strip()

    def allowed(port, what):
        code = probe(port, what)
        assert code == "200", f"{what} on {port}: expected 200, got {code}"

    def denied(port, what):
        code = probe(port, what)
        assert code != "200", f"{what} on {port}: expected a refusal, got {code}"

    with subtest("own directory, own state and listed paths are writable"):
        allowed(8081, "write?path=/srv/alpha/probe")
        allowed(8081, "write?path=/var/lib/opencode/instance-state/alpha/probe")
        allowed(8081, "write?path=/srv/scratch/probe")

    with subtest("the rest of the file system is read-only"):
        denied(8081, "write?path=/etc/probe")
        denied(8081, "write?path=/var/lib/probe")
        denied(8081, "write?path=/srv/beta/probe")

    with subtest("another instance's state is invisible"):
        denied(8081, "read?path=/var/lib/opencode/instance-state/beta/.opencode-initialized")
        denied(8082, "read?path=/var/lib/opencode/instance-state/alpha/.opencode-initialized")
        allowed(8082, "read?path=/var/lib/opencode/instance-state/beta/.opencode-initialized")

    with subtest("homes are hidden unless listed, and listed ones stay read-only"):
        allowed(8081, "read?path=/home/shared/readme")
        denied(8081, "write?path=/home/shared/probe")
        denied(8082, "read?path=/home/shared/readme")

    with subtest("/tmp is private"):
        allowed(8081, "write?path=/tmp/probe")
        machine.fail("test -e /tmp/probe")

    with subtest("/run is empty but for name service and journal; the nix daemon is hidden"):
        denied(8081, "read?path=/run/current-system/nixos-version")
        denied(8081, "unix?path=/nix/var/nix/daemon-socket/socket")
        allowed(8081, "run?argv=getent&argv=passwd&argv=opencode-alpha")

    with subtest("only the listen port can be bound"):
        denied(8081, "bind?port=9999")

    with subtest("no privileges"):
        for prop, want in (("NoNewPrivileges", "yes"), ("CapabilityBoundingSet", ""), ("ProtectSystem", "strict"),
                           ("ProtectHome", "read-only"), ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
                           ("ProtectProc", "invisible"), ("UMask", "0077")):
            got = machine.succeed(f"systemctl show -P {prop} opencode-alpha.service").strip()
            if prop == "ProtectHome":
                # "tmpfs" for alpha (a home path is bound in), "yes" for beta
                assert got == "tmpfs", got
                got = machine.succeed("systemctl show -P ProtectHome opencode-beta.service").strip()
                assert got == "yes", got
                continue
            assert got == want, f"{prop}: {got!r} != {want!r}"
        machine.log(machine.succeed("systemd-analyze security opencode-alpha.service || true"))
  '';
}
