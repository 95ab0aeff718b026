//! The PostgreSQL store (feature `postgres`): the same cache as the SQLite
//! file, in one database that many workers on many machines share.
//!
//! What many writers need, and how it is kept:
//! - no lost rows, no duplicate points: every row has its natural key
//!   (`(series, t)` for points) and is written with `ON CONFLICT`;
//! - no deadlock: a transaction that writes more than one row takes one
//!   advisory lock first (per stats key, per site's diagnostics), under a
//!   shared lock that only `purge` takes exclusively; locks are always
//!   taken in that order and each transaction touches the rows of its key;
//! - each chunk fetched once: a worker claims a chunk (`vrm_stats_claims`)
//!   before asking VRM; another worker that wants it waits, then reads it;
//! - one rate budget per token: a row of `vrm_rate_budgets`, updated by one
//!   statement per request.

mod migrate;
mod stats;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, Config, GenericClient, NoTls, Row, Statement};
use serde_json::Value;
use time::OffsetDateTime;

use super::manage::by_site;
use super::{
    Budget, CacheInfo, CacheKind, Claim, Coverage, DiagnosticChange, Freshness, Purge, Replace,
    StatsKey, Store, StoredSeries,
};
use crate::error::{CacheError, Error, Result};
use crate::models::{DiagnosticRecord, Series};

use migrate::NAMESPACE;

/// The most connections one store opens: more threads wait for one (a
/// fleet of workers stays well inside the server's `max_connections`).
const MAX_CONNECTIONS: usize = 8;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Transactions retried after a serialization failure or a deadlock the
/// server broke (neither should happen; both are safe to retry).
const RETRIES: u32 = 3;

/// Trim the diagnostics history at most this often (seconds).
const TRIM_EVERY: i64 = 3600;

/// The advisory lock every writing transaction holds shared and `purge`
/// holds exclusive (with [`NAMESPACE`] as its first key).
const GLOBAL_LOCK: i32 = 2;
/// The first key of the per-stats-key locks.
const STATS_LOCKS: i32 = i32::from_be_bytes(*b"vrms");
/// The first key of the per-site diagnostics locks.
const DIAG_LOCKS: i32 = i32::from_be_bytes(*b"vrmd");

/// A connection and the statements prepared on it.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    /// `sql`, prepared once per connection.
    fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        prepared(&mut self.client, &mut self.statements, sql)
    }
}

/// `sql` prepared on `client` (a connection or a transaction of it),
/// remembered in `statements`.
fn prepared(
    client: &mut impl GenericClient,
    statements: &mut HashMap<String, Statement>,
    sql: &str,
) -> std::result::Result<Statement, postgres::Error> {
    if let Some(statement) = statements.get(sql) {
        return Ok(statement.clone());
    }
    let statement = client.prepare(sql)?;
    statements.insert(sql.to_owned(), statement.clone());
    Ok(statement)
}

/// A transaction with the statement cache of its connection.
pub(crate) struct Tx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Tx<'_> {
    fn query(&mut self, sql: &str, params: Params<'_>) -> PgResult<Vec<Row>> {
        let statement = prepared(&mut self.tx, self.statements, sql)?;
        self.tx.query(&statement, params)
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> PgResult<u64> {
        let statement = prepared(&mut self.tx, self.statements, sql)?;
        self.tx.execute(&statement, params)
    }

    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> PgResult<Option<Row>> {
        let statement = prepared(&mut self.tx, self.statements, sql)?;
        self.tx.query_opt(&statement, params)
    }

    /// Hold the shared lock that keeps `purge` out, then `lock` (a pair
    /// of keys), until the end of the transaction.
    fn lock(&mut self, lock: Option<(i32, i32)>) -> PgResult<()> {
        self.execute(
            "SELECT pg_advisory_xact_lock_shared($1, $2)",
            &[&NAMESPACE, &GLOBAL_LOCK],
        )?;
        if let Some((a, b)) = lock {
            self.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&a, &b])?;
        }
        Ok(())
    }
}

type PgResult<T> = std::result::Result<T, postgres::Error>;

/// The connections of a store: those not in use, and how many are open.
struct Pool {
    idle: Vec<Conn>,
    open: usize,
}

