-- The PostgreSQL cache schema, version 1: the SQLite cache's tables
-- (migrations/0001_initial.sql and 0002_listed.sql), prefixed `vrm_` so
-- that they sit beside other tables in a shared database, plus what many
-- workers need: claims on stats chunks and a rate budget per token.
-- Applied by src/store/postgres/migrate.rs in one transaction, which then
-- records the version in vrm_meta. Never edit a released file: add the
-- next number instead.
--
-- Times are unix seconds (BIGINT) unless named otherwise; VRM ids are
-- u64 stored as BIGINT with the same bits.

-- The mark of a vrm cache, and its schema version (SQLite keeps both in
-- PRAGMA application_id and user_version).
CREATE TABLE vrm_meta (
    application TEXT    NOT NULL PRIMARY KEY CHECK (application = 'vrm cache'),
    version     INTEGER NOT NULL
);

-- Who fetched the data: one row per (API host, VRM user). Every cached row
-- belongs to one scope, so another account or host never reads it.
CREATE TABLE vrm_scopes (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host    TEXT   NOT NULL,
    user_id BIGINT NOT NULL,
    UNIQUE (host, user_id)
);

-- Which user a set of credentials belongs to: a one-way hash for tokens,
-- the user name for logins, "demo": never a token or a password.
CREATE TABLE vrm_identities (
    host        TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    user_id     BIGINT NOT NULL,
    PRIMARY KEY (host, fingerprint)
);

