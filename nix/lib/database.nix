# The PostgreSQL client authentication (pg_hba.conf lines) of the egress tuner's local
# database. nftables cannot filter a Unix socket, so this is what keeps a sandboxed instance
# (or any other local user) out of the tuner's database when it can reach the socket: only
# the policy service's user and the superuser (`postgres` on NixOS) may connect to it over
# the socket, by peer authentication (the kernel vouches for the connecting user, no password
# exists); every other role is rejected for this database, also one that NixOS' own
# catch-all line `local all all peer` would let in (PUBLIC may CONNECT to a new database by
# default). The lines must come before that catch-all: pg_hba.conf is read top-down, the
# first matching line decides.
{
  # tunerDatabaseHba { database = "egress_tuner"; user = "egress_tuner"; } -> the lines.
  # `superuser` is the cluster's administrator, who creates the Grafana role.
  tunerDatabaseHba =
    {
      database,
      user,
      superuser ? "postgres",
    }:
    ''
      local ${database} ${user} peer
      local ${database} ${superuser} peer
      local ${database} all reject
    '';
}
