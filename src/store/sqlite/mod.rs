//! The SQLite store, the default cache: one file (or memory), what VRM
//! answered kept so that repeated and offline queries cost no request.
//!
//! Open one with [`Cache::open`] (a path), [`Cache::open_default`] (the
//! platform cache folder) or [`Cache::in_memory`], and give it to
//! [`ClientBuilder::cache`](crate::ClientBuilder::cache): every GET of that
//! client then goes through it. The rules it follows are in the README
//! ("The cache").

mod diagnostics;
mod manage;
mod migrate;
pub(crate) mod stats;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

pub use manage::{CacheInfo, KindRows, Purge, SiteRows};

use super::{
    CacheKind, Coverage, DiagnosticChange, Freshness, Replace, StatsKey, Store, StoredSeries,
};
use crate::error::{CacheError, Error, Result};
use crate::models::{DiagnosticRecord, Series};

/// The file name inside the platform cache folder.
pub const DEFAULT_FILE_NAME: &str = "cache.sqlite";

/// How long a writer waits for another writer (thread or process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A cache file (or an in-memory cache), shared by every clone.
///
/// Cheap to clone, `Send + Sync`. Several processes may open one file at
/// once.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<CacheInner>,
}

struct CacheInner {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// When diagnostics history was last trimmed (unix s).
    last_trim: Mutex<i64>,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// Open (or create) the cache file at `path`, creating its folder.
    /// A new file (and any folder created for it) is readable by its owner
    /// only. The schema is upgraded in place.
    ///
    /// # Errors
    /// [`Error::Cache`] when the file cannot be created or opened, is not a
    /// SQLite database, or was written by a newer version of this crate; the
    /// file is left as it was.
    pub fn open(path: impl AsRef<Path>) -> Result<Cache> {
        let path = path.as_ref().to_path_buf();
        let fail = |message: String| {
            Error::Cache(CacheError {
                path: Some(path.clone()),
                message,
            })
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)
                .map_err(|e| fail(format!("cannot create its folder: {e}")))?;
        }
        create_private(&path).map_err(|e| fail(format!("cannot create the file: {e}")))?;
        let conn = Connection::open(&path).map_err(|e| fail(describe(&e)))?;
        Cache::setup(conn, Some(path))
    }

    /// Open the cache file in the platform cache folder
    /// ([`default_path`](Self::default_path)).
    ///
    /// # Errors
    /// Those of [`open`](Self::open), or [`Error::Cache`] when the platform
    /// has no cache folder (no home directory).
    pub fn open_default() -> Result<Cache> {
        let path = Cache::default_path().ok_or_else(|| {
            Error::Cache(CacheError {
                path: None,
                message: "no platform cache folder (is HOME set?); give a path instead".into(),
            })
        })?;
        Cache::open(path)
    }

    /// The default cache file: `cache.sqlite` in the platform cache folder
    /// (`~/.cache/vrm` on Linux, `~/Library/Caches/vrm` on macOS,
    /// `%LOCALAPPDATA%\vrm\cache` on Windows).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "vrm")
            .map(|dirs| dirs.cache_dir().join(DEFAULT_FILE_NAME))
    }

    /// A cache that lives only as long as this value (tests, one-shot runs).
    ///
    /// # Errors
    /// [`Error::Cache`] if SQLite cannot allocate it.
    pub fn in_memory() -> Result<Cache> {
        let conn = Connection::open_in_memory().map_err(|e| {
            Error::Cache(CacheError {
                path: None,
                message: describe(&e),
            })
        })?;
        Cache::setup(conn, None)
    }

    /// The file, unless in memory.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<Cache> {
        let fail = |e: rusqlite::Error| {
            Error::Cache(CacheError {
                path: path.clone(),
                message: describe(&e),
            })
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // Read the version before anything writes: a newer file is left
        // exactly as it was.
        migrate::check_version(&conn).map_err(|message| {
            Error::Cache(CacheError {
                path: path.clone(),
                message,
            })
        })?;
        if path.is_some() {
            let _mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(fail)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(fail)?;
        }
        migrate::migrate(&mut conn).map_err(|message| {
            Error::Cache(CacheError {
                path: path.clone(),
                message,
            })
        })?;
        Ok(Cache {
            inner: Arc::new(CacheInner {
                conn: Mutex::new(conn),
                path,
                last_trim: Mutex::new(i64::MIN),
            }),
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.inner
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Wrap a SQLite error with the file's path and what was being done.
    pub(crate) fn error(&self, doing: &str, e: &rusqlite::Error) -> Error {
        Error::Cache(CacheError {
            path: self.inner.path.clone(),
            message: format!("{doing}: {}", describe(e)),
        })
    }

    /// The user behind `fingerprint` at `host`, if a run has seen it.
    pub(crate) fn identity(&self, host: &str, fingerprint: &str) -> Result<Option<u64>> {
        self.conn()
            .query_row(
                "SELECT user_id FROM identities WHERE host = ?1 AND fingerprint = ?2",
                params![host, fingerprint],
                |row| row.get::<_, i64>(0),
            )
            .optional()
            .map(|id| id.map(from_sql_id))
            .map_err(|e| self.error("reading the account", &e))
    }

    /// Every account with a scope at `host`, in order.
    pub(crate) fn accounts(&self, host: &str) -> Result<Vec<u64>> {
        let conn = self.conn();
        let run = || -> rusqlite::Result<Vec<u64>> {
            let mut stmt =
                conn.prepare_cached("SELECT user_id FROM scopes WHERE host = ?1 ORDER BY user_id")?;
            let rows = stmt.query_map([host], |row| row.get::<_, i64>(0))?;
            rows.map(|r| r.map(from_sql_id)).collect()
        };
        run().map_err(|e| self.error("reading the accounts", &e))
    }

    /// Remember the user behind `fingerprint` (when given) and return the
    /// scope id of (`host`, `user`).
    pub(crate) fn bind_scope(
        &self,
        host: &str,
        fingerprint: Option<&str>,
        user: u64,
    ) -> Result<i64> {
        let conn = self.conn();
        let user = to_sql_id(user);
        let run = || -> rusqlite::Result<i64> {
            if let Some(fingerprint) = fingerprint {
                conn.execute(
                    "INSERT INTO identities (host, fingerprint, user_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (host, fingerprint) DO UPDATE SET user_id = excluded.user_id",
                    params![host, fingerprint, user],
                )?;
            }
            conn.execute(
                "INSERT OR IGNORE INTO scopes (host, user_id) VALUES (?1, ?2)",
                params![host, user],
            )?;
            conn.query_row(
                "SELECT id FROM scopes WHERE host = ?1 AND user_id = ?2",
                params![host, user],
                |row| row.get(0),
            )
        };
        run().map_err(|e| self.error("recording the account", &e))
    }

    /// A cached answer: (fetched_at, body).
    pub(crate) fn response(&self, scope: i64, key: &str) -> Result<Option<(i64, Vec<u8>)>> {
        self.conn()
            .query_row(
                "SELECT fetched_at, body FROM responses WHERE scope = ?1 AND key = ?2",
                params![scope, key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error("reading a cached answer", &e))
    }

    /// Store an answer, replacing an older one of the same request.
    pub(crate) fn put_response(
        &self,
        scope: i64,
        key: &str,
        kind: CacheKind,
        site: Option<u64>,
        fetched_at: i64,
        body: &[u8],
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO responses (scope, key, kind, site, fetched_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (scope, key) DO UPDATE
                 SET fetched_at = excluded.fetched_at, body = excluded.body",
                params![
                    scope,
                    key,
                    kind.as_str(),
                    site.map(to_sql_id),
                    fetched_at,
                    body
                ],
            )
            .map(drop)
            .map_err(|e| self.error("storing an answer", &e))
    }
}

impl Store for Cache {
    fn identity(&self, host: &str, fingerprint: &str) -> Result<Option<u64>> {
        Cache::identity(self, host, fingerprint)
    }

    fn accounts(&self, host: &str) -> Result<Vec<u64>> {
        Cache::accounts(self, host)
    }

    fn bind_scope(&self, host: &str, fingerprint: Option<&str>, user: u64) -> Result<i64> {
        Cache::bind_scope(self, host, fingerprint, user)
    }

    fn response(&self, scope: i64, key: &str) -> Result<Option<(i64, Vec<u8>)>> {
        Cache::response(self, scope, key)
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
        Cache::put_response(self, scope, key, kind, site, fetched_at, body)
    }

    fn stats_coverage(
        &self,
        key: &StatsKey<'_>,
        window: (i64, i64),
        freshness: Freshness,
    ) -> Result<Coverage> {
        Cache::stats_coverage(self, key, window, freshness)
    }

    fn store_stats(
        &self,
        key: &StatsKey<'_>,
        chunk: (i64, i64),
        records: &std::collections::BTreeMap<String, Series>,
        freshness: Freshness,
        replace: Replace,
    ) -> Result<()> {
        Cache::store_stats(self, key, chunk, records, freshness, replace)
    }

    fn read_stats(&self, key: &StatsKey<'_>, window: (i64, i64)) -> Result<Vec<StoredSeries>> {
        Cache::read_stats(self, key, window)
    }

    fn record_diagnostics(
        &self,
        scope: i64,
        site: u64,
        records: &[DiagnosticRecord],
        now: i64,
        retention_secs: i64,
    ) -> Result<usize> {
        Cache::record_diagnostics(self, scope, site, records, now, retention_secs)
    }

    fn diagnostics_history(
        &self,
        scope: i64,
        site: u64,
        window: (i64, i64),
    ) -> Result<Vec<DiagnosticChange>> {
        Cache::diagnostics_history(self, scope, site, window)
    }

    fn diagnostics_at(&self, scope: i64, site: u64, at: i64) -> Result<Vec<DiagnosticChange>> {
        Cache::diagnostics_at(self, scope, site, at)
    }
}

/// Create the folder `path` and its missing parents, each one its
/// owner's only (folders that exist are left as they are).
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Create `path` if missing, readable and writable by its owner only.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

/// A SQLite error in words a user can act on.
fn describe(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            "not a vrm cache (not a SQLite database, or damaged); it was left untouched: \
             move it away or use another cache path"
                .into()
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            "the file is damaged; it was left untouched: move it away or use another cache path"
                .into()
        }
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => format!(
            "busy for more than {} s (another process holds it): {e}",
            BUSY_TIMEOUT.as_secs()
        ),
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
            format!("cannot write it (permissions?): {e}")
        }
        Some(rusqlite::ErrorCode::DiskFull) => "the disk is full".into(),
        _ => e.to_string(),
    }
}

