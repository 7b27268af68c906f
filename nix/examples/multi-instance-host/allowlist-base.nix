# Hand-written: what `web` needs by design. Reviewed like any other code.
{
  services.opencode.instances.web.networkIsolation.outboundAllowCidrs = [
    "10.10.0.0/16" # internal APIs
    "10.53.0.53/32" # DNS resolver
    "fd00:10::/48" # internal APIs over IPv6
  ];
}
