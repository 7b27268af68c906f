-- The exporter's status per host (issue 7): the last run, its commit and pull request, the last error. Owned by
-- policy/app's export package. The pull request columns describe the newest pull request the exporter opened or
-- found for the host's branch; a closed or merged one is handled once and then keeps its final state here.
CREATE TABLE export_status (
    host                 text        PRIMARY KEY,
    last_run             timestamptz NOT NULL,
    last_success         timestamptz,
    result               text        NOT NULL CHECK (result IN ('committed', 'unchanged', 'failed')),
    change               text,                  -- what the branch needed: on_default_branch, branch_current, ...
    branch               text,
    commit_id            text,
    pull_request_number  bigint,
    pull_request_url     text,
    pull_request_state   text        CHECK (pull_request_state IN ('open', 'closed', 'merged')),
    last_error           text,                  -- redacted: never a token
    last_decision        bigint      NOT NULL DEFAULT 0 -- the newest decision id the run saw (the trigger's mark)
);
