-- Removal suggestions (issue 7, "What hosts report back"): an entry of the generated file whose counter on the host
-- has not moved for tuner.policy.removal.unused-after becomes a suggestion of kind 'remove', reviewed like the others
-- (same rows, decisions and audit trail). Accepting it announces the removal in the host's pull request for
-- tuner.policy.removal.notice-period; only then, and only for what was announced, the generated file drops the entry.
-- Owned by policy/app's review package (Removals) and export package.

ALTER TABLE suggestion
    ADD COLUMN kind text NOT NULL DEFAULT 'add' CHECK (kind IN ('add', 'remove')),
    -- remove: the add suggestion whose accepted entry it takes out of the generated file
    ADD COLUMN removes uuid REFERENCES suggestion (id),
    -- remove: the counter as last seen, and since when it has not moved (never used: since first reported)
    ADD COLUMN packets bigint,
    ADD COLUMN last_used timestamptz,
    ADD COLUMN unused_since timestamptz,
    -- remove: when the exporter first pushed the announcement, and from when the file may drop the entry
    ADD COLUMN announced_at timestamptz,
    ADD COLUMN remove_after timestamptz;

-- 'removed': an add suggestion whose entry an accepted removal took out of the generated file. It is held back like
-- a rejection until blocked events inside it are seen after the removal, which reopens it.
ALTER TABLE suggestion DROP CONSTRAINT suggestion_state_check;
ALTER TABLE suggestion ADD CONSTRAINT suggestion_state_check CHECK (state IN ('pending', 'accepted', 'rejected',
    'snoozed', 'superseded', 'exported', 'merged', 'deployed', 'removed'));

-- One add and one remove suggestion may share host, instance and CIDR.
ALTER TABLE suggestion DROP CONSTRAINT suggestion_host_instance_cidr_key;
ALTER TABLE suggestion ADD CONSTRAINT suggestion_host_instance_kind_cidr_key UNIQUE (host, instance, kind, cidr);

-- 'withdrawn': the service took back a removal suggestion because the host reported the entry in use again (or the
-- entry left the generated file by another way). Recorded like a decision, with the actor 'tuner'.
ALTER TABLE decision DROP CONSTRAINT decision_outcome_check;
ALTER TABLE decision ADD CONSTRAINT decision_outcome_check CHECK (outcome IN ('accepted', 'approved', 'rejected',
    'snoozed', 'withdrawn'));

-- The accepted allowlist holds additions only (an accepted removal takes its entry out by moving the addition to
-- 'removed', once the exporter dropped it).
CREATE OR REPLACE VIEW accepted_entry AS
SELECT s.host, s.instance, s.accepted_cidr AS cidr, s.id AS suggestion_id, d.actor AS accepted_by,
       d.decided_at AS accepted_at, d.comment, d.evidence
  FROM suggestion s
  JOIN decision d ON d.id = s.accepted_decision
 WHERE s.state IN ('accepted', 'exported', 'merged', 'deployed') AND s.kind = 'add';
