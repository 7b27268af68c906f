# The tuner's Java applications (collector and policy service), built from this repository
# with Maven. Quarkus fast-jar layout: <app>/target/quarkus-app/quarkus-run.jar.
#
# mvnHash is the hash of every Maven artifact the build downloads. It is NOT computed in this
# repository's CI (no nixpkgs there); the value below is nixpkgs' fake hash and the first
# build fails with the real one. See docs/nixos.md, "Updating the package hash".
{
  lib,
  maven,
  jdk21_headless,
  makeWrapper,
  mvnHash ? "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
}:
let
  root = ../..;
  # Everything Maven needs, nothing that changes without changing the build (so the
  # fixed-output dependency derivation keeps its hash when nix/ or docs change).
  src = lib.cleanSourceWith {
    name = "opencode-egress-tuner-src";
    src = root;
    filter =
      path: _type:
      let
        rel = lib.removePrefix (toString root + "/") (toString path);
        base = baseNameOf (toString path);
      in
      !(lib.elem base [ "target" ".git" "result" ".idea" ".vscode" ])
      && !(lib.elem rel [ "nix" "build" ".ci" "README.md" ]);
  };
  # Directory with target/quarkus-app -> name of the installed application.
  apps = {
    "collector/app" = "collector";
    "policy/app" = "policy";
  };
in
maven.buildMavenPackage {
  pname = "opencode-egress-tuner";
  version = "0.1.0";
  inherit src mvnHash;
  mvnJdk = jdk21_headless;
  mvnParameters = lib.escapeShellArgs [
    "-DskipTests"
    "-Dquarkus.package.jar.type=fast-jar"
  ];
  # The tests need PostgreSQL, Kafka and a journal; they run in CI through Maven, not in the
  # build sandbox.
  doCheck = false;

  nativeBuildInputs = [ makeWrapper ];

  installPhase = ''
    runHook preInstall
    share=$out/share/opencode-egress-tuner
    mkdir -p "$share" "$out/bin"
    ${lib.concatStrings (
      lib.mapAttrsToList (dir: app: ''
        if [ ! -f ${dir}/target/quarkus-app/quarkus-run.jar ]; then
          echo "${dir}/target/quarkus-app/quarkus-run.jar is missing: the repository layout changed;" >&2
          echo "update 'apps' in nix/pkgs/opencode-egress-tuner.nix" >&2
          exit 1
        fi
        cp -r ${dir}/target/quarkus-app "$share/${app}"
        makeWrapper ${jdk21_headless}/bin/java "$out/bin/opencode-egress-tuner-${app}" \
          --add-flags "-jar $share/${app}/quarkus-run.jar"
      '') apps
    )}
    if [ -d dashboards ]; then cp -r dashboards "$share/dashboards"; fi
    runHook postInstall
  '';

  meta = {
    description = "Egress policy tuner for isolated opencode instances: journal collector and policy service";
    platforms = lib.platforms.linux;
  };
}
