# Typed options for opencode.json: the common top-level fields are typed, everything else is
# freeform JSON (the file format's own type), so new opencode fields need no module change.
# Unset typed fields are null and stripped when rendering (nix/lib stripNulls); `$schema` is
# injected. Used as the type of services.opencode.instances.<name>.config and of the
# `opencode` option that mkOpenCodeConfig modules set.
#
# A function returning a module (not a module itself) so that callers pass their own `pkgs`:
# submodules do not receive `pkgs` as a module argument.
{ lib, pkgs }:
let
  inherit (lib) mkOption types literalExpression;
  json = (pkgs.formats.json { }).type;
  nullOr = t: description: extra: mkOption ({ type = types.nullOr t; default = null; inherit description; } // extra);
in
{
  freeformType = json;

  options = {
    model = nullOr types.str "Default model as `provider/model`." { example = "anthropic/claude-sonnet-4-5"; };
    small_model = nullOr types.str "Model for small tasks such as titles, as `provider/model`." {
      example = "anthropic/claude-haiku-4-5";
    };
    theme = nullOr types.str "TUI theme name." { example = "opencode"; };
    username = nullOr types.str "Name shown in conversations instead of the system user name." { };
    share = nullOr (types.enum [ "manual" "auto" "disabled" ]) "Session sharing." { example = "disabled"; };
    autoupdate = nullOr (types.either types.bool (types.enum [ "notify" ])) ''
      Self-update behaviour. Under NixOS the package comes from the store, so `false` is sensible.
    '' { example = false; };
    snapshot = nullOr types.bool "Whether opencode keeps git snapshots of the working tree." { };
    default_agent = nullOr types.str "Agent used when none is chosen." { example = "build"; };
    instructions = nullOr (types.listOf types.str) "Instruction files or globs loaded into every session." {
      example = [ "AGENTS.md" "docs/guidelines.md" ];
    };
    disabled_providers = nullOr (types.listOf types.str) "Providers that are never loaded." { };
    enabled_providers = nullOr (types.listOf types.str) "If set, only these providers are loaded." { };
    provider = nullOr (types.attrsOf json) ''
      Provider settings by provider id. Keep secrets out: use `{env:VAR}` with the instance's
      `environmentFile`.
    '' {
      example = literalExpression ''{ anthropic.options.apiKey = "{env:ANTHROPIC_API_KEY}"; }'';
    };
    mcp = nullOr (types.attrsOf json) "MCP servers by name." { };
    agent = nullOr (types.attrsOf json) "Agents by name." { };
    command = nullOr (types.attrsOf json) "Custom commands by name." { };
    permission = nullOr json "Permission rules (`edit`, `bash`, `webfetch`, ...)." {
      example = { edit = "ask"; bash = "ask"; };
    };
    tools = nullOr (types.attrsOf types.bool) "Tools switched on or off by name." { };
    formatter = nullOr json "Formatter settings, or `false` to switch formatting off." { };
    lsp = nullOr json "Language server settings, or `false` to switch them off." { };
    server = nullOr json "Server settings." { };
  };
}
