//! The SQLite store, the default cache: one file (or memory), what VRM
//! answered kept so that repeated and offline queries cost no request.
//! [`Cache`](crate::Cache) opens it ([`Cache::open`](crate::Cache::open),
//! [`Cache::in_memory`](crate::Cache::in_memory)).

mod diagnostics;
mod manage;
mod migrate;
pub(crate) mod stats;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{
    CacheInfo, CacheKind, Coverage, DiagnosticChange, Freshness, Purge, Replace, StatsKey, Store,
    StoredSeries,
};
use crate::error::{CacheError, Error, Result};
use crate::models::{DiagnosticRecord, Series};

/// The file name inside the platform cache folder.
pub(crate) const DEFAULT_FILE_NAME: &str = "cache.sqlite";

/// How long a writer waits for another writer (thread or process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The scope of an account a read-only cache does not know: never a row
/// id SQLite assigns (they start at 1), so nothing is found for it.
pub(crate) const UNBOUND_SCOPE: i64 = 0;

/// The longest SQLite message shown in an error (characters).
const LONGEST_MESSAGE: usize = 200;

/// A cache file (or an in-memory cache), shared by every clone.
///
/// Cheap to clone, `Send + Sync`. Several processes may open one file at
/// once.
#[derive(Clone)]
pub(crate) struct SqliteStore {
    inner: Arc<CacheInner>,
}

