# Typed options for opencode.json, following opencode's own config schema
# (https://opencode.ai/config.json, opencode 1.x: the fields of current releases and the
# deprecated ones they still accept; an older opencode may refuse a newer field): every level that opencode checks strictly is a closed
# submodule here, so a misspelt or misplaced key (`agents` for `agent`, `mcp.servers.<name>`
# for `mcp.<name>`) fails evaluation with the module system's
#   The option `<path>.agents' does not exist.
# naming the full option path. Where opencode itself accepts any key (provider `options`,
# per-model registry data, an agent's `options`, permission rules for tool names, MCP
# `environment`/`headers`, `experimental`), the option is open JSON too.
#
# `unchecked` is the explicit escape hatch: JSON merged over the typed settings as it is, for
# fields this module does not know yet. Nothing else is freeform.
#
# Unset options are null and stripped when rendering (nix/lib `opencodeSettings`); `$schema`
# is injected. What the module system cannot express (an MCP server is either local, with
# `command`, or remote, with `url`) is checked by nix/lib `opencodeConfigErrors`, with
# messages naming the path, as assertions of the NixOS module and as a throw of
# mkOpenCodeConfig.
#
# A function returning a module, used as the type of services.opencode.instances.<name>.config
# and of the `opencode` option that mkOpenCodeConfig modules set. Needs nixpkgs' `lib` only.
{ lib, ... }:
let
  inherit (lib) mkOption types literalExpression;

  # A JSON value, the type of the open parts.
  json =
    types.nullOr (
      types.oneOf [
        types.bool
        types.int
        types.float
        types.str
        (types.attrsOf json)
        (types.listOf json)
      ]
    )
    // {
      description = "JSON value";
    };

  opt =
    type: description: extra:
    mkOption (
      {
        type = types.nullOr type;
        default = null;
        inherit description;
      }
      // extra
    );

  # A closed object: unknown keys are errors naming their path.
  object = options: types.submodule { inherit options; };

  number = types.either types.int types.float;
  strings = types.listOf types.str;
  stringMap = types.attrsOf types.str;
  no = types.enum [ false ];

  permissionAction = types.enum [ "ask" "allow" "deny" ];
  # One action, or actions by pattern (e.g. bash commands, paths).
  permissionRule = types.either permissionAction (types.attrsOf permissionAction);

  permission = types.either permissionAction (
    types.submodule {
      # Any tool name may have a rule (MCP tools included), as in opencode's schema.
      freeformType = types.attrsOf permissionRule;
      options =
        lib.genAttrs [ "read" "edit" "glob" "grep" "list" "bash" "task" "external_directory" "lsp" ] (
          tool: opt permissionRule "Permission for `${tool}`: an action or actions by pattern." { }
        )
        // lib.genAttrs [ "todowrite" "todoread" "question" "webfetch" "websearch" "codesearch" "doom_loop" ] (
          tool: opt permissionAction "Permission for `${tool}`." { }
        );
    }
  );

  agent = object {
    model = opt types.str "Model of this agent, `provider/model`." { };
    variant = opt types.str "Model variant (e.g. a reasoning effort the provider defines)." { };
    temperature = opt number "Sampling temperature." { };
    top_p = opt number "Nucleus sampling." { };
    prompt = opt types.str "System prompt (`{file:./prompt.md}` reads it from a file at run time)." { };
    description = opt types.str "When to use the agent (shown to primary agents for subagents)." { };
    mode = opt (types.enum [ "subagent" "primary" "all" ]) "Where the agent can be used." { };
    hidden = opt types.bool "Hide a subagent from the @ menu." { };
    disable = opt types.bool "Switch the agent off." { };
    color = opt (types.strMatching "#[0-9a-fA-F]{6}") "Hex colour, e.g. `#FF5733`." { };
    steps = opt types.ints.positive "Most agentic iterations before a text-only answer." { };
    maxSteps = opt types.ints.positive "Deprecated name of `steps`." { };
    tools = opt (types.attrsOf types.bool) "Deprecated: tools on or off by name (use `permission`)." { };
    permission = opt permission "Permissions of this agent, over the global ones." { };
    options = opt (types.attrsOf json) ''
      Provider options for this agent's requests. opencode moves unknown agent keys here; this
      module asks for them here explicitly, so a misspelt key is an error instead.
    '' { };
  };

  provider = object {
    name = opt types.str "Display name." { };
    id = opt types.str "Provider id (defaults to the attribute name)." { };
    api = opt types.str "API base URL of the provider registry entry." { };
    npm = opt types.str "AI SDK package that implements the provider, e.g. `@ai-sdk/openai-compatible`." { };
    env = opt strings "Environment variables that hold the API key." { };
    models = opt (types.attrsOf json) "Models by id, as in the models.dev registry (limits, costs, variants)." { };
    whitelist = opt strings "Only these models of the provider." { };
    blacklist = opt strings "Never these models of the provider." { };
    options = opt (types.submodule {
      # Provider SDKs take their own options, so this level is open, as in opencode's schema.
      freeformType = types.attrsOf json;
      options = {
        apiKey = opt types.str "API key; use `{env:VAR}` with the instance's `environmentFile`, never the key itself." { };
        baseURL = opt types.str "Base URL of the API." { };
        enterpriseUrl = opt types.str "GitHub Enterprise URL (copilot)." { };
        setCacheKey = opt types.bool "Send a prompt cache key." { };
        timeout = opt (types.either types.ints.positive no) "Request timeout in ms, or `false` for none." { };
      };
    }) "Options of the provider's SDK." { };
  };

  mcpServer = object {
    type = opt (types.enum [ "local" "remote" ]) ''
      `local` (a command opencode starts) or `remote` (a URL). Leave it unset only to switch a
      server defined elsewhere on or off with `enabled`.
    '' { };
    command = opt strings "Local: the command and its arguments." { example = [ "npx" "-y" "@modelcontextprotocol/server-filesystem" "/srv" ]; };
    environment = opt stringMap "Local: environment of the command." { };
    url = opt types.str "Remote: URL of the server." { };
    headers = opt stringMap "Remote: HTTP headers (use `{env:VAR}` for tokens)." { };
    oauth = opt (types.either no (object {
      clientId = opt types.str "OAuth client id (dynamic registration when unset)." { };
      clientSecret = opt types.str "OAuth client secret." { };
      scope = opt types.str "Scopes to request." { };
    })) "Remote: OAuth settings, or `false` to switch OAuth detection off." { };
    enabled = opt types.bool "Whether opencode starts the server." { };
    timeout = opt types.ints.positive "Timeout in ms for fetching the server's tools (opencode's default: 5000)." { };
  };

  command = object {
    template = mkOption {
      type = types.str;
      description = "The prompt sent when the command runs (`$ARGUMENTS` is replaced).";
    };
    description = opt types.str "Shown in the command list." { };
    agent = opt types.str "Agent that runs the command." { };
    model = opt types.str "Model for the command." { };
    subtask = opt types.bool "Run as a subtask." { };
  };

  formatter = object {
    disabled = opt types.bool "Switch this formatter off." { };
    command = opt strings "Command (`$FILE` is the file)." { };
    environment = opt stringMap "Environment of the command." { };
    extensions = opt strings "File extensions, e.g. `.nix`." { };
  };

  lspServer = object {
    command = opt strings "Command of the language server." { };
    extensions = opt strings "File extensions (required for servers opencode does not know)." { };
    disabled = opt types.bool "Switch this server off." { };
    env = opt stringMap "Environment of the server." { };
    initialization = opt (types.attrsOf json) "Initialization options." { };
  };

  # opencode's keybinds: each a comma-separated list of keys, `<leader>` for the leader key,
  # "none" to unbind.
  keybindNames = [
    "leader" "app_exit" "editor_open" "theme_list" "sidebar_toggle" "scrollbar_toggle"
    "username_toggle" "status_view" "session_export" "session_new" "session_list"
    "session_timeline" "session_fork" "session_rename" "session_share" "session_unshare"
    "session_interrupt" "session_compact" "messages_page_up" "messages_page_down"
    "messages_half_page_up" "messages_half_page_down" "messages_first" "messages_last"
    "messages_next" "messages_previous" "messages_last_user" "messages_copy" "messages_undo"
    "messages_redo" "messages_toggle_conceal" "tool_details" "model_list" "model_cycle_recent"
    "model_cycle_recent_reverse" "model_cycle_favorite" "model_cycle_favorite_reverse"
    "command_list" "agent_list" "agent_cycle" "agent_cycle_reverse" "variant_cycle"
    "input_clear" "input_paste" "input_submit" "input_newline" "input_move_left"
    "input_move_right" "input_move_up" "input_move_down" "input_select_left"
    "input_select_right" "input_select_up" "input_select_down" "input_line_home"
    "input_line_end" "input_select_line_home" "input_select_line_end" "input_visual_line_home"
    "input_visual_line_end" "input_select_visual_line_home" "input_select_visual_line_end"
    "input_buffer_home" "input_buffer_end" "input_select_buffer_home" "input_select_buffer_end"
    "input_delete_line" "input_delete_to_line_end" "input_delete_to_line_start"
    "input_backspace" "input_delete" "input_undo" "input_redo" "input_word_forward"
    "input_word_backward" "input_select_word_forward" "input_select_word_backward"
    "input_delete_word_forward" "input_delete_word_backward" "history_previous" "history_next"
    "session_child_cycle" "session_child_cycle_reverse" "session_parent" "terminal_suspend"
    "terminal_title_toggle" "tips_toggle"
  ];
