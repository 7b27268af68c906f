-- The review of suggestions (issue 6): the lifecycle of each suggestion, the append-only audit trail of decisions,
-- and the accepted allowlist that the exporter reads. Owned by policy/app's review package.

-- One row per host, instance and CIDR ever suggested. The id is 128 bits of SHA-256 over host, instance and CIDR
-- (the API's 32-hex id), so a suggestion keeps its id while its evidence grows and every policy instance agrees on it.
CREATE TABLE suggestion (
    id                uuid        PRIMARY KEY,
    host              text        NOT NULL,
    instance          text        NOT NULL,
    cidr              cidr        NOT NULL,
    state             text        NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'snoozed', 'superseded',
                                                            'exported', 'merged', 'deployed')),
    -- The stabilisation rule (tuner.policy.review.stable-*): false holds a pending suggestion back from the list.
    stable            boolean     NOT NULL,
    events            bigint      NOT NULL,
    ports             integer[]   NOT NULL,
    protocols         text[]      NOT NULL,
    services          text[]      NOT NULL,
    first_seen        timestamptz,
    last_seen         timestamptz,
    evidence          json        NOT NULL,         -- the covered destinations as the API shows them (json keeps the order)
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    pending_since     timestamptz NOT NULL DEFAULT now(), -- when it last became pending (oldest-pending gauge)
    superseded_by     uuid        REFERENCES suggestion (id),
    snoozed_until     timestamptz,
    accepted_cidr     cidr,                         -- the CIDR in force when accepted (the suggested one or an edit)
    accepted_decision bigint,                       -- the decision that put it in force
    approved_by       text[]      NOT NULL DEFAULT '{}', -- four-eyes: approvals collected while still pending
    approved_cidr     cidr,                         -- the CIDR the first approver chose
    decided_ports     integer[],                    -- ports when last rejected: a new port reopens it
    rejected_decision bigint,                       -- the last rejection, shown when the suggestion comes back
    reopened          boolean     NOT NULL DEFAULT false,
    version           bigint      NOT NULL DEFAULT 0,
    UNIQUE (host, instance, cidr)
);
CREATE INDEX suggestion_by_state ON suggestion (host, instance, state);

-- The audit trail: who decided what, when, with which comment, on which evidence. Append-only: the triggers below
-- refuse every UPDATE, DELETE and TRUNCATE, whoever asks (the application's own account included).
CREATE TABLE decision (
    id            bigserial   PRIMARY KEY,
    suggestion_id uuid        NOT NULL REFERENCES suggestion (id),
    host          text        NOT NULL,
    instance      text        NOT NULL,
    cidr          cidr        NOT NULL,             -- as suggested
    decided_cidr  cidr,                             -- accepted or approved: the CIDR chosen (edited or not)
    outcome       text        NOT NULL CHECK (outcome IN ('accepted', 'approved', 'rejected', 'snoozed')),
    actor         text        NOT NULL,
    decided_at    timestamptz NOT NULL DEFAULT now(),
    comment       text,
    snoozed_until timestamptz,
    evidence      jsonb       NOT NULL              -- the suggestion's evidence at that moment
);
CREATE INDEX decision_by_instance ON decision (host, instance, id);
CREATE INDEX decision_by_suggestion ON decision (suggestion_id, id);

CREATE FUNCTION tuner_decision_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decision is an append-only audit trail: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER decision_no_update_or_delete BEFORE UPDATE OR DELETE ON decision
    FOR EACH ROW EXECUTE FUNCTION tuner_decision_append_only();
CREATE TRIGGER decision_no_truncate BEFORE TRUNCATE ON decision
    FOR EACH STATEMENT EXECUTE FUNCTION tuner_decision_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON decision FROM PUBLIC;

ALTER TABLE suggestion ADD FOREIGN KEY (accepted_decision) REFERENCES decision (id);
ALTER TABLE suggestion ADD FOREIGN KEY (rejected_decision) REFERENCES decision (id);

-- The accepted allowlist: one row per CIDR in force by decision. The exporter reads it.
CREATE VIEW accepted_entry AS
SELECT s.host, s.instance, s.accepted_cidr AS cidr, s.id AS suggestion_id, d.actor AS accepted_by,
       d.decided_at AS accepted_at, d.comment, d.evidence
  FROM suggestion s
  JOIN decision d ON d.id = s.accepted_decision
 WHERE s.state IN ('accepted', 'exported', 'merged', 'deployed');

-- The last computation of each instance's suggestions: what the aggregates were then (events only grow, so a
-- different count means new events), and the per-instance parts of the answer that are not suggestions.
CREATE TABLE suggestion_run (
    host            text        NOT NULL,
    instance        text        NOT NULL,
    computed_at     timestamptz NOT NULL,
    aggregates_at   timestamptz NOT NULL,           -- instance_aggregate.updated_at when computed
    events          bigint      NOT NULL,           -- instance_aggregate.events when computed
    destinations    integer     NOT NULL,
    refused         json        NOT NULL,           -- json, not jsonb: the API keeps its field order
    already_allowed json        NOT NULL,
    stale           boolean     NOT NULL DEFAULT false, -- set by a decision that changed the effective allowlist
    PRIMARY KEY (host, instance)
);
