# The typed opencode.json options (nix/modules/opencode/config-options.nix) through
# mkOpenCodeConfig's evaluation, with nixpkgs' lib.evalModules. Needs nixpkgs' lib only:
#   nix-instantiate --eval --strict --json nix/tests/eval/config.nix --arg lib 'import <nixpkgs/lib>'
# prints [ ] when every test passes (nix/tests/eval/run-with-nixpkgs.sh runs it).
{ lib }:
let
  oc = import ../../pkgs/opencode-lib.nix {
    inherit lib;
    pkgs = throw "opencodeSettings needs no packages";
  };
  settings = modules: oc.opencodeSettings modules;
  # The error text is not visible to tryEval; a rejected definition is one that fails.
  rejected = modules: !(builtins.tryEval (builtins.deepSeq (settings modules) true)).success;

  # The layers of seed 001's "Module Composition for Team Configs".
  teamBase = {
    opencode.model = "anthropic/claude-sonnet-4-5";
    opencode.share = "manual";
    opencode.provider.anthropic.options.apiKey = "{env:ANTHROPIC_API_KEY}";
    opencode.permission = { bash = "allow"; edit = "allow"; };
  };
  mcpServers = {
    opencode.mcp.filesystem = {
      type = "local";
      command = [ "npx" "-y" "@modelcontextprotocol/server-filesystem" "/tmp" ];
    };
    opencode.mcp.github = {
      type = "remote";
      url = "https://api.githubcopilot.com/mcp/";
      headers.Authorization = "Bearer {env:GITHUB_TOKEN}";
    };
  };
  personal = {
    opencode.theme = "catppuccin";
    opencode.keybinds.session_new = "ctrl+n";
    opencode.agent.plan.steps = 80;
  };