in
{
  options = {
    model = opt types.str "Default model as `provider/model`." { example = "anthropic/claude-sonnet-4-5"; };
    small_model = opt types.str "Model for small tasks such as titles, as `provider/model`." {
      example = "anthropic/claude-haiku-4-5";
    };
    default_agent = opt types.str "Primary agent used when none is chosen (opencode falls back to `build`)." { example = "build"; };
    theme = opt types.str "TUI theme name." { example = "opencode"; };
    username = opt types.str "Name shown in conversations instead of the system user name." { };
    logLevel = opt (types.enum [ "DEBUG" "INFO" "WARN" "ERROR" ]) "Log level." { };
    share = opt (types.enum [ "manual" "auto" "disabled" ]) "Session sharing." { example = "disabled"; };
    autoshare = opt types.bool "Deprecated: use `share`." { };
    autoupdate = opt (types.either types.bool (types.enum [ "notify" ])) ''
      Self-update behaviour. Under NixOS the package comes from the store, so `false` is sensible.
    '' { example = false; };
    snapshot = opt types.bool "Whether opencode keeps git snapshots of the working tree." { };
    layout = opt (types.enum [ "auto" "stretch" ]) "Deprecated: opencode always stretches." { };
    instructions = opt strings "Instruction files or globs loaded into every session." {
      example = [ "AGENTS.md" "docs/guidelines.md" ];
    };
    plugin = opt strings "Plugins (npm specifiers or file URLs)." { };
    shell = opt types.str "Shell of the terminal and the bash tool." { };
    skills = opt (object {
      paths = opt strings "Additional skill folders." { };
      urls = opt strings "URLs to fetch skills from (e.g. `https://example.com/.well-known/skills/`)." { };
    }) "Where opencode finds skills besides `.opencode/skill/`." { };
    tool_output = opt (object {
      max_lines = opt types.ints.positive "Lines of tool output before it is truncated." { };
      max_bytes = opt types.ints.positive "Bytes of tool output before it is truncated." { };
    }) "Truncation of tool output." { };
    attachment = opt (types.attrsOf json) "Attachment (image) limits, passed through unchecked." { };
    reference = opt (types.attrsOf json) "Named git or directory references, passed through unchecked." { };
    disabled_providers = opt strings "Providers that are never loaded." { };
    enabled_providers = opt strings "If set, only these providers are loaded." { };
    tools = opt (types.attrsOf types.bool) "Deprecated: tools on or off by name (use `permission`)." { };

    provider = opt (types.attrsOf provider) ''
      Providers by id: SDK options, model registry entries, allowed models. Keep secrets out:
      use `{env:VAR}` with the instance's `environmentFile`.
    '' {
      example = literalExpression ''{ anthropic.options.apiKey = "{env:ANTHROPIC_API_KEY}"; }'';
    };
    agent = opt (types.attrsOf agent) "Agents by name (built in: build, plan, general, explore, title, summary, compaction)." {
      example = literalExpression ''
        {
          reviewer = {
            mode = "subagent";
            description = "Reviews changes for correctness and security";
            model = "anthropic/claude-opus-4-5";
            prompt = "{file:./prompts/reviewer.md}";
            permission.edit = "deny";
          };
        }
      '';
    };
    mode = opt (types.attrsOf agent) "Deprecated: primary agents by name (use `agent` with `mode = \"primary\"`)." { };
    mcp = opt (types.attrsOf mcpServer) "MCP servers by name, each `local` (command) or `remote` (url)." {
      example = literalExpression ''
        {
          filesystem = { type = "local"; command = [ "npx" "-y" "@modelcontextprotocol/server-filesystem" "/srv" ]; };
          github = { type = "remote"; url = "https://api.githubcopilot.com/mcp/"; headers.Authorization = "Bearer {env:GITHUB_TOKEN}"; };
        }
      '';
    };
    command = opt (types.attrsOf command) "Custom commands by name." { };
    permission = opt permission "Permissions: one action for everything, or rules by tool." {
      example = { edit = "ask"; bash = { "*" = "ask"; "git status" = "allow"; }; };
    };
    formatter = opt (types.either no (types.attrsOf formatter)) "Formatters by name, or `false` to switch formatting off." { };
    lsp = opt (types.either no (types.attrsOf lspServer)) "Language servers by name, or `false` to switch them off." { };
    keybinds = opt (object (lib.genAttrs keybindNames (k: opt types.str "Keys for `${k}`." { }))) "TUI key bindings." {
      example = { session_new = "ctrl+n"; };
    };
    tui = opt (object {
      scroll_speed = opt number "Scroll speed (at least 0.001)." { };
      scroll_acceleration = opt (object {
        enabled = mkOption {
          type = types.bool;
          description = "Whether scrolling accelerates.";
        };
      }) "Scroll acceleration." { };
      diff_style = opt (types.enum [ "auto" "stacked" ]) "How diffs are shown." { };
    }) "TUI settings." { };
    server = opt (object {
      port = opt types.port "Port of `opencode serve`/`web` (the NixOS module passes `listen.port` instead)." { };
      hostname = opt types.str "Hostname to listen on (the NixOS module passes `listen.address` instead)." { };
      mdns = opt types.bool "mDNS service discovery." { };
      mdnsDomain = opt types.str "mDNS domain name." { };
      cors = opt strings "Additional origins allowed by CORS." { };
    }) "Server settings." { };
    watcher = opt (object {
      ignore = opt strings "Globs the file watcher ignores." { };
    }) "File watcher." { };
    compaction = opt (object {
      auto = opt types.bool "Compact automatically when the context is full (opencode's default: true)." { };
      prune = opt types.bool "Prune old tool outputs (opencode's default: true)." { };
      tail_turns = opt types.ints.unsigned "Recent turns kept verbatim." { };
      preserve_recent_tokens = opt types.ints.unsigned "Tokens of recent turns preserved." { };
      reserved = opt types.ints.unsigned "Token buffer kept free for compaction." { };
    }) "Context compaction." { };
    enterprise = opt (object {
      url = opt types.str "Enterprise URL." { };
    }) "Enterprise settings." { };
    experimental = opt (types.attrsOf json) "Experimental settings, passed through unchecked: they change between opencode releases." { };

    unchecked = mkOption {
      type = types.attrsOf json;
      default = { };
      example = { some_new_field = true; };
      description = ''
        The escape hatch: JSON merged over the typed settings (recursively, these values win)
        without any check, for opencode fields this module does not know yet. opencode itself
        rejects unknown top-level keys.
      '';
    };
  };
}
