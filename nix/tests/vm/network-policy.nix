# The egress policy on a real NixOS host: an isolated instance reaches exactly its allowlist
# (IPv4 and IPv6), the rest is dropped, logged to the journal with the prefix and the UID
# (rate-limited) and counted per destination; a denied local port is refused to it on every
# local address while loopback stays open; other instances and users are untouched; the
# NixOS firewall keeps working beside the table; the server does not run without its policy.
{ pkgs, self }:
let
  stub = import ./stub.nix pkgs;
  web = port: {
    description = "test web server on port ${toString port}";
    wantedBy = [ "multi-user.target" ];
    serviceConfig.ExecStart = "${pkgs.python3}/bin/python3 -m http.server ${toString port} --bind ::";
  };
in
pkgs.testers.runNixOSTest {
  name = "opencode-network-policy";

  nodes.server = {
    networking.interfaces.eth1 = {
      ipv4.addresses = [
        { address = "192.168.1.2"; prefixLength = 24; }
        { address = "192.168.1.3"; prefixLength = 24; }
      ];
      ipv6.addresses = [
        { address = "fd00:1::2"; prefixLength = 64; }
        { address = "fd00:1::3"; prefixLength = 64; }
      ];
    };
    networking.firewall.allowedTCPPorts = [ 80 ];
    systemd.services.web = web 80;
    environment.systemPackages = [ pkgs.curl ];
  };

  nodes.machine = {
    imports = [ self.nixosModules.default ];
    networking.interfaces.eth1 = {
      ipv4.addresses = [ { address = "192.168.1.1"; prefixLength = 24; } ];
      ipv6.addresses = [ { address = "fd00:1::1"; prefixLength = 64; } ];
    };
    networking.nftables.enable = true;
    networking.firewall.enable = true;
    environment.systemPackages = [ pkgs.curl pkgs.jq ];
    # A local service the restricted instance must not talk to.
    systemd.services.local-web = web 8095;
    systemd.tmpfiles.rules = [
      "d /srv/restricted 0750 opencode-restricted opencode-restricted - -"
      "d /srv/open 0750 opencode-open opencode-open - -"
    ];
    services.opencode = {
      enable = true;
      instances.restricted = {
        directory = "/srv/restricted";
        listen = { address = "0.0.0.0"; port = 8091; };
        package = stub;
        networkIsolation = {
          enable = true;
          outboundAllowCidrs = [ "192.168.1.2/32" "fd00:1::2/128" ];
          deniedLocalPorts = [ 8095 ];
        };
      };
      instances.open = {
        directory = "/srv/open";
        listen = { address = "0.0.0.0"; port = 8090; };
        openFirewall = true;
        package = stub;
      };
    };
  };

  testScript = ''
    import json
    import time
    start_all()
    server.wait_for_unit("web.service")
    server.wait_for_open_port(80)
    machine.wait_for_unit("nftables.service")
    machine.wait_for_unit("opencode-restricted.service")
    machine.wait_for_unit("opencode-open.service")
    machine.wait_for_open_port(8091)
    machine.wait_for_open_port(8090)
    uid = machine.succeed("id -u opencode-restricted").strip()

    def connect(port, host):
        code = machine.succeed(
            f"curl -s -o /dev/null -w '%{{http_code}}' 'http://127.0.0.1:{port}/connect?host={host}&port=80'"
        ).strip()
        return code == "200"

    with subtest("the policy is loaded as one table beside the firewall's"):
        tables = machine.succeed("nft list tables")
        assert "table inet opencode-egress" in tables, tables
        assert "table inet nixos-fw" in tables, tables
        machine.succeed("opencode-check-egress restricted opencode-restricted")
        machine.fail("opencode-check-egress open opencode-open")

    with subtest("the isolated instance reaches exactly its allowlist"):
        assert connect(8091, "192.168.1.2")
        assert connect(8091, "fd00:1::2")
        assert not connect(8091, "192.168.1.3")
        assert not connect(8091, "fd00:1::3")

    with subtest("loopback works"):
        assert machine.succeed("curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:8091/connect?host=127.0.0.1&port=8090'").strip() == "200"

    with subtest("a denied local port is refused to the isolated instance only"):
        machine.wait_for_open_port(8095)
        def reaches(port, host, dport):
            return machine.succeed(
                f"curl -s -o /dev/null -w '%{{http_code}}' 'http://127.0.0.1:{port}/connect?host={host}&port={dport}'"
            ).strip() == "200"
        for host in ["127.0.0.1", "127.0.0.2", "::1", "192.168.1.1", "fd00:1::1"]:
            assert not reaches(8091, host, 8095), host
            assert reaches(8090, host, 8095), host
        assert reaches(8091, "127.0.0.1", 8090)
        machine.succeed("curl -sf --max-time 5 http://127.0.0.1:8095/")
        machine.succeed("opencode-check-egress restricted opencode-restricted 8095")
        machine.succeed("systemctl show -P ExecStartPre opencode-restricted.service | grep -q 'opencode-check-egress restricted opencode-restricted 8095'")
        machine.wait_until_succeeds(f"journalctl -k -o cat | grep -E '^opencode-restricted-local-denied: IN= OUT=lo .*DPT=8095 .*UID={uid} '")
        assert "DPT=8095" not in machine.succeed("journalctl -k -o cat | grep '^opencode-restricted-blocked: ' || true")

    with subtest("other instances and users are untouched"):
        assert connect(8090, "192.168.1.3")
        assert connect(8090, "fd00:1::3")
        machine.succeed("curl -sf --max-time 5 http://192.168.1.3/")

    with subtest("blocked attempts are logged with the prefix and the UID"):
        machine.wait_until_succeeds(f"journalctl -k -o cat | grep -E '^opencode-restricted-blocked: IN= OUT=eth1 .*DST=192.168.1.3 .*DPT=80 .*UID={uid} '")
        machine.succeed(f"journalctl -k -o cat | grep -E '^opencode-restricted-blocked: .*DST=fd00:0001:0000:0000:0000:0000:0000:0003 .*UID={uid} '")
        journal = machine.succeed("journalctl -k -o json | jq -r 'select(.MESSAGE | startswith(\"opencode-restricted-blocked: \")) | .PRIORITY' | sort -u")
        assert journal.strip() == "4", journal  # nft's default log level: warn

    with subtest("the dynamic sets count every blocked destination"):
        def elements(name):
            doc = json.loads(machine.succeed(f"nft -j list set inet opencode-egress {name}"))
            s = next(i["set"] for i in doc["nftables"] if "set" in i)
            return {e["elem"]["val"]: e["elem"]["counter"]["packets"] for e in s.get("elem", [])}
        v4 = elements("blocked4_restricted")
        assert "192.168.1.3" in v4 and v4["192.168.1.3"] >= 1, v4
        assert "192.168.1.2" not in v4, v4
        assert "fd00:1::3" in elements("blocked6_restricted")

    with subtest("the log is rate-limited, the counters are not"):
        before = int(machine.succeed("journalctl -k -o cat | grep -c '^opencode-restricted-blocked: ' || true"))
        packets = elements("blocked4_restricted")["192.168.1.3"]
        started = time.monotonic()
        for _ in range(20):
            connect(8091, "192.168.1.3")
        elapsed = time.monotonic() - started
        logged = int(machine.succeed("journalctl -k -o cat | grep -c '^opencode-restricted-blocked: ' || true")) - before
        counted = elements("blocked4_restricted")["192.168.1.3"] - packets
        # 5/minute with a burst of 5: at most the burst plus one line per 12 s
        allowed = 5 + int(elapsed // 12) + 1
        assert logged <= allowed, f"{logged} lines for 20 attempts in {elapsed:.0f} s (at most {allowed})"
        assert counted >= 20, f"only {counted} packets counted for 20 attempts"

    with subtest("allowlist entries have their own counters"):
        doc = json.loads(machine.succeed("nft -j list set inet opencode-egress allow4_restricted"))
        s = next(i["set"] for i in doc["nftables"] if "set" in i)
        assert s["elem"][0]["elem"]["counter"]["packets"] >= 1, s

    with subtest("inbound: only an opened listen port is reachable"):
        server.succeed("curl -sf --max-time 5 http://192.168.1.1:8090/info")
        server.fail("curl -sf --max-time 5 http://192.168.1.1:8091/info")

    with subtest("no server without its policy"):
        machine.succeed("nft delete table inet opencode-egress")
        machine.fail("systemctl restart opencode-restricted.service")
        machine.succeed("journalctl -u opencode-restricted.service | grep -q 'egress policy not active'")
        machine.succeed("systemctl restart nftables.service")
        machine.succeed("systemctl start opencode-restricted.service")
        machine.wait_for_open_port(8091)
        machine.succeed("systemctl stop nftables.service")
        machine.wait_until_fails("systemctl is-active opencode-restricted.service")
        machine.succeed("systemctl is-active opencode-open.service")
  '';
}
