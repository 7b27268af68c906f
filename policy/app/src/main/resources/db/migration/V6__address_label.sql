-- The labels reviewers see for a destination address (reverse DNS name, provider ranges), copied from the policy
-- service's in-memory evidence cache by a background job (AddressLabelStore), so that Grafana's PostgreSQL panels can
-- show them next to the aggregates. Never written on a request path; an address without a label has no row.
CREATE TABLE address_label (
    address     text        PRIMARY KEY,        -- canonical, as destination_aggregate.destination
    reverse_dns text,                           -- the PTR name, or null
    providers   json        NOT NULL,           -- [{"provider","service","region","cidr"}], most specific first
    updated_at  timestamptz NOT NULL DEFAULT now()
);
