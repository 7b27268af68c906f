-- Reverse DNS names used to be copied here as the PTR records gave them, and a PTR name is only the claim of whoever
-- runs the address's reverse zone (for an agent's destination, possibly the agent's operator). AddressLabelStore now
-- copies forward-confirmed names only (the name's own A/AAAA records hold the address); the names copied before are
-- forgotten, and come back as lookups confirm them.
UPDATE address_label SET reverse_dns = NULL, updated_at = now() WHERE reverse_dns IS NOT NULL;
