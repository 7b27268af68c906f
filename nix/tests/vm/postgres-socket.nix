# sandbox.unixSockets.allow: an instance that lists /run/postgresql reaches PostgreSQL over
# the socket with peer authentication; an instance that does not cannot even see the socket.
{ pkgs, self }:
let
  stub = import ./stub.nix pkgs;
in
pkgs.testers.runNixOSTest {
  name = "opencode-postgres-socket";

  nodes.machine =
    { config, ... }:
    {
      imports = [ self.nixosModules.default ];
      environment.systemPackages = [ pkgs.curl ];
      services.postgresql = {
        enable = true;
        ensureDatabases = [ "opencode-db" ];
        ensureUsers = [
          {
            name = "opencode-db";
            ensureDBOwnership = true;
          }
        ];
      };
      systemd.tmpfiles.rules = [
        "d /srv/db 0750 opencode-db opencode-db - -"
        "d /srv/nodb 0750 opencode-nodb opencode-nodb - -"
      ];
      services.opencode = {
        enable = true;
        instances.db = {
          directory = "/srv/db";
          listen.port = 8081;
          package = stub;
          path = [ config.services.postgresql.package ];
          sandbox.unixSockets.allow = [ "/run/postgresql" ];
        };
        instances.nodb = {
          directory = "/srv/nodb";
          listen.port = 8082;
          package = stub;
          path = [ config.services.postgresql.package ];
        };
      };
      # The database and role exist once postgresql.target is reached (postgresql-setup.service).
      systemd.services.opencode-db.after = [ "postgresql.target" ];
    };

  testScript = ''
    machine.wait_for_unit("postgresql.target")
    machine.wait_for_unit("opencode-db.service")
    machine.wait_for_unit("opencode-nodb.service")
    machine.wait_for_open_port(8081)
    machine.wait_for_open_port(8082)
    psql = "run?argv=psql&argv=-h&argv=/run/postgresql&argv=-d&argv=opencode-db&argv=-tAc&argv=select%201"

    with subtest("allowed socket: peer authentication as the instance user"):
        machine.succeed("curl -sf 'http://127.0.0.1:8081/unix?path=/run/postgresql/.s.PGSQL.5432'")
        assert machine.succeed(f"curl -sf 'http://127.0.0.1:8081/{psql}'").strip() == "1"

    with subtest("socket not allowed: invisible"):
        machine.fail("curl -sf 'http://127.0.0.1:8082/unix?path=/run/postgresql/.s.PGSQL.5432'")
        machine.fail(f"curl -sf 'http://127.0.0.1:8082/{psql}'")
  '';
}
