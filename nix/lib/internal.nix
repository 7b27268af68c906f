# Small helpers that nixpkgs' lib would provide, written with builtins only so that
# `nix-instantiate --eval` can test this library on a machine without nixpkgs.
# Not part of the public API: use ./default.nix.
let
  inherit (builtins)
    filter
    foldl'
    genList
    isString
    length
    stringLength
    substring
    ;
in
rec {
  chars = s: genList (i: substring i 1 s) (stringLength s);

  # Pieces of `s` between the separators (regex `sep`); "a::b" split on ":" gives [ "a" "" "b" ].
  splitOn = sep: s: filter isString (builtins.split sep s);

  hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;

  join = sep: builtins.concatStringsSep sep;

  unique = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];

  all = pred: list: foldl' (acc: x: acc && pred x) true list;

  any = pred: list: foldl' (acc: x: acc || pred x) false list;

  min = a: b: if a < b then a else b;

  max = a: b: if a > b then a else b;

  clamp = lo: hi: x: max lo (min hi x);

  pow2 = n: if n <= 0 then 1 else 2 * pow2 (n - 1);

  mod = a: b: a - (a / b) * b;

  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "a" "b" "c" "d" "e" "f" ];

  hexValue = {
    "0" = 0; "1" = 1; "2" = 2; "3" = 3; "4" = 4; "5" = 5; "6" = 6; "7" = 7; "8" = 8; "9" = 9;
    "a" = 10; "b" = 11; "c" = 12; "d" = 13; "e" = 14; "f" = 15;
    "A" = 10; "B" = 11; "C" = 12; "D" = 13; "E" = 14; "F" = 15;
  };

  # Lowercase hex without leading zeros ("0" for zero), as RFC 5952 wants for IPv6 groups.
  toHex = n: if n < 16 then builtins.elemAt hexDigits n else toHex (n / 16) + builtins.elemAt hexDigits (mod n 16);

  # Caller has checked that `s` matches [0-9a-fA-F]+.
  fromHex = s: foldl' (acc: c: acc * 16 + hexValue.${c}) 0 (chars s);

  # Caller has checked that `s` matches [0-9]+; leading zeros are allowed here.
  fromDecimal = s: foldl' (acc: c: acc * 10 + hexValue.${c}) 0 (chars s);

  # Lexicographic order on equally long lists of integers.
  listLessThan =
    a: b:
    let
      n = length a;
      go = i: if i >= n then false else if builtins.elemAt a i == builtins.elemAt b i then go (i + 1) else builtins.elemAt a i < builtins.elemAt b i;
    in
    go 0;

  # Tests in the style of nixpkgs' lib.runTests: every attribute whose name starts with
  # "test" is { expr; expected; }; the result lists the failures, so [ ] means all passed.
  runTests =
    tests:
    builtins.concatMap (
      name:
      let
        t = tests.${name};
      in
      if t.expr == t.expected then [ ] else [ { inherit name; inherit (t) expected; result = t.expr; } ]
    ) (filter (hasPrefix "test") (builtins.attrNames tests));
}
