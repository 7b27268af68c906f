# opencode.json rendering: expected/actual pairs.
{ lib }:
{
  testStripNullsNested = {
    expr = lib.stripNulls { a = null; b = { c = null; d = 1; }; e = [ null 2 { f = null; } ]; };
    expected = { b = { d = 1; }; e = [ 2 { } ]; };
  };
  testSchemaInjected = {
    expr = lib.opencodeConfig { model = "anthropic/claude-sonnet-4-5"; theme = null; };
    expected = { "$schema" = "https://opencode.ai/config.json"; model = "anthropic/claude-sonnet-4-5"; };
  };
  testRenderIsSortedJson = {
    expr = lib.renderOpencodeConfig { share = "disabled"; autoupdate = false; };
    expected = ''{"$schema":"https://opencode.ai/config.json","autoupdate":false,"share":"disabled"}'';
  };
  testEmptyConfigHasOnlySchema = {
    expr = lib.renderOpencodeConfig { };
    expected = ''{"$schema":"https://opencode.ai/config.json"}'';
  };

  testUncheckedMergesOverTheTypedSettings = {
    expr = lib.opencodeSettings {
      model = "a/b";
      theme = null;
      provider.x = { name = "X"; options.baseURL = null; };
      unchecked = { provider.x.options.extra = 1; new_field = true; };
    };
    expected = { model = "a/b"; provider.x = { name = "X"; options.extra = 1; }; new_field = true; };
  };
  testNoUncheckedIsFine = { expr = lib.opencodeSettings { share = "disabled"; }; expected = { share = "disabled"; }; };

  testMcpLocalAndRemoteAreFine = {
    expr = lib.opencodeConfigErrors "opencode" {
      mcp = {
        fs = { type = "local"; command = [ "mcp-fs" ]; environment.A = "1"; url = null; };
        gh = { type = "remote"; url = "https://example.org/mcp"; headers.Authorization = "Bearer {env:T}"; };
        off.enabled = false;
      };
    };
    expected = [ ];
  };
  testMcpLocalNeedsACommand = {
    expr = lib.opencodeConfigErrors "opencode" { mcp.fs = { type = "local"; }; };
    expected = [ "opencode.mcp.fs: a local MCP server needs command (the command and its arguments, e.g. [ \"npx\" \"-y\" \"@modelcontextprotocol/server-filesystem\" \"/srv\" ])" ];
  };
  testMcpRemoteNeedsAUrlAndNoCommand = {
    expr = lib.opencodeConfigErrors "services.opencode.instances.web.config" { mcp.gh = { type = "remote"; command = [ "x" ]; }; };
    expected = [
      "services.opencode.instances.web.config.mcp.gh: a remote MCP server needs url"
      "services.opencode.instances.web.config.mcp.gh.command does not apply to a remote MCP server (remote: url, headers, oauth, enabled, timeout)"
    ];
  };
  testMcpWithoutTypeOnlySwitches = {
    expr = lib.opencodeConfigErrors "opencode" { mcp.github = { command = [ "mcp-github" ]; }; };
    expected = [ "opencode.mcp.github: set type = \"local\" (with command) or type = \"remote\" (with url); without a type only enabled may be set, to switch a server defined elsewhere on or off (got: command)" ];
  };
}
