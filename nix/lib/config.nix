# opencode.json from plain data: nulls stripped (an unset typed option is null), the
# `$schema` key injected so editors and opencode validate the file.
let
  inherit (builtins) filter isAttrs isList mapAttrs removeAttrs attrNames concatMap;

  # Like nixpkgs' lib.recursiveUpdate: `b` wins, attribute sets merge.
  recursiveUpdate =
    a: b:
    a
    // mapAttrs (k: v: if isAttrs v && a ? ${k} && isAttrs a.${k} then recursiveUpdate a.${k} v else v) b;

  join = builtins.concatStringsSep;
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

  # The value of the typed options (nix/modules/opencode/config-options.nix) as opencode.json
  # data: `unchecked` merged over the typed settings, nulls stripped.
  opencodeSettings =
    options:
    stripNulls (recursiveUpdate (removeAttrs options [ "unchecked" ]) (options.unchecked or { }));

  # What the option types cannot say, as messages naming the path (`prefix` is where the
  # settings live, e.g. "services.opencode.instances.web.config"): an MCP server is either
  # local (a command) or remote (a URL), or only switches a server on or off.
  opencodeConfigErrors =
    prefix: settings:
    let
      mcp = if isAttrs (settings.mcp or null) then settings.mcp else { };
      serverErrors =
        name:
        let
          s = stripNulls mcp.${name};
          at = "${prefix}.mcp.${name}";
          keys = attrNames s;
          misplaced = allowed: filter (k: !(builtins.elem k allowed)) keys;
          localKeys = [ "type" "command" "environment" "enabled" "timeout" ];
          remoteKeys = [ "type" "url" "headers" "oauth" "enabled" "timeout" ];
          wrong = kind: ks: map (k: "${at}.${k} does not apply to a ${kind} MCP server (${kind}: ${join ", " (filter (x: x != "type") (if kind == "local" then localKeys else remoteKeys))})") ks;
        in
        if (s.type or null) == "local" then
          (if s ? command && s.command != [ ] then [ ] else [ "${at}: a local MCP server needs command (the command and its arguments, e.g. [ \"npx\" \"-y\" \"@modelcontextprotocol/server-filesystem\" \"/srv\" ])" ])
          ++ wrong "local" (misplaced localKeys)
        else if (s.type or null) == "remote" then
          (if s ? url then [ ] else [ "${at}: a remote MCP server needs url" ])
          ++ wrong "remote" (misplaced remoteKeys)
        else if misplaced [ "enabled" ] != [ ] then
          [ "${at}: set type = \"local\" (with command) or type = \"remote\" (with url); without a type only enabled may be set, to switch a server defined elsewhere on or off (got: ${join ", " keys})" ]
        else [ ];
    in
    concatMap serverErrors (attrNames mcp);

  opencodeConfig = settings: { "$schema" = schemaUrl; } // stripNulls settings;

  # builtins.toJSON sorts keys, so the same settings always give the same file (and hash).
  renderOpencodeConfig = settings: builtins.toJSON (opencodeConfig settings);
}