/// The shared cache in a PostgreSQL database.
pub(crate) struct PgStore {
    config: Config,
    /// `postgres://user@host:port/db`: the URL without its password.
    location: String,
    pool: Mutex<Pool>,
    /// Signalled when a connection is put back (or closed).
    freed: Condvar,
    /// This store's name in the claims it holds.
    holder: String,
    /// When diagnostics history was last trimmed (unix s).
    last_trim: Mutex<i64>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("url", &self.location)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connect to `url`, inspect the schema and migrate it.
    pub(crate) fn open(url: &str) -> Result<PgStore> {
        let mut config = Config::from_str(url).map_err(|e| {
            Error::invalid(format!(
                "cache url: not a PostgreSQL URL ({}); expected postgres://user:password@host:port/database",
                first_line(&e.to_string())
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("vrm");
        }
        let location = location_of(&config);
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        let store = PgStore {
            config,
            location,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 1,
            }),
            freed: Condvar::new(),
            holder: format!("{}-{nanos}", std::process::id()),
            last_trim: Mutex::new(i64::MIN),
        };
        let mut conn = store.connect().inspect_err(|_| store.pool().open = 0)?;
        migrate::migrate(&mut conn.client).map_err(|f| match f {
            migrate::Failure::Refused(message) => store.fail(message),
            migrate::Failure::Db { doing, error } => store.error(&doing, &error),
        })?;
        store.put_back(conn);
        Ok(store)
    }

    fn connect(&self) -> Result<Conn> {
        let client = self
            .config
            .connect(NoTls)
            .map_err(|e| self.error("connecting", &e))?;
        Ok(Conn {
            client,
            statements: HashMap::new(),
        })
    }

    fn pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection not in use, or a new one while fewer than
    /// [`MAX_CONNECTIONS`] are open; else wait for one.
    fn take(&self) -> Result<Conn> {
        let mut pool = self.pool();
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(conn);
            }
            if pool.open < MAX_CONNECTIONS {
                pool.open += 1;
                drop(pool);
                return self.connect().inspect_err(|_| {
                    self.pool().open -= 1;
                    self.freed.notify_one();
                });
            }
            pool = self
                .freed
                .wait(pool)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn put_back(&self, conn: Conn) {
        let mut pool = self.pool();
        if conn.client.is_closed() {
            pool.open = pool.open.saturating_sub(1);
        } else {
            pool.idle.push(conn);
        }
        drop(pool);
        self.freed.notify_one();
    }

    fn fail(&self, message: String) -> Error {
        Error::Cache(CacheError {
            path: Some(PathBuf::from(&self.location)),
            message,
        })
    }

    /// A server error in words: what was being done, the server's own
    /// message on one line (never the SQL, never the password).
    fn error(&self, doing: &str, e: &postgres::Error) -> Error {
        let message = match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    text = format!("{text}: {s}");
                    source = s.source();
                }
                text
            }
        };
        self.fail(format!("{doing}: {}", first_line(&message)))
    }

    /// Run `work` on a connection of the pool.
    fn with<T>(&self, doing: &str, mut work: impl FnMut(&mut Conn) -> PgResult<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            let mut conn = self.take()?;
            match work(&mut conn) {
                Ok(value) => {
                    self.put_back(conn);
                    return Ok(value);
                }
                Err(e) if attempt < RETRIES && is_retryable(&e, &conn) => {
                    attempt += 1;
                    log::debug!("cache {}: {doing}: retrying ({e})", self.location);
                    self.put_back(conn);
                }
                Err(e) => {
                    self.put_back(conn);
                    return Err(self.error(doing, &e));
                }
            }
        }
    }

    /// Run `work` in one transaction on a connection of the pool.
    fn transaction<T>(
        &self,
        doing: &str,
        mut work: impl FnMut(&mut Tx<'_>) -> PgResult<T>,
    ) -> Result<T> {
        self.with(doing, |conn| {
            let Conn { client, statements } = conn;
            let tx = client.transaction()?;
            let mut tx = Tx { tx, statements };
            let value = work(&mut tx)?;
            tx.tx.commit()?;
            Ok(value)
        })
    }

    /// Run `work` in one read-only transaction that sees one snapshot
    /// (a writer committing meanwhile is seen wholly or not at all).
    fn snapshot<T>(
        &self,
        doing: &str,
        mut work: impl FnMut(&mut Tx<'_>) -> PgResult<T>,
    ) -> Result<T> {
        self.with(doing, |conn| {
            let Conn { client, statements } = conn;
            let tx = client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let mut tx = Tx { tx, statements };
            let value = work(&mut tx)?;
            tx.tx.commit()?;
            Ok(value)
        })
    }

    /// Query on a connection of the pool, outside a transaction.
    fn query(&self, doing: &str, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        self.with(doing, |conn| {
            let statement = conn.prepare(sql)?;
            conn.client.query(&statement, params)
        })
    }
}

/// Whether a failure may go away when the work runs again: a connection
/// the server closed (it restarted; a new one is opened), a serialization
/// failure or a deadlock the server broke.
fn is_retryable(e: &postgres::Error, conn: &Conn) -> bool {
    use postgres::error::SqlState;
    conn.client.is_closed()
        || e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
        || e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED)
}

