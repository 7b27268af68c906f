-- Blocked events per destination and UTC day (by event time), for impact previews ("of the last 14 days' events,
-- how many would this suggestion have allowed") and charts over time. Written by the consumer in the same transaction
-- as destination_aggregate, so both always agree. Old days are pruned with the event ids (tuner.policy.dedupe.*):
-- a day older than the retention can no longer change.
CREATE TABLE destination_day (
    host        text   NOT NULL,
    instance    text   NOT NULL,
    destination text   NOT NULL,
    day         date   NOT NULL,
    events      bigint NOT NULL CHECK (events > 0),
    PRIMARY KEY (host, instance, destination, day)
);
CREATE INDEX destination_day_by_day ON destination_day (day);

-- When an instance's aggregates last changed (the database's clock): suggestion recomputation looks only at instances
-- whose updated_at moved since it last ran.
ALTER TABLE instance_aggregate ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX instance_aggregate_updated ON instance_aggregate (updated_at);
