-- The policy service's aggregates of blocked events (issue 4). Applied by Flyway at start-up; several policy
-- instances may start at once (Flyway serialises them with an advisory lock).

-- Idempotency: every counted event's id, written in the same transaction as the aggregates it changed. An event
-- whose id is already here counts nothing. Ids are pruned once their event is older than
-- tuner.policy.dedupe.retention (+ one day); events older than the retention are never counted, so a pruned id can
-- never be counted twice (see policy/app/README.md, "Idempotency").
CREATE TABLE seen_event (
    event_id   uuid        PRIMARY KEY,          -- the event's 128-bit id (32 hex digits in the JSON)
    event_time timestamptz NOT NULL
);
CREATE INDEX seen_event_time ON seen_event (event_time);

-- Evidence per host, instance and destination: what DestinationAggregate holds in the core.
CREATE TABLE destination_aggregate (
    host           text        NOT NULL,
    instance       text        NOT NULL,
    destination    text        NOT NULL,          -- canonical address (IPv6 in RFC 5952 form)
    family         smallint    NOT NULL CHECK (family IN (4, 6)),
    events         bigint      NOT NULL CHECK (events > 0),
    ports          integer[]   NOT NULL,          -- sorted, distinct destination ports
    protocols      text[]      NOT NULL,          -- sorted, distinct ('unknown' when the kernel printed none)
    services       text[]      NOT NULL,          -- 'tcp/443', or the protocol alone when it has no port
    sample_sources text[]      NOT NULL CHECK (cardinality(sample_sources) <= 5), -- first distinct, in order seen
    uids           bigint[]    NOT NULL,          -- sorted, distinct
    first_seen     timestamptz NOT NULL,
    last_seen      timestamptz NOT NULL,
    PRIMARY KEY (host, instance, destination)
);

-- Totals per host and instance, updated in the same transaction as the destinations.
CREATE TABLE instance_aggregate (
    host       text        NOT NULL,
    instance   text        NOT NULL,
    events     bigint      NOT NULL CHECK (events > 0),
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    PRIMARY KEY (host, instance)
);

-- What each instance may already reach: subtracted from the suggestions. Empty until decisions are recorded.
CREATE TABLE allowlist_entry (
    host     text NOT NULL,
    instance text NOT NULL,
    cidr     cidr NOT NULL,
    PRIMARY KEY (host, instance, cidr)
);

-- Sorted union of two arrays without duplicates.
CREATE FUNCTION tuner_union(a anyarray, b anyarray) RETURNS anyarray
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ARRAY(SELECT DISTINCT x FROM unnest(a || b) AS u(x) ORDER BY 1) $$;

-- The first n distinct elements of a then b, in that order (the core keeps sample sources this way).
CREATE FUNCTION tuner_first_distinct(a text[], b text[], n integer) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT ARRAY(SELECT x FROM (SELECT x, min(i) AS first
                                      FROM unnest(a || b) WITH ORDINALITY AS u(x, i) GROUP BY x) AS s
                     ORDER BY first LIMIT n)
    $$;
