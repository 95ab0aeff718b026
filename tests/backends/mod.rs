//! One test suite, two stores: the cache's behaviour tests run on SQLite
//! (an in-memory cache) and on PostgreSQL (a schema of its own per test in
//! the server that `VRM_TEST_POSTGRES_URL` names; `.ci/run` starts one).
//!
//! `both!(a, b, …)` turns the functions `a(backend)`, `b(backend)`, … into
//! the tests `sqlite::a`, `postgres::a`, …. Without the variable (or built
//! without the feature `postgres`) the PostgreSQL tests pass after saying
//! they were skipped; with `VRM_TEST_POSTGRES_REQUIRED=1` (CI) they fail
//! instead.
#![allow(dead_code)]

use vrm::Cache;

/// The variable naming the PostgreSQL server of the tests.
pub const URL_ENV: &str = "VRM_TEST_POSTGRES_URL";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An in-memory SQLite cache.
    Sqlite,
    /// A new schema in the test server.
    Postgres,
}

impl Backend {
    /// The PostgreSQL backend, or `None` (after saying so) when there is
    /// no server to test against.
    pub fn postgres(test: &str) -> Option<Backend> {
        let why = if !cfg!(feature = "postgres") {
            "built without the feature postgres"
        } else if std::env::var(URL_ENV).is_ok_and(|v| !v.is_empty()) {
            return Some(Backend::Postgres);
        } else {
            "VRM_TEST_POSTGRES_URL is not set (.ci/run starts a server and sets it)"
        };
        if std::env::var("VRM_TEST_POSTGRES_REQUIRED").is_ok_and(|v| v == "1") {
            panic!("{test}: the PostgreSQL tests are required here, but {why}");
        }
        // Past the test harness's capture (a passing test's output is not
        // shown), once a test binary: the skip must be seen.
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "the PostgreSQL tests of this binary are skipped: {why}"
            );
        });
        let _ = test;
        None
    }

    /// A new, empty cache of this backend.
    pub fn cache(self) -> Cache {
        match self {
            Backend::Sqlite => Cache::in_memory().expect("in-memory cache"),
            Backend::Postgres => postgres_cache(&new_schema()),
        }
    }
}

/// The URL of the test server with `search_path` set to `schema`.
pub fn schema_url(schema: &str) -> String {
    let base = std::env::var(URL_ENV).unwrap_or_default();
    let glue = if base.contains('?') { '&' } else { '?' };
    format!("{base}{glue}options=-csearch_path%3D{schema}")
}

fn postgres_cache(schema: &str) -> Cache {
    Cache::open_url(&schema_url(schema)).expect("postgres cache")
}

/// A new empty schema in the test server.
#[cfg(feature = "postgres")]
pub fn new_schema() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!(
        "t_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sql(&format!("CREATE SCHEMA {schema}"));
    schema
}

#[cfg(not(feature = "postgres"))]
pub fn new_schema() -> String {
    unreachable!("PostgreSQL tests are skipped without the feature")
}

/// Run `statements` on the test server (admin work: schemas, checks).
#[cfg(feature = "postgres")]
pub fn sql(statements: &str) {
    let url = std::env::var(URL_ENV).expect("VRM_TEST_POSTGRES_URL");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("test server");
    client.batch_execute(statements).expect("admin sql");
}

/// The first column of the rows of `query`, as text.
#[cfg(feature = "postgres")]
pub fn sql_rows(schema: &str, query: &str) -> Vec<String> {
    let mut client =
        postgres::Client::connect(&schema_url(schema), postgres::NoTls).expect("test server");
    client
        .query(query, &[])
        .expect("query")
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

/// `fn name(backend: Backend)` for each name → the tests `sqlite::name`
/// and `postgres::name`.
#[allow(unused_macros)] // not every test file uses it
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(crate::backends::Backend::Sqlite)
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(backend) = crate::backends::Backend::postgres(stringify!($name)) {
                        super::$name(backend)
                    }
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use both;

#[cfg(not(feature = "postgres"))]
pub fn sql(_statements: &str) {
    unreachable!("PostgreSQL tests are skipped without the feature")
}

#[cfg(not(feature = "postgres"))]
pub fn sql_rows(_schema: &str, _query: &str) -> Vec<String> {
    unreachable!("PostgreSQL tests are skipped without the feature")
}
