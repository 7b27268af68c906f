# pkgs.lib.opencode (through overlays.default): opencode.json generation as the seeds
# describe it.
#   mkOpenCodeConfig [ modules ]            -> opencode.json in the store
#   wrapOpenCode { name; modules; opencode } -> bin/<name>, opencode with that config baked in
# Modules set options under `opencode` (nix/modules/opencode/config-options.nix), e.g.
#   { opencode.model = "anthropic/claude-sonnet-4-5"; opencode.share = "disabled"; }
{ pkgs, lib }:
let
  pure = import ../lib;
  configOptions = import ../modules/opencode/config-options.nix { inherit lib; };

  evalConfig =
    modules:
    (lib.evalModules {
      modules = [
        {
          options.opencode = lib.mkOption {
            type = lib.types.submodule configOptions;
            default = { };
            description = "opencode.json";
          };
        }
      ]
      ++ modules;
    }).config.opencode;
in
rec {
  # The builtins-only library (egressRuleset, CIDR and name checks, stripNulls, ...).
  inherit pure;

  # The settings of `modules` as opencode.json data; throws naming the path of every problem
  # the option types cannot catch (e.g. an MCP server without command or url).
  opencodeSettings =
    modules:
    let
      settings = pure.opencodeSettings (evalConfig modules);
      errors = pure.opencodeConfigErrors "opencode" settings;
    in
    if errors == [ ] then settings else throw (lib.concatStringsSep "\n" errors);

  mkOpenCodeConfig = modules: pkgs.writeText "opencode.json" (pure.renderOpencodeConfig (opencodeSettings modules));

  wrapOpenCode =
    {
      name,
      modules,
      opencode ? pkgs.opencode,
    }:
    pkgs.runCommand name
      {
        nativeBuildInputs = [ pkgs.makeWrapper ];
        meta.mainProgram = name;
      }
      ''
        mkdir -p $out/bin
        makeWrapper ${opencode}/bin/opencode $out/bin/${name} \
          --set OPENCODE_CONFIG ${mkOpenCodeConfig modules}
      '';
}
