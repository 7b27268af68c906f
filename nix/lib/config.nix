# opencode.json from plain data: nulls stripped (an unset typed option is null), the
# `$schema` key injected so editors and opencode validate the file.
let
  inherit (builtins) filter isAttrs isList mapAttrs removeAttrs attrNames;
in
rec {
  schemaUrl = "https://opencode.ai/config.json";

  # Removes null attribute values and null list elements, recursively.
  stripNulls =
    v:
    if isAttrs v then
      mapAttrs (_: stripNulls) (removeAttrs v (filter (k: v.${k} == null) (attrNames v)))
    else if isList v then
      map stripNulls (filter (x: x != null) v)
    else
      v;

  opencodeConfig = settings: { "$schema" = schemaUrl; } // stripNulls settings;

  # builtins.toJSON sorts keys, so the same settings always give the same file (and hash).
  renderOpencodeConfig = settings: builtins.toJSON (opencodeConfig settings);
}
