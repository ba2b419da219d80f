-- Run once by the clickhouse-server image on an empty data directory (as the localhost-only
-- `default` user). dlt connects to its database directly and does not create it; dbt would
-- create analytics itself, but both existing from the start keeps `make load` / `make
-- transform` order-independent. The names match the grants in users.d and .env.example.
CREATE DATABASE IF NOT EXISTS raw;
CREATE DATABASE IF NOT EXISTS analytics;
