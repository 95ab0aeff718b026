//! [`Cache`]: the public handle over a store, SQLite or PostgreSQL.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::OffsetDateTime;

use super::sqlite::SqliteStore;
use super::{CacheInfo, Purge, Store};
use crate::error::{CacheError, Error, Result};

/// What VRM answered, kept so that repeated and offline queries cost no
/// request: a SQLite file (the default, one machine) or a PostgreSQL
/// database (feature `postgres`, shared by many workers).
///
/// Open one with [`Cache::open`] (a file), [`Cache::open_default`] (the
/// platform cache folder), [`Cache::in_memory`] or [`Cache::open_url`]
/// (`postgres://…`), and give it to
/// [`ClientBuilder::cache`](crate::ClientBuilder::cache): every GET of that
/// client then goes through it. The rules it follows are in the README
/// ("The cache"); they are the same for both stores.
///
/// Cheap to clone, `Send + Sync`. Several processes may open one file (or
/// one database) at once.
#[derive(Clone)]
pub struct Cache {
    store: Arc<dyn Store>,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.store.fmt(f)
    }
}

impl Cache {
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
    pub fn open(path: impl AsRef<Path>) -> Result<Cache> {
        SqliteStore::open(path).map(Cache::from_store)
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
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Cache> {
        SqliteStore::open_read_only(path).map(Cache::from_store)
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
            .map(|dirs| dirs.cache_dir().join(super::sqlite::DEFAULT_FILE_NAME))
    }

    /// A cache that lives only as long as this value (tests, one-shot runs).
    ///
    /// # Errors
    /// [`Error::Cache`] if SQLite cannot allocate it.
    pub fn in_memory() -> Result<Cache> {
        SqliteStore::in_memory().map(Cache::from_store)
    }

    /// Open the cache a URL names: `postgres://user:password@host:port/db`
    /// (or `postgresql://…`, with libpq's parameters such as
    /// `?options=-csearch_path%3Dvrm` to keep the cache in its own schema)
    /// opens the shared PostgreSQL cache; `sqlite:PATH` or a plain path
    /// opens a file, as [`open`](Self::open) does.
    ///
    /// PostgreSQL needs the feature `postgres`. Its schema (the files of
    /// `migrations/postgres/`) is applied on open with the same refusals as
    /// a file's: a database whose vrm schema is newer than this build, or
    /// that holds other tables under vrm's names, is refused and left
    /// untouched. Data is kept by host and account, as in a file; every
    /// worker that opens the database shares its stats (each chunk is
    /// fetched once, however many workers want it) and, per token, one
    /// rate budget. The points are readable with SQL through the view
    /// `vrm_points` (see the README, "PostgreSQL").
    ///
    /// # Errors
    /// [`Error::Cache`] when the server cannot be reached, refuses the
    /// login, or holds a schema that is not ours; [`Error::InvalidInput`]
    /// for a `postgres://` URL in a build without the feature, or one that
    /// does not parse.
    pub fn open_url(url: &str) -> Result<Cache> {
        let lower = url.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return open_postgres(url.trim());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Cache::open(path)
    }

    /// The file, unless in memory or in PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        self.store.path()
    }

    /// Where the cache is, fit to show: the file's path, `in memory`, or
    /// the PostgreSQL URL without its password.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Whether this cache only reads: opened with
    /// [`open_read_only`](Self::open_read_only), or by
    /// [`open`](Self::open) on a file it could not write.
    pub fn is_read_only(&self) -> bool {
        self.store.is_read_only()
    }

    /// Size and row counts by site and kind.
    ///
    /// # Errors
    /// [`Error::Cache`] when the cache cannot be read.
    pub fn info(&self) -> Result<CacheInfo> {
        self.store.info()
    }

    /// Delete what `purge` selects; `now` dates its age limit. Returns the
    /// rows deleted. A file's space is given back to the system by
    /// [`vacuum`](Self::vacuum).
    ///
    /// # Errors
    /// [`Error::Cache`] when the cache cannot be written.
    pub fn purge(&self, purge: &Purge, now: OffsetDateTime) -> Result<u64> {
        self.store.purge(purge, now.unix_timestamp())
    }

    /// Give the space of deleted rows back to the file system (SQLite).
    /// PostgreSQL's autovacuum reuses the space by itself: nothing to do.
    ///
    /// # Errors
    /// [`Error::Cache`] when the file cannot be written (or another process
    /// is using it).
    pub fn vacuum(&self) -> Result<()> {
        self.store.vacuum()
    }

    pub(crate) fn from_store(store: impl Store + 'static) -> Cache {
        Cache {
            store: Arc::new(store),
        }
    }

    /// The store behind the handle, as the engine uses it.
    pub(crate) fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// The store, borrowed (tests and bench hooks).
    #[cfg(any(test, feature = "internals"))]
    pub(crate) fn as_store(&self) -> &dyn Store {
        &*self.store
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Cache> {
    super::postgres::PgStore::open(url).map(Cache::from_store)
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Cache> {
    Err(Error::invalid(
        "postgres:// cache: this vrm was built without PostgreSQL; build it with the \
         feature `postgres` (cargo install vrm --features postgres), or give a file path",
    ))
}