-- Answers cached by their exact (hour-rounded) request.
CREATE TABLE vrm_responses (
    scope      BIGINT NOT NULL REFERENCES vrm_scopes (id),
    key        TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    site       BIGINT,
    fetched_at BIGINT NOT NULL,
    body       BYTEA  NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX vrm_responses_by_site ON vrm_responses (site, kind);

-- One stats series: a code of a site at one interval and bucket alignment
-- (`grid`), for all instances together (instance -1) or one instance.
CREATE TABLE vrm_stats_series (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope    BIGINT NOT NULL REFERENCES vrm_scopes (id),
    site     BIGINT NOT NULL,
    type     TEXT   NOT NULL,
    interval TEXT   NOT NULL,
    grid     TEXT   NOT NULL,
    code     TEXT   NOT NULL,
    instance BIGINT NOT NULL,
    UNIQUE (scope, site, type, interval, grid, code, instance)
);
CREATE INDEX vrm_stats_series_by_site ON vrm_stats_series (site);

-- The points: bucket start (unix ms) -> value. `span_end` (unix s) is where
-- the bucket's data ends: the next bucket, or the end of the request when
-- the last bucket was cut short. One row per (series, t): a point stored
-- twice, by one worker or two, replaces the first.
CREATE TABLE vrm_stats_points (
    series   BIGINT NOT NULL REFERENCES vrm_stats_series (id),
    t        BIGINT NOT NULL,
    span_end BIGINT NOT NULL,
    value    DOUBLE PRECISION,
    min      DOUBLE PRECISION,
    max      DOUBLE PRECISION,
    PRIMARY KEY (series, t)
);

-- The windows fetched, per code ('*' for the whole kwh set) and instance
-- mode, with when they were fetched.
CREATE TABLE vrm_stats_ranges (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope        BIGINT  NOT NULL REFERENCES vrm_scopes (id),
    site         BIGINT  NOT NULL,
    type         TEXT    NOT NULL,
    interval     TEXT    NOT NULL,
    grid         TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    per_instance BOOLEAN NOT NULL,
    start_at     BIGINT  NOT NULL,
    end_at       BIGINT  NOT NULL,
    fetched_at   BIGINT  NOT NULL
);
CREATE INDEX vrm_stats_ranges_by_key
    ON vrm_stats_ranges (scope, site, type, interval, grid, code, per_instance, start_at);

-- Where VRM listed a series: the parts of fetched windows whose answer
-- held points for it rather than `false`.
CREATE TABLE vrm_stats_listed (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series   BIGINT NOT NULL REFERENCES vrm_stats_series (id),
    start_at BIGINT NOT NULL,
    end_at   BIGINT NOT NULL
);
CREATE INDEX vrm_stats_listed_by_series ON vrm_stats_listed (series, start_at);

-- Chunks being fetched now, per code as ranges are: a worker claims a
-- chunk before asking VRM for it and its claim ends when it stores the
-- chunk (same transaction) or gives up. A claim is dead once its holder's
-- session is gone (pg_stat_activity) or past `expires_at`, whichever
-- comes first, so a crashed worker never blocks the others for long.
CREATE TABLE vrm_stats_claims (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope         BIGINT      NOT NULL REFERENCES vrm_scopes (id),
    site          BIGINT      NOT NULL,
    type          TEXT        NOT NULL,
    interval      TEXT        NOT NULL,
    grid          TEXT        NOT NULL,
    code          TEXT        NOT NULL,
    per_instance  BOOLEAN     NOT NULL,
    start_at      BIGINT      NOT NULL,
    end_at        BIGINT      NOT NULL,
    holder        TEXT        NOT NULL,
    holder_pid    INTEGER     NOT NULL,
    holder_start  TIMESTAMPTZ NOT NULL,
    expires_at    BIGINT      NOT NULL
);
CREATE INDEX vrm_stats_claims_by_key
    ON vrm_stats_claims (scope, site, type, interval, grid, code, per_instance, start_at);

-- Diagnostics: the last value seen per attribute and instance ...
CREATE TABLE vrm_diag_current (
    scope     BIGINT NOT NULL REFERENCES vrm_scopes (id),
    site      BIGINT NOT NULL,
    attribute BIGINT NOT NULL,
    instance  BIGINT NOT NULL,
    code      TEXT,
    t         BIGINT NOT NULL,
    value     JSONB  NOT NULL,
    PRIMARY KEY (scope, site, attribute, instance)
);

-- ... and every change of it (a row only when the value changed).
CREATE TABLE vrm_diag_history (
    scope     BIGINT NOT NULL REFERENCES vrm_scopes (id),
    site      BIGINT NOT NULL,
    attribute BIGINT NOT NULL,
    instance  BIGINT NOT NULL,
    t         BIGINT NOT NULL,
    value     JSONB  NOT NULL,
    PRIMARY KEY (scope, site, attribute, instance, t)
);
CREATE INDEX vrm_diag_history_by_time ON vrm_diag_history (site, t);

-- One rate budget per (API host, credentials), shared by every worker:
-- the leaky bucket of the client's limiter (`level` requests in the
-- window at `last`, unix s with fraction), and until when VRM asked
-- everyone to wait (a 429's Retry-After). Updated in one statement per
-- request, so workers on many machines stay inside VRM's limit together.
CREATE TABLE vrm_rate_budgets (
    name         TEXT             NOT NULL PRIMARY KEY,
    level        DOUBLE PRECISION NOT NULL,
    last         DOUBLE PRECISION NOT NULL,
    paused_until DOUBLE PRECISION
);

-- The points as Grafana or psql read them: one row per bucket, its start
-- as a timestamp. `interval` is VRM's (15mins, hours, days, weeks, months,
-- years); `instance` is NULL for all instances together; `type` is the
-- stats type (kwh, custom, …). The same bucket may be held by a kwh and a
-- custom query, or (days and longer) by queries of another alignment
-- (`grid`): filter on `type` and `interval` to read one series.
CREATE VIEW vrm_points AS
SELECT s.site,
       s.code,
       s.interval,
       NULLIF(s.instance, -1)     AS instance,
       to_timestamp(p.t / 1000.0) AS time,
       p.value,
       p.min,
       p.max,
       s.type,
       s.grid,
       sc.user_id                 AS account,
       sc.host
FROM vrm_stats_points p
JOIN vrm_stats_series s ON s.id = p.series
JOIN vrm_scopes sc ON sc.id = s.scope;
