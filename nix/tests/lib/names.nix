# Instance names, users, log rate and timeouts: expected/actual pairs.
{ lib }:
let
  valid = lib.isValidInstanceName;
in
{
  testNameSimple = { expr = valid "web"; expected = true; };
  testNameOneLetter = { expr = valid "a"; expected = true; };
  testNameDigitsAndHyphens = { expr = valid "my-project-2"; expected = true; };
  testName22Chars = { expr = valid "abcdefghijklmnopqrstuv"; expected = true; };
  # opencode-<23 characters> is 32 characters: NixOS refuses user and group names over 31.
  testName23Chars = { expr = valid "abcdefghijklmnopqrstuvw"; expected = false; };
  testName24Chars = { expr = valid "abcdefghijklmnopqrstuvwx"; expected = false; };
  testName22CharsTrailingHyphen = { expr = valid "abcdefghijklmnopqrstu-"; expected = false; };
  testMaxLength = { expr = lib.instanceNameMaxLength; expected = 22; };
  testNameUppercase = { expr = valid "Web"; expected = false; };
  testNameLeadingDigit = { expr = valid "1web"; expected = false; };
  testNameLeadingHyphen = { expr = valid "-web"; expected = false; };
  testNameTrailingHyphen = { expr = valid "web-"; expected = false; };
  testNameUnderscore = { expr = valid "my_project"; expected = false; };
  testNameDot = { expr = valid "my.project"; expected = false; };
  testNameSpace = { expr = valid "my project"; expected = false; };
  testNameColon = { expr = valid "web:"; expected = false; };
  testNameEmpty = { expr = valid ""; expected = false; };
  testNameNotString = { expr = valid 3; expected = false; };
  # The user and group opencode-<name> of the longest name stay within NixOS' 31 characters.
  testLongestUserFits = { expr = builtins.stringLength "opencode-abcdefghijklmnopqrstuv"; expected = 31; };
  # The Java parser of the log prefix uses this exact pattern (contract InstanceName).
  testPatternSharedWithJava = { expr = lib.instanceNamePattern; expected = "[a-z]([a-z0-9-]{0,20}[a-z0-9])?"; };

  testReservedNames = {
    expr = lib.reservedInstanceNames;
    expected = [ "egress-tuner-collector" "egress-tuner-grafana-role" "egress-tuner-kafka" "egress-tuner-kafka-accounts" "egress-tuner-nft-state" "egress-tuner-policy" ];
  };
  testReservedNameError = {
    expr = lib.reservedInstanceNameError "egress-tuner-collector";
    expected = "opencode instance name 'egress-tuner-collector' is reserved: opencode-egress-tuner-collector is a unit of the egress tuner (services.opencode-egress-tuner); reserved names: egress-tuner-collector, egress-tuner-grafana-role, egress-tuner-kafka, egress-tuner-kafka-accounts, egress-tuner-nft-state, egress-tuner-policy";
  };
  testReservedNameErrorNullOtherwise = { expr = lib.reservedInstanceNameError "egress-tuner"; expected = null; };

  testNameErrorNamesValue = {
    expr = lib.instanceNameError "Bad_Name";
    expected = "opencode instance name 'Bad_Name' is invalid: expected a lowercase letter, then lowercase letters, digits or '-', not ending in '-', at most 22 characters (it becomes the user and group opencode-<name>, which NixOS limits to 31 characters, the units opencode-<name>.service and opencode-<name>-setup.service, and the log prefix \"opencode-<name>-blocked: \")";
  };
  testCheckInstanceNameReturnsName = { expr = lib.checkInstanceName "web"; expected = "web"; };
  testCheckInstanceNameThrows = { expr = (builtins.tryEval (lib.checkInstanceName "web-")).success; expected = false; };

  testLogPrefix = { expr = lib.logPrefix "my-project"; expected = "opencode-my-project-blocked: "; };

  testErrorsEmptyForValidSpec = {
    expr = lib.egressErrors { web = { user = "opencode-web"; outboundAllowCidrs = [ "10.0.0.0/8" ]; }; };
    expected = [ ];
  };
  testErrorsForRoot = {
    expr = lib.egressErrors { web = { user = "root"; }; };
    expected = [ "opencode instance 'web': user \"root\" is not allowed (confining root would cut the host off)" ];
  };
  testErrorsForUidZero = {
    expr = lib.egressErrors { web = { user = 0; }; };
    expected = [ "opencode instance 'web': user 0 is not allowed (uid must be a positive integer, not root)" ];
  };
  testErrorsMissingUser = { expr = lib.egressErrors { web = { }; }; expected = [ "opencode instance 'web': user is required" ]; };
  testErrorsBadLogRate = {
    expr = lib.egressErrors { web = { user = "u"; logRate = "5 per minute"; }; };
    expected = [ "opencode instance 'web': networkIsolation.logRate \"5 per minute\" is invalid: expected <count>/<second|minute|hour|day|week>, e.g. \"5/minute\"" ];
  };
  testErrorsBadTimeout = {
    expr = lib.egressErrors { web = { user = "u"; blockedTimeout = "7 days"; }; };
    expected = [ "opencode instance 'web': networkIsolation.blockedTimeout \"7 days\" is invalid: expected an nft time such as \"7d\", \"12h\" or \"1d12h\"" ];
  };
  testErrorsUnknownAttribute = {
    expr = lib.egressErrors { web = { user = "u"; outboundAllowCIDRs = [ ]; }; };
    expected = [ "opencode instance 'web': unknown attribute 'outboundAllowCIDRs' (known: user, blockedSetSize, blockedTimeout, deniedLocalPorts, logRate, outboundAllowCidrs)" ];
  };
  testErrorsListEveryBadCidr = {
    expr = lib.egressErrors { web = { user = "u"; outboundAllowCidrs = [ "10.0.0.0/8" "10.0.0.1/8" "nope" ]; }; };
    expected = [
      "opencode instance 'web': outboundAllowCidrs entry '10.0.0.1/8' is not in canonical form (host bits are set); write '10.0.0.0/8'"
      "opencode instance 'web': outboundAllowCidrs entry 'nope' is not an IPv4 or IPv6 CIDR (expected address/prefix-length, e.g. 10.0.0.0/8 or fd00::/8)"
    ];
  };

  testWarnsAboutAnEmptyAllowlist = {
    expr = lib.egressInstanceWarnings "services.opencode.instances.web" { enable = true; outboundAllowCidrs = [ ]; };
    expected = [
      "services.opencode.instances.web.networkIsolation is enabled with an empty outboundAllowCidrs: the instance may reach loopback (and answer connections made to it) and nothing else; every other destination is dropped and logged. Add the destinations it needs, or let the egress tuner suggest them from the blocked attempts."
    ];
  };
  testNoEmptyAllowlistWarningWithoutIsolation = {
    expr = lib.egressInstanceWarnings "services.opencode.instances.web" { enable = false; };
    expected = [ ];
  };
  testWarnsAboutCoveredEntriesAndDefaultRoutes = {
    expr = lib.egressInstanceWarnings "i" { outboundAllowCidrs = [ "0.0.0.0/0" "10.0.0.0/8" ]; };
    expected = [
      "i.networkIsolation.outboundAllowCidrs: 10.0.0.0/8 is covered by 0.0.0.0/0; it is rendered once and counted under 0.0.0.0/0"
      "i.networkIsolation.outboundAllowCidrs contains a default route (0.0.0.0/0 or ::/0): that family is not confined"
    ];
  };
  testNoWarningsForAPlainAllowlist = {
    expr = lib.egressInstanceWarnings "i" { outboundAllowCidrs = [ "10.0.0.0/8" ]; };
    expected = [ ];
  };
}