/// `postgres://user@host:port/db`, without the password.
fn location_of(config: &Config) -> String {
    use postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
}

/// The first line of `text`, at most 200 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 200 {
        let mut cut: String = line.chars().take(199).collect();
        cut.push('…');
        cut
    } else {
        line.to_owned()
    }
}

/// VRM ids are u64; PostgreSQL's BIGINT is i64: the bits are kept.
pub(crate) fn to_sql_id(id: u64) -> i64 {
    i64::from_ne_bytes(id.to_ne_bytes())
}

/// The inverse of [`to_sql_id`].
pub(crate) fn from_sql_id(id: i64) -> u64 {
    u64::from_ne_bytes(id.to_ne_bytes())
}

/// A 32-bit key of `text` for an advisory lock (FNV-1a, folded).
fn lock_key(text: &str) -> i32 {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    i32::from_ne_bytes(((hash >> 32) as u32 ^ hash as u32).to_ne_bytes())
}

/// A diagnostics value as both stores keep it: booleans as 0/1, lists and
/// objects as their JSON text, numbers and strings as they are.
fn diag_value(value: Option<&Value>) -> Value {
    match value {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Bool(b)) => Value::from(i64::from(*b)),
        Some(v @ (Value::Number(_) | Value::String(_))) => v.clone(),
        Some(other) => Value::String(other.to_string()),
    }
}

