-- The cache schema, version 1. Applied by src/cache/migrate.rs, which sets
-- PRAGMA user_version after each file. Never edit a released file: add the
-- next number instead.

-- Who fetched the data: one row per (API host, VRM user). Every cached row
-- belongs to one scope, so another account or host never reads it.
CREATE TABLE scopes (
    id      INTEGER PRIMARY KEY,
    host    TEXT    NOT NULL,
    user_id INTEGER NOT NULL,
    UNIQUE (host, user_id)
);

-- Which user a set of credentials belongs to, so that a later run (even
-- offline) finds its scope without asking VRM. `fingerprint` is a one-way
-- hash for tokens, the user name for logins, "demo" for the demo account:
-- never a token or a password.
CREATE TABLE identities (
    host        TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    PRIMARY KEY (host, fingerprint)
) WITHOUT ROWID;

-- Answers cached by their exact (hour-rounded) request.
CREATE TABLE responses (
    scope      INTEGER NOT NULL REFERENCES scopes (id),
    key        TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    site       INTEGER,
    fetched_at INTEGER NOT NULL,
    body       BLOB    NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX responses_by_site ON responses (site, kind);

-- One stats series: a code of a site at one interval and bucket alignment
-- (`grid`), for all instances together (instance -1) or one instance.
CREATE TABLE stats_series (
    id       INTEGER PRIMARY KEY,
    scope    INTEGER NOT NULL REFERENCES scopes (id),
    site     INTEGER NOT NULL,
    type     TEXT    NOT NULL,
    interval TEXT    NOT NULL,
    grid     TEXT    NOT NULL,
    code     TEXT    NOT NULL,
    instance INTEGER NOT NULL,
    UNIQUE (scope, site, type, interval, grid, code, instance)
);
CREATE INDEX stats_series_by_site ON stats_series (site);

-- The points: bucket start (unix ms) -> value. `span_end` (unix s) is where
-- the bucket's data ends: the next bucket, or the end of the request when
-- the last bucket was cut short.
CREATE TABLE stats_points (
    series   INTEGER NOT NULL REFERENCES stats_series (id),
    t        INTEGER NOT NULL,
    span_end INTEGER NOT NULL,
    value    REAL,
    min      REAL,
    max      REAL,
    PRIMARY KEY (series, t)
) WITHOUT ROWID;

-- The windows fetched, per code ('*' for the whole kwh set) and instance
-- mode, with when they were fetched (unix s).
CREATE TABLE stats_ranges (
    id           INTEGER PRIMARY KEY,
    scope        INTEGER NOT NULL REFERENCES scopes (id),
    site         INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    interval     TEXT    NOT NULL,
    grid         TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    per_instance INTEGER NOT NULL,
    start        INTEGER NOT NULL,
    end          INTEGER NOT NULL,
    fetched_at   INTEGER NOT NULL
);
CREATE INDEX stats_ranges_by_key
    ON stats_ranges (scope, site, type, interval, grid, code, per_instance, start);

-- Diagnostics: the last value seen per attribute and instance ...
CREATE TABLE diag_current (
    scope     INTEGER NOT NULL REFERENCES scopes (id),
    site      INTEGER NOT NULL,
    attribute INTEGER NOT NULL,
    instance  INTEGER NOT NULL,
    code      TEXT,
    t         INTEGER NOT NULL,
    value,
    PRIMARY KEY (scope, site, attribute, instance)
) WITHOUT ROWID;

-- ... and every change of it (a row only when the value changed).
CREATE TABLE diag_history (
    scope     INTEGER NOT NULL REFERENCES scopes (id),
    site      INTEGER NOT NULL,
    attribute INTEGER NOT NULL,
    instance  INTEGER NOT NULL,
    t         INTEGER NOT NULL,
    value,
    PRIMARY KEY (scope, site, attribute, instance, t)
) WITHOUT ROWID;
CREATE INDEX diag_history_by_time ON diag_history (site, t);
