# pg_hba.conf lines of the tuner's local database.
{ lib }:
{
  testTunerDatabaseHba = {
    expr = lib.tunerDatabaseHba { database = "egress_tuner"; user = "egress_tuner"; };
    expected = ''
      local egress_tuner egress_tuner peer
      local egress_tuner postgres peer
      local egress_tuner all reject
    '';
  };
  testTunerDatabaseHbaOtherSuperuser = {
    expr = lib.tunerDatabaseHba { database = "t"; user = "t"; superuser = "pgadmin"; };
    expected = "local t t peer\nlocal t pgadmin peer\nlocal t all reject\n";
  };
}