impl Store for PgStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn info(&self) -> Result<CacheInfo> {
        let mut counts: Vec<(Option<u64>, CacheKind, u64)> = Vec::new();
        let mut push = |site: Option<i64>, kind: CacheKind, rows: i64| {
            counts.push((
                site.map(from_sql_id),
                kind,
                u64::try_from(rows).unwrap_or(0),
            ));
        };
        let mut diagnostics: std::collections::BTreeMap<Option<i64>, i64> = Default::default();
        for row in self.query(
            "counting rows",
            "SELECT site, kind, count(*) FROM vrm_responses GROUP BY site, kind",
            &[],
        )? {
            let (site, kind, rows): (Option<i64>, String, i64) =
                (row.get(0), row.get(1), row.get(2));
            match CacheKind::from_name(&kind) {
                Some(CacheKind::Diagnostics) => *diagnostics.entry(site).or_default() += rows,
                Some(kind) => push(site, kind, rows),
                None => {}
            }
        }
        for row in self.query(
            "counting rows",
            "SELECT site, count(*) FROM vrm_diag_history GROUP BY site",
            &[],
        )? {
            *diagnostics.entry(Some(row.get(0))).or_default() += row.get::<_, i64>(1);
        }
        for (site, rows) in diagnostics {
            push(site, CacheKind::Diagnostics, rows);
        }
        for row in self.query(
            "counting rows",
            "SELECT s.site, count(*) FROM vrm_stats_points p
             JOIN vrm_stats_series s ON p.series = s.id GROUP BY s.site",
            &[],
        )? {
            push(Some(row.get(0)), CacheKind::Stats, row.get(1));
        }
        counts.sort_by_key(|(site, kind, _)| (*site, *kind));
        let names = migrate::our_names();
        let size: i64 = self
            .query(
                "reading the size",
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind = 'r'
                   AND c.relname::text = ANY($1)",
                &[&names],
            )?
            .first()
            .map_or(0, |r| r.get(0));
        Ok(CacheInfo {
            path: None,
            location: self.location.clone(),
            size_bytes: u64::try_from(size).unwrap_or(0),
            sites: by_site(counts),
        })
    }

    fn purge(&self, purge: &Purge, now: i64) -> Result<u64> {
        let cutoff = purge.cutoff(now);
        let site = purge.site_id().map(to_sql_id);
        let kinds: Vec<&str> = CacheKind::ALL
            .into_iter()
            .filter(|k| purge.includes(*k) && *k != CacheKind::Stats)
            .map(CacheKind::as_str)
            .collect();
        self.transaction("purging", |tx| {
            // Alone: every other writer holds this lock shared.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, $2)",
                &[&NAMESPACE, &GLOBAL_LOCK],
            )?;
            let mut deleted = tx.execute(
                "DELETE FROM vrm_responses WHERE kind = ANY($1)
                 AND ($2::bigint IS NULL OR site = $2) AND ($3::bigint IS NULL OR fetched_at < $3)",
                &[&kinds, &site, &cutoff],
            )?;
            if purge.includes(CacheKind::Diagnostics) {
                for table in ["vrm_diag_history", "vrm_diag_current"] {
                    deleted += tx.execute(
                        &format!(
                            "DELETE FROM {table} WHERE ($1::bigint IS NULL OR site = $1)
                             AND ($2::bigint IS NULL OR t < $2)"
                        ),
                        &[&site, &cutoff],
                    )?;
                }
            }
            if purge.includes(CacheKind::Stats) {
                let cutoff_ms = cutoff.map(|c| c.saturating_mul(1000));
                let of_site =
                    "SELECT id FROM vrm_stats_series WHERE $1::bigint IS NULL OR site = $1";
                deleted += tx.execute(
                    &format!(
                        "DELETE FROM vrm_stats_points WHERE ($2::bigint IS NULL OR t < $2)
                         AND series IN ({of_site})"
                    ),
                    &[&site, &cutoff_ms],
                )?;
                tx.execute(
                    &format!(
                        "DELETE FROM vrm_stats_listed WHERE ($2::bigint IS NULL OR end_at <= $2)
                         AND series IN ({of_site})"
                    ),
                    &[&site, &cutoff],
                )?;
                tx.execute(
                    "DELETE FROM vrm_stats_ranges WHERE ($1::bigint IS NULL OR site = $1)
                     AND ($2::bigint IS NULL OR end_at <= $2)",
                    &[&site, &cutoff],
                )?;
                if let Some(cutoff) = cutoff {
                    tx.execute(
                        &format!(
                            "UPDATE vrm_stats_listed SET start_at = $2 WHERE start_at < $2
                             AND series IN ({of_site})"
                        ),
                        &[&site, &cutoff],
                    )?;
                    tx.execute(
                        "UPDATE vrm_stats_ranges SET start_at = $2
                         WHERE ($1::bigint IS NULL OR site = $1) AND start_at < $2",
                        &[&site, &cutoff],
                    )?;
                }
                let empty = "SELECT s.id FROM vrm_stats_series s
                     WHERE ($1::bigint IS NULL OR s.site = $1) AND NOT EXISTS
                     (SELECT 1 FROM vrm_stats_points p WHERE p.series = s.id)";
                tx.execute(
                    &format!("DELETE FROM vrm_stats_listed WHERE series IN ({empty})"),
                    &[&site],
                )?;
                tx.execute(
                    &format!("DELETE FROM vrm_stats_series WHERE id IN ({empty})"),
                    &[&site],
                )?;
            }
            Ok(deleted)
        })
    }

    fn vacuum(&self) -> Result<()> {
        // Autovacuum makes the space of deleted rows reusable by itself;
        // giving it back to the system (VACUUM FULL) would lock the tables
        // against every worker: the database's administrator's call.
        Ok(())
    }

    fn identity(&self, host: &str, fingerprint: &str) -> Result<Option<u64>> {
        Ok(self
            .query(
                "reading the account",
                "SELECT user_id FROM vrm_identities WHERE host = $1 AND fingerprint = $2",
                &[&host, &fingerprint],
            )?
            .first()
            .map(|r| from_sql_id(r.get(0))))
    }

    fn accounts(&self, host: &str) -> Result<Vec<u64>> {
        let rows = self.query(
            "reading the accounts",
            "SELECT user_id FROM vrm_scopes WHERE host = $1 ORDER BY user_id",
            &[&host],
        )?;
        Ok(rows.iter().map(|r| from_sql_id(r.get(0))).collect())
    }

    fn bind_scope(&self, host: &str, fingerprint: Option<&str>, user: u64) -> Result<i64> {
        let user = to_sql_id(user);
        self.transaction("recording the account", |tx| {
            if let Some(fingerprint) = fingerprint {
                tx.execute(
                    "INSERT INTO vrm_identities (host, fingerprint, user_id) VALUES ($1, $2, $3)
                     ON CONFLICT (host, fingerprint) DO UPDATE SET user_id = excluded.user_id
                     WHERE vrm_identities.user_id <> excluded.user_id",
                    &[&host, &fingerprint, &user],
                )?;
            }
            tx.execute(
                "INSERT INTO vrm_scopes (host, user_id) VALUES ($1, $2)
                 ON CONFLICT (host, user_id) DO NOTHING",
                &[&host, &user],
            )?;
            let row = tx.query(
                "SELECT id FROM vrm_scopes WHERE host = $1 AND user_id = $2",
                &[&host, &user],
            )?;
            Ok(row.first().map_or(0, |r| r.get(0)))
        })
    }

    fn response(&self, scope: i64, key: &str) -> Result<Option<(i64, Vec<u8>)>> {
        Ok(self
            .query(
                "reading a cached answer",
                "SELECT fetched_at, body FROM vrm_responses WHERE scope = $1 AND key = $2",
                &[&scope, &key],
            )?
            .first()
            .map(|r| (r.get(0), r.get(1))))
    }

    fn put_response(
        &self,
        scope: i64,
        key: &str,
        kind: CacheKind,
        site: Option<u64>,
        fetched_at: i64,
        body: &[u8],
    ) -> Result<()> {
        let site = site.map(to_sql_id);
        self.query(
            "storing an answer",
            "INSERT INTO vrm_responses (scope, key, kind, site, fetched_at, body)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (scope, key) DO UPDATE
             SET fetched_at = excluded.fetched_at, body = excluded.body",
            &[&scope, &key, &kind.as_str(), &site, &fetched_at, &body],
        )
        .map(drop)
    }

    fn forget(&self, scope: i64, stale: &[(CacheKind, Option<u64>)]) -> Result<usize> {
        self.transaction("forgetting stale answers", |tx| {
            tx.lock(None)?;
            let mut dropped = 0;
            for (kind, site) in stale {
                let site = site.map(to_sql_id);
                dropped += tx.execute(
                    "DELETE FROM vrm_responses WHERE scope = $1 AND kind = $2
                     AND ($3::bigint IS NULL OR site = $3)",
                    &[&scope, &kind.as_str(), &site],
                )?;
            }
            Ok(usize::try_from(dropped).unwrap_or(usize::MAX))
        })
    }

    fn stats_coverage(
        &self,
        key: &StatsKey<'_>,
        window: (i64, i64),
        freshness: Freshness,
    ) -> Result<Coverage> {
        self.snapshot("reading cached stats ranges", |tx| {
            stats::coverage(tx, key, window, freshness)
        })
    }

    fn store_stats(
        &self,
        key: &StatsKey<'_>,
        chunk: (i64, i64),
        records: &std::collections::BTreeMap<String, Series>,
        freshness: Freshness,
        replace: Replace,
    ) -> Result<()> {
        self.transaction("storing stats", |tx| {
            tx.lock(Some((STATS_LOCKS, lock_key(&stats::key_text(key)))))?;
            stats::store(tx, key, chunk, records, replace)?;
            stats::add_ranges(tx, key, chunk, freshness)?;
            stats::unclaim(tx, key, chunk, &self.holder)
        })
    }

    fn read_stats(&self, key: &StatsKey<'_>, window: (i64, i64)) -> Result<Vec<StoredSeries>> {
        self.snapshot("reading cached stats", |tx| stats::read(tx, key, window))
    }

    fn claim_stats(
        &self,
        key: &StatsKey<'_>,
        chunk: (i64, i64),
        freshness: Freshness,
    ) -> Result<Claim> {
        self.transaction("claiming a stats chunk", |tx| {
            tx.lock(Some((STATS_LOCKS, lock_key(&stats::key_text(key)))))?;
            stats::claim(tx, key, chunk, freshness, &self.holder)
        })
    }

    fn release_stats(&self, key: &StatsKey<'_>, chunk: (i64, i64)) -> Result<()> {
        self.transaction("releasing a stats claim", |tx| {
            stats::unclaim(tx, key, chunk, &self.holder)
        })
    }

    fn reserve_request(&self, budget: &Budget<'_>, now: f64) -> Result<Option<Duration>> {
        let rows = self.query(
            "reserving a request of the shared rate budget",
            "INSERT INTO vrm_rate_budgets AS b (name, level, last, paused_until)
             VALUES ($1, 1, $2::float8, NULL)
             ON CONFLICT (name) DO UPDATE SET
                 level = CASE WHEN $3::float8 > 0
                     THEN greatest(b.level - (greatest(b.last, $2::float8) - b.last) / $3::float8, 0)
                     ELSE 0 END + 1,
                 last = greatest(b.last, $2::float8)
             RETURNING level, last, paused_until",
            &[&budget.name, &now, &budget.refill],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let (level, last, paused): (f64, f64, Option<f64>) = (row.get(0), row.get(1), row.get(2));
        let paced = ((level - budget.capacity) * budget.refill).max(0.0);
        let paused = paused.map_or(0.0, |until| (until - last).max(0.0));
        Ok(Some(
            Duration::try_from_secs_f64(paced.max(paused)).unwrap_or(Duration::MAX),
        ))
    }

    fn pause_requests(&self, budget: &Budget<'_>, until: f64) -> Result<()> {
        self.query(
            "pausing the shared rate budget",
            "INSERT INTO vrm_rate_budgets AS b (name, level, last, paused_until)
             VALUES ($1, 0, 0, $2::float8)
             ON CONFLICT (name) DO UPDATE
             SET paused_until = greatest(coalesce(b.paused_until, 0), $2::float8)",
            &[&budget.name, &until],
        )
        .map(drop)
    }

    fn record_diagnostics(
        &self,
        scope: i64,
        site: u64,
        records: &[DiagnosticRecord],
        now: i64,
        retention_secs: i64,
    ) -> Result<usize> {
        let trim = {
            let mut last = self
                .last_trim
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let due = now.saturating_sub(*last) >= TRIM_EVERY;
            if due {
                *last = now;
            }
            due
        };
        let site = to_sql_id(site);
        self.transaction("storing diagnostics history", |tx| {
            tx.lock(Some((DIAG_LOCKS, lock_key(&format!("{scope}/{site}")))))?;
            let before: HashMap<(i64, i64), Value> = tx
                .query(
                    "SELECT attribute, instance, value FROM vrm_diag_current
                     WHERE scope = $1 AND site = $2",
                    &[&scope, &site],
                )?
                .iter()
                .map(|r| ((r.get(0), r.get(1)), r.get(2)))
                .collect();
            let mut written = 0;
            for record in records {
                let Some(attribute) = record.id_data_attribute.map(to_sql_id) else {
                    continue;
                };
                let instance = record.instance.map_or(-1, i64::from);
                let value = diag_value(record.raw_value.as_ref());
                if before.get(&(attribute, instance)) == Some(&value) {
                    continue;
                }
                let t = record.timestamp.unwrap_or(now);
                tx.execute(
                    "INSERT INTO vrm_diag_current (scope, site, attribute, instance, code, t, value)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (scope, site, attribute, instance) DO UPDATE
                     SET code = excluded.code, t = excluded.t, value = excluded.value",
                    &[&scope, &site, &attribute, &instance, &record.code, &t, &value],
                )?;
                tx.execute(
                    "INSERT INTO vrm_diag_history (scope, site, attribute, instance, t, value)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (scope, site, attribute, instance, t) DO UPDATE
                     SET value = excluded.value",
                    &[&scope, &site, &attribute, &instance, &t, &value],
                )?;
                written += 1;
            }
            if trim {
                // Keep, per attribute, the last value before the cut-off.
                tx.execute(
                    "DELETE FROM vrm_diag_history h
                     WHERE h.scope = $1 AND h.site = $2 AND h.t < $3 AND EXISTS (
                         SELECT 1 FROM vrm_diag_history n
                         WHERE n.scope = h.scope AND n.site = h.site
                           AND n.attribute = h.attribute AND n.instance = h.instance
                           AND n.t > h.t AND n.t <= $3)",
                    &[&scope, &site, &now.saturating_sub(retention_secs)],
                )?;
            }
            Ok(written)
        })
    }

    fn diagnostics_history(
        &self,
        scope: i64,
        site: u64,
        (start, end): (i64, i64),
    ) -> Result<Vec<DiagnosticChange>> {
        let rows = self.query(
            "reading diagnostics history",
            "SELECT h.attribute, h.instance, h.t, h.value, c.code FROM vrm_diag_history h
             LEFT JOIN vrm_diag_current c ON c.scope = h.scope AND c.site = h.site
                 AND c.attribute = h.attribute AND c.instance = h.instance
             WHERE h.scope = $1 AND h.site = $2 AND h.t >= $3 AND h.t < $4
             ORDER BY h.t, h.attribute, h.instance",
            &[&scope, &to_sql_id(site), &start, &end],
        )?;
        Ok(rows.iter().map(row_change).collect())
    }

    fn diagnostics_at(&self, scope: i64, site: u64, at: i64) -> Result<Vec<DiagnosticChange>> {
        let rows = self.query(
            "reading diagnostics history",
            "SELECT DISTINCT ON (h.attribute, h.instance)
                    h.attribute, h.instance, h.t, h.value, c.code FROM vrm_diag_history h
             LEFT JOIN vrm_diag_current c ON c.scope = h.scope AND c.site = h.site
                 AND c.attribute = h.attribute AND c.instance = h.instance
             WHERE h.scope = $1 AND h.site = $2 AND h.t <= $3
             ORDER BY h.attribute, h.instance, h.t DESC",
            &[&scope, &to_sql_id(site), &at],
        )?;
        Ok(rows.iter().map(row_change).collect())
    }
}

