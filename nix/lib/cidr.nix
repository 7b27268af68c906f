# CIDR parsing, canonical form and containment for IPv4 and IPv6, builtins only.
#
# Canonical form is what nft prints back and what the exporter writes, so that an allowlist
# entry has exactly one spelling:
#   - always `address/prefix-length`, host bits zero, prefix length without leading zeros;
#   - IPv4: dotted quad, octets without leading zeros;
#   - IPv6: RFC 5952 (lowercase, no leading zeros in a group, the longest run of two or
#     more zero groups written as "::", the first such run on a tie).
let
  i = import ./internal.nix;
  inherit (builtins)
    elemAt
    genList
    length
    match
    ;

  invalidSyntax = "is not an IPv4 or IPv6 CIDR (expected address/prefix-length, e.g. 10.0.0.0/8 or fd00::/8)";

  # Keep the first `prefix` bits of a list of `bits`-wide words.
  maskWords =
    bits: prefix: words:
    genList (
      k:
      let
        keep = i.clamp 0 bits (prefix - k * bits);
        full = i.pow2 bits;
      in
      builtins.bitAnd (elemAt words k) (full - i.pow2 (bits - keep))
    ) (length words);

  parseV4Address =
    s:
    let
      m = match "([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})" s;
      octets = map i.fromDecimal m;
    in
    if m == null || !(i.all (o: o <= 255) octets) then null
    else { words = octets; };

  formatV4 = words: i.join "." (map toString words);

  parseV6Address =
    s:
    let
      halves = i.splitOn "::" s;
      groupsOf = part: if part == "" then [ ] else i.splitOn ":" part;
      validGroup = g: match "[0-9a-fA-F]{1,4}" g != null;
      head = groupsOf (elemAt halves 0);
      tail = groupsOf (elemAt halves 1);
      written =
        if length halves == 1 then (if length head == 8 then head else null)
        else if length halves == 2 && length head + length tail <= 7 then
          head ++ genList (_: "0") (8 - length head - length tail) ++ tail
        else null;
    in
    if written == null || !(i.all validGroup written) then null
    else { words = map i.fromHex written; };

  formatV6 =
    words:
    let
      # Longest run of zero groups (length >= 2), leftmost on a tie.
      best = builtins.foldl' (
        acc: k:
        let
          isZero = elemAt words k == 0;
          runStart = if isZero then (if acc.curLen == 0 then k else acc.curStart) else 0;
          runLen = if isZero then acc.curLen + 1 else 0;
          better = runLen > acc.bestLen;
        in
        {
          curStart = runStart;
          curLen = runLen;
          bestStart = if better then runStart else acc.bestStart;
          bestLen = if better then runLen else acc.bestLen;
        }
      ) { curStart = 0; curLen = 0; bestStart = 0; bestLen = 0; } (genList (k: k) 8);
      hex = map i.toHex words;
      slice = from: to: genList (k: elemAt hex (from + k)) (to - from);
    in
    if best.bestLen < 2 then i.join ":" hex
    else
      i.join ":" (slice 0 best.bestStart) + "::" + i.join ":" (slice (best.bestStart + best.bestLen) 8);

  families = {
    "4" = { bits = 8; maxPrefix = 32; parse = parseV4Address; format = formatV4; };
    "6" = { bits = 16; maxPrefix = 128; parse = parseV6Address; format = formatV6; };
  };

  parseWith =
    family: text: addressText: prefixText:
    let
      f = families.${toString family};
      address = f.parse addressText;
      prefixOk = prefixText != null && match "[0-9]{1,3}" prefixText != null;
      prefix = i.fromDecimal prefixText;
      networkWords = maskWords f.bits prefix address.words;
      canonical = "${f.format networkWords}/${toString prefix}";
      fail = error: { valid = false; inherit error text; };
    in
    if address == null then fail invalidSyntax
    else if prefixText == null then
      fail "has no prefix length; write '${f.format address.words}/${toString f.maxPrefix}' for a single address"
    else if !prefixOk || prefix > f.maxPrefix then
      fail "has an invalid prefix length '${prefixText}' (IPv${toString family} allows 0 to ${toString f.maxPrefix})"
    else if canonical != text then
      fail "is not in canonical form${if networkWords != address.words then " (host bits are set)" else ""}; write '${canonical}'"
    else {
      valid = true;
      error = null;
      inherit family prefix canonical text;
      words = networkWords;
    };
in
rec {
  # { valid = true; family = 4|6; prefix; words; canonical; text; }
  # or { valid = false; error = "<reason, to follow the quoted value>"; text; }
  parseCidr =
    text:
    let
      parts = i.splitOn "/" text;
      addressText = elemAt parts 0;
      prefixText = if length parts == 2 then elemAt parts 1 else null;
    in
    if !builtins.isString text then { valid = false; error = "is not a string"; text = builtins.toJSON text; }
    else if length parts > 2 || text == "" then { valid = false; error = invalidSyntax; inherit text; }
    else if match ".*%.*" addressText != null then
      { valid = false; error = "has a zone index ('%'), which has no meaning in a firewall rule"; inherit text; }
    else if match ".*:.*" addressText != null then
      (if match ".*\\..*" addressText != null then
        { valid = false; error = "uses IPv4-embedded IPv6 notation, which is not supported; write the IPv4 CIDR instead, or the IPv6 address in hexadecimal groups"; inherit text; }
      else parseWith 6 text addressText prefixText)
    else parseWith 4 text addressText prefixText;

  isValidCidr = text: (parseCidr text).valid;

  # The canonical spelling of a CIDR if it is valid at all ("10.0.0.1/8" gives "10.0.0.0/8"),
  # or null. The validation still rejects non-canonical input: this is for suggestions.
  canonicalCidr =
    text:
    let
      r = parseCidr text;
      m = match "is not in canonical form.*; write '(.*)'" r.error;
    in
    if r.valid then r.canonical else if r.error != null && m != null then elemAt m 0 else null;

  # Does CIDR `outer` contain CIDR `inner`? Both parsed and valid.
  contains =
    outer: inner:
    outer.family == inner.family
    && outer.prefix <= inner.prefix
    && maskWords families.${toString outer.family}.bits outer.prefix inner.words == outer.words;

  lessThan = a: b: if a.words == b.words then a.prefix < b.prefix else i.listLessThan a.words b.words;

  # Sorted, de-duplicated, and without entries that a broader entry of the same list covers
  # (nft refuses overlapping elements in an interval set). All inputs must be valid.
  # Returns { ipv4 = [ canonical ]; ipv6 = [ canonical ]; covered = [ { cidr; by; } ]; }
  normalize =
    texts:
    let
      parsed = builtins.sort lessThan (map parseCidr (i.unique texts));
      coveredBy = c: builtins.filter (o: o.canonical != c.canonical && contains o c) parsed;
      kept = builtins.filter (c: coveredBy c == [ ]) parsed;
      covered = builtins.concatMap (
        c:
        let
          by = coveredBy c;
        in
        if by == [ ] then [ ] else [ { cidr = c.canonical; by = (builtins.head by).canonical; } ]
      ) parsed;
    in
    {
      ipv4 = map (c: c.canonical) (builtins.filter (c: c.family == 4) kept);
      ipv6 = map (c: c.canonical) (builtins.filter (c: c.family == 6) kept);
      inherit covered;
    };
}