/// VRM ids are u64; SQLite integers are i64. The bit pattern is kept, so
/// every id round-trips.
pub(crate) fn to_sql_id(id: u64) -> i64 {
    i64::from_ne_bytes(id.to_ne_bytes())
}

/// The inverse of [`to_sql_id`].
pub(crate) fn from_sql_id(id: i64) -> u64 {
    u64::from_ne_bytes(id.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CachePolicy;

    #[test]
    fn ids_round_trip() {
        for id in [0, 1, 151_734, u64::MAX, 1 << 63] {
            assert_eq!(from_sql_id(to_sql_id(id)), id);
        }
    }

    #[test]
    fn kinds_have_names_and_freshness() {
        for kind in CacheKind::ALL {
            assert_eq!(CacheKind::from_name(kind.as_str()), Some(kind));
            assert!(kind.default_freshness() >= Duration::from_secs(60));
        }
        let policy = CachePolicy::default().freshness(CacheKind::Tags, Duration::from_secs(7));
        assert_eq!(policy.freshness_of(CacheKind::Tags), Duration::from_secs(7));
        assert_eq!(
            policy.freshness_of(CacheKind::Widget),
            CacheKind::Widget.default_freshness()
        );
    }

    #[test]
    fn answers_are_kept_per_scope() {
        let cache = Cache::in_memory().unwrap();
        let a = cache.bind_scope("https://h/", Some("demo"), 22).unwrap();
        let b = cache.bind_scope("https://h/", Some("user:x"), 23).unwrap();
        let c = cache
            .bind_scope("https://other/", Some("demo"), 22)
            .unwrap();
        assert!(a != b && a != c && b != c);
        assert_eq!(
            cache.bind_scope("https://h/", Some("again"), 22).unwrap(),
            a
        );
        assert_eq!(cache.identity("https://h/", "user:x").unwrap(), Some(23));
        assert_eq!(cache.identity("https://other/", "user:x").unwrap(), None);
        cache
            .put_response(a, "k", CacheKind::Tags, Some(5), 100, b"{}")
            .unwrap();
        assert_eq!(cache.response(a, "k").unwrap(), Some((100, b"{}".to_vec())));
        assert_eq!(cache.response(b, "k").unwrap(), None);
        assert_eq!(cache.response(c, "k").unwrap(), None);
    }
}
