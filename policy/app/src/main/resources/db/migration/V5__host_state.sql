-- What each host reports of its nftables egress table (issue 7, the collector's opencode.egress.host-state topic):
-- the allowlist really in force with a counter per entry, and the exactly counted blocked destinations. The newest
-- clean report of a host replaces allowlist_entry for that host (what the HOST allows; suggestions subtract it), and
-- exported or merged suggestions whose CIDR the host now enforces become 'deployed'.
CREATE TABLE host_state (
    host        text        PRIMARY KEY,
    read_at     timestamptz NOT NULL,             -- when the collector read the table (older reports are ignored)
    received_at timestamptz NOT NULL DEFAULT now(),
    problems    json        NOT NULL              -- what the collector could not read; non-empty: counters kept as they were
);

CREATE TABLE host_allow_counter (
    host           text        NOT NULL,
    instance       text        NOT NULL,
    cidr           cidr        NOT NULL,
    packets        bigint      NOT NULL,
    bytes          bigint      NOT NULL,
    first_reported timestamptz NOT NULL,
    last_used      timestamptz,                   -- the read at which the counter was last seen moving (null: never)
    reported_at    timestamptz NOT NULL,
    PRIMARY KEY (host, instance, cidr)
);

CREATE TABLE host_blocked_counter (
    host        text        NOT NULL,
    instance    text        NOT NULL,
    destination text        NOT NULL,
    packets     bigint      NOT NULL,
    bytes       bigint      NOT NULL,
    expires_at  timestamptz NOT NULL,
    reported_at timestamptz NOT NULL,
    PRIMARY KEY (host, instance, destination)
);
