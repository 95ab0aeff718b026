//! The local SQLite cache: what VRM answered, kept so that repeated and
//! offline queries cost no request.
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

pub use diagnostics::DiagnosticChange;
pub use manage::{CacheInfo, KindRows, Purge, SiteRows};

use crate::error::{Error, Result};

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

/// Where answers may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheMode {
    /// Serve what the cache holds while it is fresh; ask VRM for the rest.
    #[default]
    PreferCache,
    /// Always ask VRM, and store the answer.
    Refresh,
    /// Never touch the network; a miss is [`Error::NotCached`].
    Offline,
}

/// The kinds of cached answers, each with its own freshness limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CacheKind {
    /// `users/me`.
    User,
    /// `users/{id}/installations`.
    Installations,
    /// `…/system-overview`.
    SystemOverview,
    /// `…/diagnostics` (the latest snapshot; history is kept apart).
    Diagnostics,
    /// `…/tags`.
    Tags,
    /// `…/gps-download`.
    GpsDownload,
    /// `…/data-download`.
    DataDownload,
    /// `…/stats`: the recent past (inside the settle margin) only; older
    /// buckets are final and never refetched.
    Stats,
    /// `…/overallstats`.
    OverallStats,
    /// `…/widgets/Graph`.
    Graph,
    /// `…/widgets/{name}`.
    Widget,
}

impl CacheKind {
    /// Every kind.
    pub const ALL: [CacheKind; 11] = [
        CacheKind::User,
        CacheKind::Installations,
        CacheKind::SystemOverview,
        CacheKind::Diagnostics,
        CacheKind::Tags,
        CacheKind::GpsDownload,
        CacheKind::DataDownload,
        CacheKind::Stats,
        CacheKind::OverallStats,
        CacheKind::Graph,
        CacheKind::Widget,
    ];

    /// The name stored in the file and shown by `vrm cache info`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheKind::User => "user",
            CacheKind::Installations => "installations",
            CacheKind::SystemOverview => "system-overview",
            CacheKind::Diagnostics => "diagnostics",
            CacheKind::Tags => "tags",
            CacheKind::GpsDownload => "gps-download",
            CacheKind::DataDownload => "data-download",
            CacheKind::Stats => "stats",
            CacheKind::OverallStats => "overallstats",
            CacheKind::Graph => "graph",
            CacheKind::Widget => "widget",
        }
    }

    /// The kind named `name` (as [`as_str`](Self::as_str) spells it).
    pub fn from_name(name: &str) -> Option<CacheKind> {
        CacheKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The default freshness limit.
    pub fn default_freshness(self) -> Duration {
        const MINUTE: u64 = 60;
        Duration::from_secs(match self {
            CacheKind::User => 24 * 60 * MINUTE,
            CacheKind::Installations
            | CacheKind::SystemOverview
            | CacheKind::Tags
            | CacheKind::GpsDownload
            | CacheKind::DataDownload => 60 * MINUTE,
            CacheKind::Stats | CacheKind::OverallStats | CacheKind::Graph => 15 * MINUTE,
            CacheKind::Diagnostics | CacheKind::Widget => 5 * MINUTE,
        })
    }
}

impl fmt::Display for CacheKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long cached answers stay fresh, and the other knobs of the cache.
///
/// ```
/// use std::time::Duration;
/// use vrm::{CacheKind, CachePolicy};
/// let policy = CachePolicy::default()
///     .freshness(CacheKind::Installations, Duration::from_secs(6 * 3600))
///     .settle_margin(Duration::from_secs(24 * 3600));
/// assert_eq!(policy.freshness_of(CacheKind::Installations).as_secs(), 6 * 3600);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePolicy {
    freshness: Vec<(CacheKind, Duration)>,
    settle_margin: Duration,
    diagnostics_retention: Duration,
    stale_on_error: bool,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            freshness: Vec::new(),
            settle_margin: Duration::from_secs(48 * 3600),
            diagnostics_retention: Duration::from_secs(30 * 24 * 3600),
            stale_on_error: true,
        }
    }
}

impl CachePolicy {
    /// Keep answers of `kind` fresh for `limit`. Defaults:
    /// [`CacheKind::default_freshness`].
    pub fn freshness(mut self, kind: CacheKind, limit: Duration) -> Self {
        self.freshness.retain(|(k, _)| *k != kind);
        self.freshness.push((kind, limit));
        self
    }

    /// The freshness limit of `kind`.
    pub fn freshness_of(&self, kind: CacheKind) -> Duration {
        self.freshness
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or_else(|| kind.default_freshness(), |(_, d)| *d)
    }

    /// Stats buckets newer than this, at the time they were fetched, are not
    /// final (GX devices upload backlogs late) and are refetched once older
    /// than the stats freshness limit. Default 48 hours.
    pub fn settle_margin(mut self, margin: Duration) -> Self {
        self.settle_margin = margin;
        self
    }

    /// The settle margin.
    pub fn settle_margin_of(&self) -> Duration {
        self.settle_margin
    }

    /// How long diagnostics history is kept. Default 30 days.
    pub fn diagnostics_retention(mut self, retention: Duration) -> Self {
        self.diagnostics_retention = retention;
        self
    }

    /// The diagnostics retention.
    pub fn diagnostics_retention_of(&self) -> Duration {
        self.diagnostics_retention
    }

    /// When VRM cannot be reached and the cache holds an old copy, return
    /// it marked [`Source::Stale`](crate::Source::Stale) (the default) or
    /// fail with the network error.
    pub fn stale_on_error(mut self, yes: bool) -> Self {
        self.stale_on_error = yes;
        self
    }

    /// Whether stale copies stand in for network errors.
    pub fn is_stale_on_error(&self) -> bool {
        self.stale_on_error
    }
}

/// A failure of the cache file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheError {
    /// The file, when the cache has one.
    pub path: Option<PathBuf>,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "cache {}: {}", path.display(), self.message),
            None => write!(f, "in-memory cache: {}", self.message),
        }
    }
}

impl std::error::Error for CacheError {}

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

    /// Remember the user behind `fingerprint` and return the scope id of
    /// (`host`, `user`).
    pub(crate) fn bind_scope(&self, host: &str, fingerprint: &str, user: u64) -> Result<i64> {
        let conn = self.conn();
        let user = to_sql_id(user);
        let run = || -> rusqlite::Result<i64> {
            conn.execute(
                "INSERT INTO identities (host, fingerprint, user_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (host, fingerprint) DO UPDATE SET user_id = excluded.user_id",
                params![host, fingerprint, user],
            )?;
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
        let a = cache.bind_scope("https://h/", "demo", 22).unwrap();
        let b = cache.bind_scope("https://h/", "user:x", 23).unwrap();
        let c = cache.bind_scope("https://other/", "demo", 22).unwrap();
        assert!(a != b && a != c && b != c);
        assert_eq!(cache.bind_scope("https://h/", "again", 22).unwrap(), a);
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