fn row_change(row: &Row) -> DiagnosticChange {
    let t: i64 = row.get(2);
    DiagnosticChange {
        time: OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        attribute: from_sql_id(row.get(0)),
        code: row.get(4),
        instance: u32::try_from(row.get::<_, i64>(1)).ok(),
        value: row.get(3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_location_never_holds_the_password() {
        let config = Config::from_str("postgres://vrm:s3cret-pw@db.example:6543/fleet").unwrap();
        let location = location_of(&config);
        assert_eq!(location, "postgres://vrm@db.example:6543/fleet");
        let e = PgStore::open("postgres://vrm:s3cret-pw@127.0.0.1:1/x?connect_timeout=1")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
        assert!(e.contains("postgres://vrm@127.0.0.1:1/x"), "{e}");
    }

    #[test]
    fn lock_keys_are_stable() {
        assert_eq!(lock_key("a"), lock_key("a"));
        assert_ne!(lock_key("1/2/kwh/hours/"), lock_key("1/3/kwh/hours/"));
    }

    #[test]
    fn diagnostics_values_are_kept_as_sqlite_keeps_them() {
        assert_eq!(diag_value(Some(&Value::Bool(true))), Value::from(1));
        assert_eq!(diag_value(None), Value::Null);
        assert_eq!(
            diag_value(Some(&serde_json::json!([1, 2]))),
            Value::from("[1,2]")
        );
        assert_eq!(diag_value(Some(&Value::from(12.5))), Value::from(12.5));
    }
}
