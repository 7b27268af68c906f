# The systemd sandbox that the units of both modules start from: services.opencode's setup
# and server units, services.opencode-egress-tuner's Java services and its Kafka provisioning
# unit. A plain set of serviceConfig settings; each module adds its own on top (paths, more
# address families or system call groups, MemoryDenyWriteExecute for its runtime's JIT) and
# makes every setting mkDefault, so that a host can relax one without forking the module.
{
  # File system: everything read-only, homes hidden, a private /tmp and /dev.
  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  UMask = "0077";

  # Processes and kernel.
  ProtectProc = "invisible";
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectClock = true;
  ProtectHostname = true;
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  RemoveIPC = true;

  # Privileges: none.
  NoNewPrivileges = true;
  CapabilityBoundingSet = "";
  AmbientCapabilities = "";

  # System calls: a service's usual ones, none of the privileged; a filtered call fails with
  # EPERM instead of killing the process.
  SystemCallArchitectures = "native";
  SystemCallFilter = [ "@system-service" "~@privileged" ];
  SystemCallErrorNumber = "EPERM";

  # Network: Unix and IP sockets.
  RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" ];
}
