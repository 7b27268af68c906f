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
}
