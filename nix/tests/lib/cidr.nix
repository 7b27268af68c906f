# CIDR parsing, canonical form and normalisation: expected/actual pairs.
{ lib }:
let
  canon = text: let r = lib.parseCidr text; in if r.valid then r.canonical else null;
  reason = text: (lib.parseCidr text).error;
in
{
  testIpv4Valid = { expr = canon "10.0.0.0/8"; expected = "10.0.0.0/8"; };
  testIpv4Host = { expr = canon "192.0.2.7/32"; expected = "192.0.2.7/32"; };
  testIpv4Any = { expr = canon "0.0.0.0/0"; expected = "0.0.0.0/0"; };
  testIpv4HostBitsSet = {
    expr = reason "10.0.0.1/8";
    expected = "is not in canonical form (host bits are set); write '10.0.0.0/8'";
  };
  testIpv4LeadingZeroOctet = { expr = reason "010.0.0.0/8"; expected = "is not in canonical form; write '10.0.0.0/8'"; };
  testIpv4LeadingZeroPrefix = { expr = reason "10.0.0.0/08"; expected = "is not in canonical form; write '10.0.0.0/8'"; };
  testIpv4NoPrefix = {
    expr = reason "192.0.2.7";
    expected = "has no prefix length; write '192.0.2.7/32' for a single address";
  };
  testIpv4PrefixTooLong = { expr = reason "10.0.0.0/33"; expected = "has an invalid prefix length '33' (IPv4 allows 0 to 32)"; };
  testIpv4OctetTooLarge = { expr = lib.isValidCidr "256.0.0.0/8"; expected = false; };
  testIpv4TooFewOctets = { expr = lib.isValidCidr "10.0.0/24"; expected = false; };
  testGarbage = {
    expr = reason "example.com";
    expected = "is not an IPv4 or IPv6 CIDR (expected address/prefix-length, e.g. 10.0.0.0/8 or fd00::/8)";
  };
  testEmpty = { expr = lib.isValidCidr ""; expected = false; };
  testTwoSlashes = { expr = lib.isValidCidr "10.0.0.0/8/8"; expected = false; };
  testNotAString = { expr = reason 10; expected = "is not a string"; };

  testIpv6Valid = { expr = canon "fd00::/8"; expected = "fd00::/8"; };
  testIpv6Any = { expr = canon "::/0"; expected = "::/0"; };
  testIpv6Loopback = { expr = canon "::1/128"; expected = "::1/128"; };
  testIpv6Full = { expr = canon "2001:db8:0:1:1:1:1:1/128"; expected = "2001:db8:0:1:1:1:1:1/128"; };
  testIpv6Uppercase = { expr = reason "FD00::/8"; expected = "is not in canonical form; write 'fd00::/8'"; };
  testIpv6LeadingZeros = {
    expr = reason "2001:0db8::/32";
    expected = "is not in canonical form; write '2001:db8::/32'";
  };
  testIpv6Uncompressed = {
    expr = reason "2001:db8:0:0:0:0:0:1/128";
    expected = "is not in canonical form; write '2001:db8::1/128'";
  };
  # RFC 5952 4.2.2: "::" never stands for a single zero group.
  testIpv6SingleZeroGroup = {
    expr = reason "2001:db8::1:1:1:1:1/128";
    expected = "is not in canonical form; write '2001:db8:0:1:1:1:1:1/128'";
  };
  # RFC 5952 4.2.3: the longest run is compressed, the first one on a tie.
  testIpv6LongestRun = { expr = reason "2001:0:0:1:0:0:0:1/128"; expected = "is not in canonical form; write '2001:0:0:1::1/128'"; };
  testIpv6FirstRunOnTie = { expr = canon "2001:db8::1:0:0:1/128"; expected = "2001:db8::1:0:0:1/128"; };
  testIpv6HostBitsSet = {
    expr = reason "fd00:213::11/127";
    expected = "is not in canonical form (host bits are set); write 'fd00:213::10/127'";
  };
  testIpv6PrefixTooLong = { expr = reason "fd00::/129"; expected = "has an invalid prefix length '129' (IPv6 allows 0 to 128)"; };
  testIpv6NoPrefix = { expr = reason "fd00::1"; expected = "has no prefix length; write 'fd00::1/128' for a single address"; };
  testIpv6DoubleCompression = { expr = lib.isValidCidr "1::2::3/64"; expected = false; };
  testIpv6NineGroups = { expr = lib.isValidCidr "1:2:3:4:5:6:7:8:9/64"; expected = false; };
  testIpv6BadGroup = { expr = lib.isValidCidr "fd00::12345/128"; expected = false; };
  testIpv6Zone = { expr = reason "fe80::1%eth0/128"; expected = "has a zone index ('%'), which has no meaning in a firewall rule"; };
  testIpv6EmbeddedIpv4 = { expr = lib.isValidCidr "::ffff:192.0.2.1/128"; expected = false; };

  testCanonicalSuggestion = { expr = lib.canonicalCidr "10.1.2.3/16"; expected = "10.1.0.0/16"; };
  testCanonicalOfGarbage = { expr = lib.canonicalCidr "nope"; expected = null; };

  testNormalizeSortsAndDedupes = {
    expr = lib.normalizeCidrs [ "192.0.2.0/24" "10.0.0.0/8" "fd00::/8" "192.0.2.0/24" "2001:db8::/32" ];
    expected = {
      ipv4 = [ "10.0.0.0/8" "192.0.2.0/24" ];
      ipv6 = [ "2001:db8::/32" "fd00::/8" ];
      covered = [ ];
    };
  };
  # nft refuses overlapping elements in an interval set: the broader entry wins.
  testNormalizeDropsCovered = {
    expr = lib.normalizeCidrs [ "10.1.2.0/24" "10.0.0.0/8" "fd00:1::/32" "fd00::/8" "10.1.2.3/32" ];
    expected = {
      ipv4 = [ "10.0.0.0/8" ];
      ipv6 = [ "fd00::/8" ];
      covered = [
        { cidr = "10.1.2.0/24"; by = "10.0.0.0/8"; }
        { cidr = "10.1.2.3/32"; by = "10.0.0.0/8"; }
        { cidr = "fd00:1::/32"; by = "fd00::/8"; }
      ];
    };
  };
  testNormalizeKeepsAdjacent = {
    expr = (lib.normalizeCidrs [ "10.0.0.128/25" "10.0.0.0/25" ]).ipv4;
    expected = [ "10.0.0.0/25" "10.0.0.128/25" ];
  };
  testNormalizeNumericOrder = {
    expr = (lib.normalizeCidrs [ "10.0.0.0/24" "9.0.0.0/24" "100.0.0.0/24" ]).ipv4;
    expected = [ "9.0.0.0/24" "10.0.0.0/24" "100.0.0.0/24" ];
  };

  testCidrErrorNamesInstanceAndValue = {
    expr = lib.cidrError "web" "10.0.0.1/8";
    expected = "opencode instance 'web': outboundAllowCidrs entry '10.0.0.1/8' is not in canonical form (host bits are set); write '10.0.0.0/8'";
  };
  testCidrErrorNullWhenValid = { expr = lib.cidrError "web" "10.0.0.0/8"; expected = null; };
  testCheckCidrReturnsValue = { expr = lib.checkCidr "web" "fd00::/8"; expected = "fd00::/8"; };
  testCheckCidrThrows = { expr = (builtins.tryEval (lib.checkCidr "web" "fd00::1/8")).success; expected = false; };
}
