-- UI sessions of an account issued before revoked_before are refused: set by a logout (every session of the account)
-- and by a password change. The session cookie carries its issue time (encrypted); see SessionRevocations.
CREATE TABLE account_session (
    account        text PRIMARY KEY,
    revoked_before timestamptz NOT NULL
);