in
lib.runTests {
  testSeedCompositionRenders = {
    expr = settings [ teamBase mcpServers personal ];
    expected = {
      model = "anthropic/claude-sonnet-4-5";
      share = "manual";
      provider.anthropic.options.apiKey = "{env:ANTHROPIC_API_KEY}";
      permission = { bash = "allow"; edit = "allow"; };
      mcp = {
        filesystem = { type = "local"; command = [ "npx" "-y" "@modelcontextprotocol/server-filesystem" "/tmp" ]; };
        github = { type = "remote"; url = "https://api.githubcopilot.com/mcp/"; headers.Authorization = "Bearer {env:GITHUB_TOKEN}"; };
      };
      theme = "catppuccin";
      keybinds.session_new = "ctrl+n";
      agent.plan.steps = 80;
    };
  };
  testEmptyConfigIsEmpty = { expr = settings [ ]; expected = { }; };

  # The seed's wrapOpenCode example keys are not opencode's: each is an error at its path.
  testAgentsIsNotAnOption = { expr = rejected [ { opencode.agents.rust-expert.model = "a/b"; } ]; expected = true; };
  testSkillsIsNotAnOption = { expr = rejected [ { opencode.skills.custom-deploy.instructions = "x"; } ]; expected = true; };
  testMcpServersIsNotAServer = {
    expr = rejected [ { opencode.mcp.servers.github = { command = "/bin/mcp-github"; args = [ "--repo" ]; }; } ];
    expected = true;
  };
  testAgentInstructionsIsNotAnAgentOption = { expr = rejected [ { opencode.agent.rust-expert.instructions = "x"; } ]; expected = true; };
  testMcpWithoutTypeIsRefused = { expr = rejected [ { opencode.mcp.github.command = [ "mcp-github" ]; } ]; expected = true; };
  testMcpLocalWithUrlIsRefused = {
    expr = rejected [ { opencode.mcp.fs = { type = "local"; command = [ "x" ]; url = "https://x"; }; } ];
    expected = true;
  };
  testBadPermissionActionIsRefused = { expr = rejected [ { opencode.permission.bash = "sometimes"; } ]; expected = true; };
  testBadShareIsRefused = { expr = rejected [ { opencode.share = "public"; } ]; expected = true; };
  testUnknownKeybindIsRefused = { expr = rejected [ { opencode.keybinds.session_explode = "x"; } ]; expected = true; };
  testUnknownServerKeyIsRefused = { expr = rejected [ { opencode.server.tls = true; } ]; expected = true; };
  testBadAgentColourIsRefused = { expr = rejected [ { opencode.agent.x.color = "red"; } ]; expected = true; };
  testUnknownTopLevelKeyIsRefused = { expr = rejected [ { opencode.fallbacks = { }; } ]; expected = true; };

  # Where opencode's own schema is open, so is the module.
  testProviderOptionsAreOpen = {
    expr = settings [ { opencode.provider.local = { npm = "@ai-sdk/openai-compatible"; options = { baseURL = "http://127.0.0.1:11434/v1"; headers.X = "y"; }; }; } ];
    expected = { provider.local = { npm = "@ai-sdk/openai-compatible"; options = { baseURL = "http://127.0.0.1:11434/v1"; headers.X = "y"; }; }; };
  };
  testPermissionRulesForAnyToolAndPattern = {
    expr = settings [ { opencode.permission = { bash = { "*" = "ask"; "git status" = "allow"; }; "mcp_github_*" = "deny"; }; } ];
    expected = { permission = { bash = { "*" = "ask"; "git status" = "allow"; }; "mcp_github_*" = "deny"; }; };
  };
  testPermissionAsOneAction = { expr = settings [ { opencode.permission = "ask"; } ]; expected = { permission = "ask"; }; };
  testFormatterAndLspCanBeSwitchedOff = {
    expr = settings [ { opencode.formatter = false; opencode.lsp = false; } ];
    expected = { formatter = false; lsp = false; };
  };
  testAgentOptionsAreOpen = {
    expr = settings [ { opencode.agent.build.options.reasoningEffort = "high"; } ];
    expected = { agent.build.options.reasoningEffort = "high"; };
  };
  testRemoteMcpOauthOff = {
    expr = settings [ { opencode.mcp.x = { type = "remote"; url = "https://x"; oauth = false; }; } ];
    expected = { mcp.x = { type = "remote"; url = "https://x"; oauth = false; }; };
  };
  testMcpEnabledOnlySwitches = { expr = settings [ { opencode.mcp.x.enabled = false; } ]; expected = { mcp.x.enabled = false; }; };
  testSkillsPathsAndUrls = {
    expr = settings [ { opencode.skills = { paths = [ "/srv/skills" ]; urls = [ "https://example.org/.well-known/skills/" ]; }; } ];
    expected = { skills = { paths = [ "/srv/skills" ]; urls = [ "https://example.org/.well-known/skills/" ]; }; };
  };
  testNewerFieldsAreTyped = {
    expr = settings [ { opencode = { shell = "bash"; tool_output.max_lines = 500; compaction.reserved = 4096; server.mdnsDomain = "oc.local"; agent.build.variant = "high"; }; } ];
    expected = { shell = "bash"; tool_output.max_lines = 500; compaction.reserved = 4096; server.mdnsDomain = "oc.local"; agent.build.variant = "high"; };
  };
  testCommandNeedsATemplate = { expr = rejected [ { opencode.command.test.description = "x"; } ]; expected = true; };

  # The explicit escape hatch.
  testUncheckedPassesThrough = {
    expr = settings [ { opencode.model = "a/b"; opencode.unchecked = { fallbacks.provider.anthropic = [ "openai" ]; }; } ];
    expected = { model = "a/b"; fallbacks.provider.anthropic = [ "openai" ]; };
  };
  testUncheckedMergesDeeply = {
    expr = settings [ { opencode.agent.build.model = "a/b"; opencode.unchecked.agent.build.reasoningEffort = "high"; } ];
    expected = { agent.build = { model = "a/b"; reasoningEffort = "high"; }; };
  };
  testModulesMerge = {
    expr = settings [ { opencode.instructions = [ "AGENTS.md" ]; } { opencode.instructions = [ "docs/x.md" ]; } ];
    expected = { instructions = [ "AGENTS.md" "docs/x.md" ]; };
  };
}