struct CacheInner {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// When diagnostics history was last trimmed (unix s).
    last_trim: Mutex<i64>,
    /// Why the cache only reads, when it does.
    read_only: Option<String>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("path", &self.inner.path)
            .field("read_only", &self.inner.read_only.is_some())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Open (or create) the cache file at `path`, creating its folder.
    /// A new file (and any folder created for it) is readable by its owner
    /// only. The schema is upgraded in place.
    ///
    /// The file is read before anything writes to it: a file that is not a
    /// vrm cache (another program's SQLite database, one of a newer vrm,
    /// not a database at all) is refused and left exactly as it was.
    /// A cache carries `PRAGMA application_id` 0x76726d63 (`vrmc`); files of
    /// earlier vrm versions, which have none, are recognised by their
    /// tables and stamped.
    ///
    /// A cache that cannot be written (a read-only file or folder, a full
    /// disk) opens read-only, as [`open_read_only`](Self::open_read_only)
    /// does, when its schema is current: reads and offline use work, writes
    /// fail with an error saying the cache is read-only and why
    /// ([`is_read_only`](Self::is_read_only) tells).
    ///
    /// # Errors
    /// [`Error::Cache`] when the file or its folder cannot be created, the
    /// file cannot be read, is not a vrm cache, was written by a newer
    /// version of this crate, or needs a schema upgrade but cannot be
    /// written; the file is left as it was.
    pub(crate) fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
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
        open_file(path, Access::ReadWrite)
    }

    /// Open the existing cache file at `path` for reading only: nothing is
    /// ever written to it, so it may live on read-only media or a full
    /// disk. Queries are served from what it holds (offline use); anything
    /// that would store fails with an error saying the cache is read-only.
    ///
    /// SQLite still needs the `-wal` and `-shm` files of a write-ahead log:
    /// they are used (created when the folder allows); when they cannot be,
    /// the file is read as it is on disk, without locks, as an immutable
    /// file.
    ///
    /// # Errors
    /// [`Error::Cache`] when the file does not exist or cannot be read, is
    /// not a vrm cache, or its schema is not the current one (older files
    /// must be opened writable once, with [`open`](Self::open), to be
    /// upgraded).
    pub(crate) fn open_read_only(path: impl AsRef<Path>) -> Result<SqliteStore> {
        open_file(path.as_ref().to_path_buf(), Access::ReadOnly)
    }

    /// A cache that lives only as long as this value (tests, one-shot runs).
    ///
    /// # Errors
    /// [`Error::Cache`] if SQLite cannot allocate it.
    pub(crate) fn in_memory() -> Result<SqliteStore> {
        let fail = |message: String| {
            Error::Cache(CacheError {
                path: None,
                message,
            })
        };
        let mut conn = Connection::open_in_memory().map_err(|e| fail(describe(&e)))?;
        migrate::migrate(&mut conn).map_err(|f| fail(failure_message(f)))?;
        Ok(SqliteStore::new(conn, None, None))
    }

    /// The file, unless in memory.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Whether this cache only reads: opened with
    /// [`open_read_only`](Self::open_read_only), or by
    /// [`open`](Self::open) on a file it could not write.
    pub(crate) fn is_read_only(&self) -> bool {
        self.inner.read_only.is_some()
    }

    fn new(conn: Connection, path: Option<PathBuf>, read_only: Option<String>) -> SqliteStore {
        SqliteStore {
            inner: Arc::new(CacheInner {
                conn: Mutex::new(conn),
                path,
                last_trim: Mutex::new(i64::MIN),
                read_only,
            }),
        }
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.inner
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Wrap a SQLite error with the file's path and what was being done;
    /// on a read-only cache, a refused write says that it is read-only, and
    /// why.
    pub(crate) fn error(&self, doing: &str, e: &rusqlite::Error) -> Error {
        let message = match (&self.inner.read_only, e.sqlite_error_code()) {
            (Some(why), Some(rusqlite::ErrorCode::ReadOnly)) => {
                format!("is read-only ({why}): {doing} is not possible")
            }
            _ => format!("{doing}: {}", describe(e)),
        };
        Error::Cache(CacheError {
            path: self.inner.path.clone(),
            message,
        })
    }
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path()
            .map_or_else(|| "in memory".to_owned(), |p| p.display().to_string())
    }

    fn path(&self) -> Option<&Path> {
        SqliteStore::path(self)
    }

    fn is_read_only(&self) -> bool {
        SqliteStore::is_read_only(self)
    }

    fn info(&self) -> Result<CacheInfo> {
        SqliteStore::info(self)
    }

    fn purge(&self, purge: &Purge, now: i64) -> Result<u64> {
        SqliteStore::purge(self, purge, now)
    }

    fn vacuum(&self) -> Result<()> {
        SqliteStore::vacuum(self)
    }

    /// The user behind `fingerprint` at `host`, if a run has seen it.
    fn identity(&self, host: &str, fingerprint: &str) -> Result<Option<u64>> {
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
    fn accounts(&self, host: &str) -> Result<Vec<u64>> {
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
    /// scope id of (`host`, `user`). Writes only what the file does not
    /// hold yet, so that a read-only cache serves the accounts it knows; on
    /// a read-only cache, an account it does not know gets
    /// [`UNBOUND_SCOPE`], which no row has (nothing is cached for it).
    fn bind_scope(&self, host: &str, fingerprint: Option<&str>, user: u64) -> Result<i64> {
        let conn = self.conn();
        let user = to_sql_id(user);
        let run = || -> rusqlite::Result<i64> {
            let scope: Option<i64> = conn
                .query_row(
                    "SELECT id FROM scopes WHERE host = ?1 AND user_id = ?2",
                    params![host, user],
                    |row| row.get(0),
                )
                .optional()?;
            let known = match fingerprint {
                None => true,
                Some(fingerprint) => {
                    conn.query_row(
                        "SELECT user_id FROM identities WHERE host = ?1 AND fingerprint = ?2",
                        params![host, fingerprint],
                        |row| row.get::<_, i64>(0),
                    )
                    .optional()?
                        == Some(user)
                }
            };
            match scope {
                Some(scope) if known => return Ok(scope),
                _ if self.is_read_only() => {
                    log::debug!("read-only cache: this account's answers are not kept");
                    return Ok(scope.unwrap_or(UNBOUND_SCOPE));
                }
                _ => {}
            }
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
    fn response(&self, scope: i64, key: &str) -> Result<Option<(i64, Vec<u8>)>> {
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
    fn put_response(
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

    fn forget(&self, scope: i64, stale: &[(CacheKind, Option<u64>)]) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| self.error("forgetting stale answers", &e))?;
        let mut dropped = 0;
        for (kind, site) in stale {
            dropped += match site {
                Some(site) => tx.execute(
                    "DELETE FROM responses WHERE scope = ?1 AND kind = ?2 AND site = ?3",
                    params![scope, kind.as_str(), to_sql_id(*site)],
                ),
                None => tx.execute(
                    "DELETE FROM responses WHERE scope = ?1 AND kind = ?2",
                    params![scope, kind.as_str()],
                ),
            }
            .map_err(|e| self.error("forgetting stale answers", &e))?;
        }
        tx.commit()
            .map_err(|e| self.error("forgetting stale answers", &e))?;
        Ok(dropped)
    }

    fn stats_coverage(
        &self,
        key: &StatsKey<'_>,
        window: (i64, i64),
        freshness: Freshness,
    ) -> Result<Coverage> {
        SqliteStore::stats_coverage(self, key, window, freshness)
    }

    fn store_stats(
        &self,
        key: &StatsKey<'_>,
        chunk: (i64, i64),
        records: &std::collections::BTreeMap<String, Series>,
        freshness: Freshness,
        replace: Replace,
    ) -> Result<()> {
        SqliteStore::store_stats(self, key, chunk, records, freshness, replace)
    }

    fn read_stats(&self, key: &StatsKey<'_>, window: (i64, i64)) -> Result<Vec<StoredSeries>> {
        SqliteStore::read_stats(self, key, window)
    }

    fn record_diagnostics(
        &self,
        scope: i64,
        site: u64,
        records: &[DiagnosticRecord],
        now: i64,
        retention_secs: i64,
    ) -> Result<usize> {
        SqliteStore::record_diagnostics(self, scope, site, records, now, retention_secs)
    }

    fn diagnostics_history(
        &self,
        scope: i64,
        site: u64,
        window: (i64, i64),
    ) -> Result<Vec<DiagnosticChange>> {
        SqliteStore::diagnostics_history(self, scope, site, window)
    }

    fn diagnostics_at(&self, scope: i64, site: u64, at: i64) -> Result<Vec<DiagnosticChange>> {
        SqliteStore::diagnostics_at(self, scope, site, at)
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

/// Create `path` if missing, readable and writable by its owner only. A
/// file that exists is not opened at all (it may be read-only).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// How [`open_file`] opens the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Writable when it can be; read-only when it cannot.
    ReadWrite,
    /// Read-only, always.
    ReadOnly,
}

/// Open the existing file `path`: first look at what it is on a
/// connection that cannot write, then open it for writing and migrate it,
/// or, when it cannot be written (or `access` says so), keep reading only.
fn open_file(path: PathBuf, access: Access) -> Result<SqliteStore> {
    let fail = |message: String| {
        Error::Cache(CacheError {
            path: Some(path.clone()),
            message,
        })
    };
    if path.is_dir() {
        return Err(fail("is a folder: give the path of a file".into()));
    }
    if access == Access::ReadOnly && !path.is_file() {
        return Err(fail(
            "does not exist (a read-only cache is never created)".into(),
        ));
    }
    // Nothing writes before this says the file is ours: not the migration,
    // not `journal_mode = WAL` (which rewrites the header).
    let found = open_reader(&path, true)
        .map_err(|e| fail(describe(&e)))
        .and_then(|conn| migrate::inspect(&conn).map_err(|f| fail(failure_message(f))))?;
    let why = match access {
        Access::ReadOnly => "opened read-only".to_owned(),
        Access::ReadWrite => match open_writer(&path) {
            Ok(conn) => return Ok(SqliteStore::new(conn, Some(path), None)),
            Err(migrate::Failure::Sqlite { doing, error }) if is_unwritable(&error) => {
                log::debug!("cache {}: {doing}: {}", path.display(), describe(&error));
                read_only_reason(&error)
            }
            Err(f) => return Err(fail(failure_message(f))),
        },
    };
    if found.version < migrate::SCHEMA_VERSION {
        return Err(fail(if found.version == 0 {
            format!("is empty and cannot be written ({why}), so there is nothing to read")
        } else {
            format!(
                "has schema version {} and needs an upgrade to {}, but cannot be written \
                 ({why}): open it once where it can be written",
                found.version,
                migrate::SCHEMA_VERSION
            )
        }));
    }
    let conn = open_reader(&path, false).map_err(|e| fail(describe(&e)))?;
    if access == Access::ReadWrite {
        log::warn!("cache {}: read-only ({why})", path.display());
    }
    Ok(SqliteStore::new(conn, Some(path), Some(why)))
}

/// Open `path` for writing: migrate it (inside the migration's own
/// transaction, which checks again that the file is ours), then switch it
/// to WAL and read through the log once, so that a file that can be read
/// but not written fails here rather than at the first write.
fn open_writer(path: &Path) -> Result<Connection, migrate::Failure> {
    let sqlite = |doing: &'static str| {
        move |error| migrate::Failure::Sqlite {
            doing: doing.to_owned(),
            error,
        }
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite("opening it"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(sqlite("setting the busy timeout"))?;
    // SQLite opens a file it may not write read-only, without an error.
    if conn
        .is_readonly(rusqlite::MAIN_DB)
        .map_err(sqlite("opening it"))?
    {
        return Err(migrate::Failure::Sqlite {
            doing: "opening it for writing".into(),
            error: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
                Some("the file cannot be written".into()),
            ),
        });
    }
    migrate::migrate(&mut conn)?;
    let _mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(sqlite("switching to WAL"))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sqlite("setting synchronous"))?;
    probe(&conn).map_err(sqlite("reading it"))?;
    Ok(conn)
}

/// A connection to `path` that cannot write. It reads through the
/// write-ahead log, as writers in other processes expect; when the log
/// cannot be used (the folder or disk refuses its files), it reads the
/// file as it is on disk, immutable.
///
/// `inspecting`: the file may not be ours, so a WAL file that nobody has
/// open is read immutable at once, which creates no `-wal`/`-shm` next to
/// it (a normal reader would).
fn open_reader(path: &Path, inspecting: bool) -> rusqlite::Result<Connection> {
    if inspecting && is_idle_wal(path) {
        return open_immutable(path);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let reader = Connection::open_with_flags(path, flags).and_then(|conn| {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        probe(&conn)?;
        Ok(conn)
    });
    match reader {
        Err(e) if is_unwritable(&e) => open_immutable(path).map_err(|_| e),
        other => other,
    }
}

/// Open `path` with `immutable=1`: read-only, no locks, no `-wal`, `-shm`
/// or `-journal`. Only for files nobody writes (or nobody can).
fn open_immutable(path: &Path) -> rusqlite::Result<Connection> {
    let uri = immutable_uri(path).ok_or_else(|| rusqlite::Error::InvalidPath(path.into()))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags)?;
    probe(&conn)?;
    Ok(conn)
}

/// One read of the schema: opens the file, the log and its index.
fn probe(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(drop)
}

/// `file:` URI of `path` with `immutable=1` (`None` for a path that is
/// not UTF-8 outside unix).
fn immutable_uri(path: &Path) -> Option<String> {
    use std::fmt::Write as _;
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_str()?.replace('\\', "/").into_bytes();
    let mut uri = String::from("file:");
    // An absolute path gets an empty authority ("file:///…"), so that one
    // starting with "//" is not read as a host; "C:/…" becomes "file:///C:/…".
    if bytes.first() == Some(&b'/') {
        uri.push_str("//");
    } else if bytes.get(1) == Some(&b':') && cfg!(windows) {
        uri.push_str("///");
    }
    for byte in bytes {
        if byte.is_ascii_alphanumeric() || b"/-._~:".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri.push_str("?immutable=1");
    Some(uri)
}

/// Whether `path` is a database in WAL mode that no connection uses: no
/// `-wal` (every connection of a WAL file has one) and no `-journal` next
/// to it. Reading it immutable is then safe, and what it holds is all in
/// the file.
fn is_idle_wal(path: &Path) -> bool {
    use std::io::Read as _;
    let mut header = [0u8; 20];
    let read = std::fs::File::open(path).and_then(|mut file| file.read_exact(&mut header));
    read.is_ok()
        && header.starts_with(b"SQLite format 3\0")
        && header[18] == 2
        && header[19] == 2
        && !with_suffix(path, "-wal").is_file()
        && !with_suffix(path, "-journal").is_file()
}

/// `path` with `suffix` appended (`cache.sqlite` → `cache.sqlite-wal`).
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Errors of a file that can be read but not written: permissions, a
/// folder where the `-wal`/`-shm`/`-journal` files cannot be created, a
/// full disk, a failed write.
fn is_unwritable(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, DiskFull, PermissionDenied, ReadOnly, SystemIoFailure};
    matches!(
        e.sqlite_error_code(),
        Some(ReadOnly | CannotOpen | PermissionDenied | DiskFull | SystemIoFailure)
    )
}

/// Why a cache that failed with `e` (see [`is_unwritable`]) reads only.
fn read_only_reason(e: &rusqlite::Error) -> String {
    let extended = match e {
        rusqlite::Error::SqliteFailure(error, _) => error.extended_code,
        _ => 0,
    };
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => "the disk is full".into(),
        Some(rusqlite::ErrorCode::CannotOpen) => {
            "the -wal, -shm or -journal file next to it cannot be created".into()
        }
        Some(rusqlite::ErrorCode::SystemIoFailure)
            if extended == rusqlite::ffi::SQLITE_IOERR_SHMSIZE =>
        {
            "the index of its write-ahead log (-shm) cannot grow: is the disk full?".into()
        }
        Some(rusqlite::ErrorCode::SystemIoFailure) => {
            format!("writing failed ({}): is the disk full?", sqlite_message(e))
        }
        _ => "the file cannot be written".into(),
    }
}

/// A [`migrate::Failure`] in words.
fn failure_message(failure: migrate::Failure) -> String {
    match failure {
        migrate::Failure::Refused(message) => message,
        migrate::Failure::Sqlite { doing, error } => format!("{doing}: {}", describe(&error)),
    }
}

/// A SQLite error in words a user can act on: one line, never the SQL.
fn describe(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            "not a vrm cache (not a SQLite database, or damaged); it was left untouched: \
             move it away or use another --cache path"
                .into()
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => "the file is damaged; it was left \
                                                       untouched: move it away or use another \
                                                       --cache path"
            .into(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => format!(
            "busy for more than {} s (another process holds it): {}",
            BUSY_TIMEOUT.as_secs(),
            sqlite_message(e)
        ),
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
            format!("cannot write it (permissions?): {}", sqlite_message(e))
        }
        Some(rusqlite::ErrorCode::DiskFull) => "the disk is full".into(),
        _ => sqlite_message(e),
    }
}

/// SQLite's own message of `e`, without the SQL it may carry, on one line
/// of at most [`LONGEST_MESSAGE`] characters.
fn sqlite_message(e: &rusqlite::Error) -> String {
    let text = match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    };
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.chars().count() > LONGEST_MESSAGE {
        line = line.chars().take(LONGEST_MESSAGE - 1).collect();
        line.push('…');
    }
    line
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
    fn sqlite_messages_are_one_short_line_without_the_sql() {
        let conn = Connection::open_in_memory().unwrap();
        let sql = "CREATE TABLE t (x);\nCREATE TABLE t (y); -- a long batch";
        let e = conn.execute_batch(sql).unwrap_err();
        let text = describe(&e);
        assert!(text.contains("already exists"), "{text}");
        assert!(!text.contains("CREATE") && !text.contains('\n'), "{text}");
        let long = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(format!("line\nbreak {}", "x".repeat(500))),
        );
        let text = describe(&long);
        assert!(text.starts_with("line break x"), "{text}");
        assert_eq!(text.chars().count(), LONGEST_MESSAGE);
    }

    #[test]
    fn a_full_disk_or_a_refused_file_falls_back_to_reading() {
        let error = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        for (code, why) in [
            (rusqlite::ffi::SQLITE_FULL, "the disk is full"),
            (rusqlite::ffi::SQLITE_IOERR_SHMSIZE, "is the disk full?"),
            (rusqlite::ffi::SQLITE_IOERR_WRITE, "is the disk full?"),
            (
                rusqlite::ffi::SQLITE_CANTOPEN,
                "-journal file next to it cannot be created",
            ),
            (rusqlite::ffi::SQLITE_READONLY, "cannot be written"),
            (rusqlite::ffi::SQLITE_PERM, "cannot be written"),
        ] {
            assert!(is_unwritable(&error(code)), "{code}");
            let reason = read_only_reason(&error(code));
            assert!(reason.contains(why), "{code}: {reason}");
        }
        for code in [
            rusqlite::ffi::SQLITE_BUSY,
            rusqlite::ffi::SQLITE_CORRUPT,
            rusqlite::ffi::SQLITE_NOTADB,
            rusqlite::ffi::SQLITE_ERROR,
        ] {
            assert!(!is_unwritable(&error(code)), "{code}");
        }
    }

    #[test]
    fn immutable_uris_escape_what_sqlite_would_read() {
        #[cfg(unix)]
        assert_eq!(
            immutable_uri(Path::new("/tmp/a b/c?d#e%f.sqlite")).unwrap(),
            "file:///tmp/a%20b/c%3Fd%23e%25f.sqlite?immutable=1"
        );
        assert_eq!(
            immutable_uri(Path::new("cache.sqlite")).unwrap(),
            "file:cache.sqlite?immutable=1"
        );
    }

    #[test]
    fn a_read_only_cache_knows_only_the_accounts_it_holds() {
        let dir = std::env::temp_dir().join(format!("vrm-unit-ro-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cache.sqlite");
        let scope = {
            let cache = SqliteStore::open(&path).unwrap();
            let scope = cache.bind_scope("https://h/", Some("demo"), 22).unwrap();
            cache
                .put_response(scope, "k", CacheKind::Tags, Some(5), 100, b"{}")
                .unwrap();
            scope
        };
        let cache = SqliteStore::open_read_only(&path).unwrap();
        assert!(cache.is_read_only());
        assert_eq!(
            cache.bind_scope("https://h/", Some("demo"), 22).unwrap(),
            scope
        );
        assert_eq!(cache.bind_scope("https://h/", None, 22).unwrap(), scope);
        // A new token of a known account reads its rows.
        assert_eq!(
            cache.bind_scope("https://h/", Some("new"), 22).unwrap(),
            scope
        );
        assert_eq!(
            cache.response(scope, "k").unwrap(),
            Some((100, b"{}".to_vec()))
        );
        // An account the file does not know holds nothing, and keeps nothing.
        let other = cache.bind_scope("https://h/", Some("x"), 23).unwrap();
        assert_eq!(other, UNBOUND_SCOPE);
        assert_eq!(cache.response(other, "k").unwrap(), None);
        let e = cache
            .put_response(other, "k", CacheKind::Tags, None, 1, b"{}")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is read-only (opened read-only): storing an answer"),
            "{e}"
        );
        drop(cache);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn answers_are_kept_per_scope() {
        let cache = SqliteStore::in_memory().unwrap();
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
