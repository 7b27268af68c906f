# Stand-ins for the parts of NixOS that the partial evaluation (./default.nix) does not load
# from nixpkgs: a package set whose packages are plain store-path-shaped attribute sets, the
# `utils` module argument built around nixpkgs' own systemd library files, and declarations
# of the options the modules under test (and users-groups.nix) read or set outside systemd,
# users and groups, nftables, PostgreSQL, Kafka and assertions. Written for these tests; nothing
# here comes from nixpkgs.
#
# Every stand-in option is typed loosely (freeform) on purpose: what is tested against the
# real declarations are the option trees loaded from nixpkgs, not these.
{ lib, nixosFiles }:
let
  inherit (lib) mkOption types;

  drv =
    name:
    let
      self = {
        type = "derivation";
        inherit name;
        pname = name;
        version = "0";
        outPath = "/nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" name)}-${name}";
        outputs = [ "out" ];
        out = self;
        outputName = "out";
        meta.mainProgram = name;
        overrideAttrs = f: drv (f { }).name or name;
      };
    in
    self;

  # The text is kept (`text`) so that tests can read what a real build would write.
  written = text: d: builtins.seq (builtins.stringLength text) (d // { inherit text; });

  postgresql = version: major: (drv "postgresql-${version}") // {
    inherit version;
    psqlSchema = major;
    withJIT = postgresql version major;
    withoutJIT = postgresql version major;
    withPackages = _: postgresql version major;
    installedExtensions = [ ];
  };

  pkgs = {
    inherit lib;
    # The text is forced with the package, so that everything a real build would write is
    # evaluated.
    writeText = name: text: written text (drv name);
    writeTextDir = path: text: written text (drv (baseNameOf path));
    writeTextFile = { name, text, ... }: written text (drv name);
    writeScript = name: text: written text (drv name);
    writeShellScript = name: text: written text (drv name);
    writeShellScriptBin = name: text: written text (drv name);
    writeShellApplication = { name, text, ... }: written text (drv name);
    runCommand = name: _env: script: written script (drv name);
    writers.writePython3Bin = name: _args: _text: drv name;
    testers.runNixOSTest = test: test; # the tests read `nodes` from it
    formats.json = _: { type = types.anything; generate = name: _value: drv name; };
    # Renders like nixpkgs' generator for the values services.apache-kafka hands it (strings),
    # without its escaping.
    formats.javaProperties =
      _:
      {
        type = types.attrsOf types.str;
        generate =
          name: value:
          written (lib.concatStrings (lib.mapAttrsToList (k: v: "${k}=${v}\n") value)) (drv name);
      };
    apacheKafka = (drv "apache-kafka") // { passthru.jre = drv "openjdk-headless"; };
    postgresql = postgresql "16.4" "16";
    postgresql_16 = postgresql "16.4" "16";
    postgresql_17 = postgresql "17.2" "17";
    stdenv = {
      hostPlatform = { system = "x86_64-linux"; };
      buildPlatform = { system = "x86_64-linux"; };
    };
    libxcrypt = (drv "libxcrypt") // { enabledCryptSchemeIds = [ "y" "gy" "7" "2b" "2y" "2a" "6" "5" "1" ]; };
    perl = (drv "perl") // { withPackages = _: drv "perl-with-packages"; };
    buildEnv = { name, ... }: drv name;
    bashInteractive = (drv "bash-interactive") // { shellPath = "/bin/bash"; };
    buildPackages = {
      xorg.lndir = drv "lndir";
      libredirect = drv "libredirect";
      lklWithFirewall = drv "lkl";
      nftables = drv "nftables";
    };
  }
  // lib.genAttrs [
    "coreutils" "findutils" "gnugrep" "gnused" "systemd" "nftables" "git" "openssh" "curl"
    "ripgrep" "jdk21_headless" "opencode" "opencode-egress-tuner" "makeWrapper" "shadow" "bash"
    "python3" "hello" "jq" "fish" "xonsh" "zsh"
  ] drv;

  # What nixos/lib/utils.nix provides to the modules, built from the real systemd files.
  utilsFor =
    config:
    let
      utils = {
        toShellPath = shell: if types.shellPackage.check shell then "/run/current-system/sw${shell.shellPath}" else shell;
        escapeSystemdPath = s: lib.replaceStrings [ "/" "-" " " ] [ "-" "\\x2d" "\\x20" ] (lib.removePrefix "/" s);
        systemdUtils = {
          lib = import "${toString nixosFiles}/nixos/lib/systemd-lib.nix" { inherit config lib pkgs utils; };
          unitOptions = import "${toString nixosFiles}/nixos/lib/systemd-unit-options.nix" {
            inherit lib;
            inherit (utils) systemdUtils;
          };
          types = import "${toString nixosFiles}/nixos/lib/systemd-types.nix" {
            inherit lib pkgs;
            inherit (utils) systemdUtils;
          };
        };
      };
    in
    utils;

  open = mkOption {
    type = types.submodule { freeformType = types.attrsOf types.anything; };
    default = { };
  };
  anyList = mkOption {
    type = types.listOf types.anything;
    default = [ ];
  };

  # systemd.services/targets/timers with nixpkgs' own unit types; the rest of
  # nixos/modules/system/boot/systemd.nix (units directory, activation) is not loaded.
  systemdModule =
    { config, utils, ... }:
    {
      options.systemd = {
        services = mkOption { type = utils.systemdUtils.types.services; default = { }; };
        targets = mkOption { type = utils.systemdUtils.types.targets; default = { }; };
        timers = mkOption { type = utils.systemdUtils.types.timers; default = { }; };
        package = mkOption { type = types.package; default = pkgs.systemd; };
        globalEnvironment = mkOption { type = types.attrsOf types.anything; default = { }; };
        enableStrictShellChecks = mkOption { type = types.bool; default = false; };
        tmpfiles = open;
      };
    };

  # What nixos/modules/config/users-groups.nix reads from other NixOS modules.
  usersNeighboursModule = {
    options = {
      users.defaultUserShell = mkOption {
        type = types.either types.shellPackage types.path;
        default = pkgs.bashInteractive;
      };
      systemd.sysusers.enable = mkOption { type = types.bool; default = false; };
      system.activationScripts = open;
      system.path = open;
      environment.profiles = anyList;
      environment.extraOutputsToInstall = anyList;
      boot.initrd.systemd.enable = mkOption { type = types.bool; default = false; };
      security.googleOsLogin.enable = mkOption { type = types.bool; default = false; };
      programs = lib.genAttrs [ "fish" "xonsh" "zsh" ] (_: {
        enable = mkOption { type = types.bool; default = false; };
      });
    };
  };

  # Grafana: the real module pulls in much of nixpkgs. This stand-in only carries the one
  # requirement of current nixpkgs' Grafana module that hosts trip over: a secret key.
  grafanaModule =
    { config, ... }:
    {
      options.services.grafana = {
        enable = mkOption { type = types.bool; default = false; };
        settings = open;
        provision = open;
      };
      config.assertions = [
        {
          assertion = !config.services.grafana.enable || (config.services.grafana.settings.security.secret_key or null) != null;
          message = "stand-in for nixpkgs' Grafana module: services.grafana.settings.security.secret_key must be set";
        }
      ];
    };

  otherModule = {
    options = {
      networking.firewall = open;
      networking.hostName = mkOption { type = types.str; default = "nixos"; };
      networking.interfaces = open;
      environment.systemPackages = anyList;
      environment.pathsToLink = anyList;
      environment.etc = open;
      boot.blacklistedKernelModules = anyList;
      boot.loader = open;
      fileSystems = open;
      system.stateVersion = mkOption { type = types.str; default = "26.05"; };
      system.checks = anyList;
      # The ids the loaded modules read (nixos/modules/misc/ids.nix has them all).
      ids = mkOption {
        type = types.submodule { freeformType = types.attrsOf types.anything; };
        default = {
          uids = { root = 0; nobody = 65534; postgres = 71; };
          gids = {
            root = 0; wheel = 1; kmem = 2; tty = 3; disk = 6; lp = 7; uucp = 19; audio = 17;
            floppy = 18; dialout = 27; tape = 25; video = 26; cdrom = 24; users = 100;
            nixbld = 30000; utmp = 29; adm = 55; input = 174; kvm = 302; render = 303; sgx = 304;
            shadow = 318; nogroup = 65534; postgres = 71;
          };
        };
      };
      # Separate options, as in nixpkgs: the tuner's defaults read `enable` while defining
      # the lists, which one freeform submodule would turn into infinite recursion.
      services.prometheus = {
        enable = mkOption { type = types.bool; default = false; };
        port = mkOption { type = types.port; default = 9090; };
        ruleFiles = anyList;
        scrapeConfigs = anyList;
      };
      virtualisation = open;
      meta = open;
      nixpkgs = open;
    };
  };

  # The flake's nixosModules, with the package default the flake would set.
  self.nixosModules = rec {
    opencode = ../../../modules/opencode;
    default = opencode;
    egress-tuner = {
      key = "nixosModules.egress-tuner"; # imported once even when a test machine imports it again
      imports = [ ../../../modules/egress-tuner ];
      services.opencode-egress-tuner.package = lib.mkDefault pkgs.opencode-egress-tuner;
    };
  };
  # The NixOS modules loaded from nixpkgs; postgresql.nix may come from another tree.
  nixpkgsModules =
    {
      postgresFiles ? nixosFiles,
    }:
    [
      "${toString nixosFiles}/nixos/modules/misc/assertions.nix"
      "${toString nixosFiles}/nixos/modules/config/users-groups.nix"
      "${toString nixosFiles}/nixos/modules/services/networking/nftables.nix"
      "${toString postgresFiles}/nixos/modules/services/databases/postgresql.nix"
      "${toString nixosFiles}/nixos/modules/services/misc/apache-kafka.nix"
    ];
in
{
  inherit pkgs drv utilsFor self nixpkgsModules;

  modules = [
    ({ config, ... }: { _module.args = { inherit pkgs; utils = utilsFor config; }; })
    systemdModule
    usersNeighboursModule
    grafanaModule
    otherModule
  ];
}
