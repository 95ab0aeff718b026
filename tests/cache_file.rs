//! The cache file itself: who may read it, what it never holds, what
//! happens to a file it cannot use (damaged, newer, another program's, a
//! migration that fails), several processes writing it at once, a writer
//! killed mid-write, `info` / `purge` / `vacuum`, the rule that rows belong
//! to the host and account that fetched them, and a file that cannot be
//! written (read-only file or folder, full disk).
//!
//! Everything runs against mockito servers on loopback and files in a
//! temporary folder. The multi-process tests run this test binary again as
//! a child (`--exact child_…`); the child tests do nothing unless the
//! parent set their environment variable.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use common::{NOW, TOKEN, TempDir, cached_client, fixture, mock_me, server, stats_body};
use mockito::{Matcher, Mock, ServerGuard};
use time::OffsetDateTime;
use vrm::{
    Cache, CacheInfo, CacheKind, CacheMode, CachePolicy, Client, Clock, Error, Interval, Purge,
    SiteId, Source, StatsQuery, TimeWindow,
};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// Points a kwh answer has per hour: one each for Pc, Gc and Pb.
const KWH_CODES: u64 = 3;

/// The cache file a `child_writer` process writes.
const CHILD_CACHE: &str = "VRM_CHILD_CACHE";
/// The site a `child_writer` process fetches.
const CHILD_SITE: &str = "VRM_CHILD_SITE";
/// The cache file a `child_killed_writer` process writes until killed.
const CHILD_KILL: &str = "VRM_CHILD_KILL_CACHE";
/// Children prefix the lines meant for the parent with this (the test
/// harness may print on the same line).
const MARK: &str = "vrm-child:";

/// Hourly kwh stats of `[start, end)`.
fn kwh_hours(start: i64, end: i64) -> StatsQuery {
    StatsQuery::kwh(
        TimeWindow::from_unix(start, end).expect("valid window"),
        Interval::Hours,
    )
}

/// Points of hourly kwh stats over `secs` seconds.
fn kwh_points(secs: i64) -> u64 {
    u64::try_from(secs / HOUR).expect("positive") * KWH_CODES
}

/// `GET /installations/{site}/stats` (any site when `None`) answering a
/// VRM-like body for the window asked, hit exactly `hits` times.
fn stats_mock(server: &mut ServerGuard, site: Option<u64>, hits: usize) -> Mock {
    let site = site.map_or_else(|| r"\d+".to_owned(), |s| s.to_string());
    server
        .mock(
            "GET",
            Matcher::Regex(format!(r"^/installations/{site}/stats\?")),
        )
        .with_body_from_request(|req| stats_body(req.path_and_query(), HOUR))
        .expect(hits)
        .create()
}

/// `GET /installations/{site}/system-overview`, hit exactly `hits` times.
fn overview_mock(server: &mut ServerGuard, site: u64, hits: usize) -> Mock {
    server
        .mock(
            "GET",
            format!("/installations/{site}/system-overview").as_str(),
        )
        .with_body(fixture("system_overview.json"))
        .expect(hits)
        .create()
}

/// `GET /users/me` for `token` only, answering user `id`.
fn mock_me_for(server: &mut ServerGuard, token: &str, id: u64) -> Mock {
    server
        .mock("GET", "/users/me")
        .match_header("x-authorization", format!("Token {token}").as_str())
        .with_body(format!(
            r#"{{"success":true,"user":{{"id":{id},"name":"Test","email":"t@example.com"}}}}"#
        ))
        .create()
}

/// A client of `server` with personal token `token` and `cache`.
fn token_client(server: &ServerGuard, cache: &Cache, token: &str) -> Client {
    common::builder(server, &common::clock())
        .personal_token(token)
        .cache(cache.clone())
        .build()
        .expect("client builds")
}

/// The row counts of `site` by kind, as `info` reports them.
fn kinds_of(info: &CacheInfo, site: u64) -> Vec<(CacheKind, u64)> {
    info.sites
        .iter()
        .filter(|s| s.site == Some(SiteId(site)))
        .flat_map(|s| s.kinds.iter().map(|k| (k.kind, k.rows)))
        .collect()
}

/// The rows of `kind` of `site` (0 when none).
fn rows(info: &CacheInfo, site: u64, kind: CacheKind) -> u64 {
    kinds_of(info, site)
        .into_iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, n)| n)
        .sum()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// `path` with `suffix` appended (`cache.sqlite` → `cache.sqlite-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).expect("valid time")
}

/// The application id of a vrm cache: `vrmc` in ASCII.
const VRM_APPLICATION_ID: i32 = 0x7672_6d63;
/// The first migration, to build files of earlier vrm versions.
const SCHEMA_1: &str = include_str!("../migrations/0001_initial.sql");

/// A file as it is on disk: its bytes and modification time, and every
/// name in its folder (so that a `-wal`, `-shm` or `-journal` left next to
/// it shows).
#[derive(PartialEq, Eq)]
struct Snapshot {
    bytes: Vec<u8>,
    modified: SystemTime,
    names: Vec<String>,
}

impl std::fmt::Debug for Snapshot {
    /// The length and a checksum of the bytes, not the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fnv = self.bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        f.debug_struct("Snapshot")
            .field("len", &self.bytes.len())
            .field("fnv1a", &format_args!("{fnv:016x}"))
            .field("modified", &self.modified)
            .field("names", &self.names)
            .finish()
    }
}

fn snapshot(path: &Path) -> Snapshot {
    let folder = path.parent().expect("a folder");
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .expect("read the folder")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    Snapshot {
        bytes: std::fs::read(path).expect("read the file"),
        modified: std::fs::metadata(path)
            .and_then(|m| m.modified())
            .expect("mtime"),
        names,
    }
}

/// Set the file's modification time far back, so that any write shows.
fn age(path: &Path) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)))
        .expect("set the mtime");
}

/// A SQLite file made by "another program": `sql` run on a new database,
/// in WAL mode when `wal`, then closed (so no `-wal` or `-shm` is left).
fn sqlite_file(path: &Path, wal: bool, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    if wal {
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    conn.execute_batch(sql).unwrap();
}

/// `PRAGMA name` of the file at `path`.
fn pragma(path: &Path, name: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .unwrap()
}

/// The [`CacheError`](vrm::CacheError) message of `result`, checking it
/// names the file and is one line.
fn cache_error(result: vrm::Result<Cache>, path: &Path) -> String {
    let e = result.expect_err("the file was accepted");
    let Error::Cache(cache_error) = &e else {
        panic!("expected Error::Cache, got {e:?}");
    };
    assert_eq!(cache_error.path.as_deref(), Some(path), "{e}");
    let text = e.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
    cache_error.message.clone()
}

// ---- 1. permissions ----------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_new_cache_file_and_its_folders_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = TempDir::new("perm");
    let path = dir.join("vrm/nested/cache.sqlite");
    let cache = Cache::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600, "the cache file");
    // The write-ahead log holds the same data as the file until checkpointed;
    // the migration just wrote to it.
    let wal = with_suffix(&path, "-wal");
    assert!(
        wal.exists(),
        "WAL mode: the migration wrote {}",
        wal.display()
    );
    assert_eq!(mode(&wal), 0o600, "the write-ahead log");
    // Folders the cache created are its owner's only, as STYLE.md asks.
    assert_eq!(mode(&dir.join("vrm")), 0o700);
    assert_eq!(mode(&dir.join("vrm/nested")), 0o700);
    drop(cache);
    // Reopening keeps it so.
    let _again = Cache::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
}

// ---- 2. no secret in the file ------------------------------------------------------

#[test]
fn secrets_never_reach_the_file() {
    const PASSWORD: &str = "pw-SECRET-hunter2";
    const BEARER: &str = "bearer-SECRET-xyz";
    let dir = TempDir::new("secrets");
    let path = dir.join("cache.sqlite");
    let cache = Cache::open(&path).unwrap();
    let mut server = server();

    // A token client: stats and installations.
    let _me = mock_me_for(&mut server, TOKEN, 22);
    let stats = stats_mock(&mut server, None, 2);
    let list = server
        .mock("GET", "/users/22/installations")
        .with_body(fixture("installations_basic.json"))
        .expect(1)
        .create();
    let (client, _) = cached_client(&server, &cache);
    let end = NOW - 7 * DAY;
    let s = client
        .site(SiteId(100))
        .stats(&kwh_hours(end - 2 * DAY, end))
        .unwrap();
    assert_eq!(s.point_count() as u64, kwh_points(2 * DAY));
    assert_eq!(client.installations().unwrap().len(), 1);

    // A client with a username and password, which logs in for a bearer
    // token and uses it.
    let login = server
        .mock("POST", "/auth/login")
        .with_body(format!(
            r#"{{"success":true,"token":"{BEARER}","idUser":22}}"#
        ))
        .expect(1)
        .create();
    let overview = server
        .mock("GET", "/installations/100/system-overview")
        .match_header("x-authorization", format!("Bearer {BEARER}").as_str())
        .with_body(fixture("system_overview.json"))
        .expect(1)
        .create();
    let login_client = common::builder(&server, &common::clock())
        .credentials("owner@example.com", PASSWORD)
        .cache(cache.clone())
        .build()
        .unwrap();
    login_client.site(SiteId(100)).system_overview().unwrap();
    login_client
        .site(SiteId(101))
        .stats(&kwh_hours(end - DAY, end))
        .unwrap();
    login.assert();
    overview.assert();
    stats.assert();
    list.assert();

    let check = |when: &str| {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&dir.0).unwrap() {
            let file = entry.unwrap().path();
            let bytes = std::fs::read(&file).unwrap();
            for secret in [TOKEN, PASSWORD, BEARER] {
                assert!(
                    !contains(&bytes, secret),
                    "{when}: {} holds {secret:?}",
                    file.display()
                );
            }
            all.extend(bytes);
        }
        // The files hold what was cached, so the search looked at real data.
        assert!(
            contains(&all, "Test installation"),
            "{when}: no cached list"
        );
        assert!(contains(&all, "Cerbo GX"), "{when}: no cached overview");
    };
    // While open, the data sits in the write-ahead log.
    assert!(with_suffix(&path, "-wal").exists());
    check("while open");
    // Closed, the log is folded into the file.
    drop((client, login_client, cache));
    check("after closing");
}

// ---- 3. and 4. files the cache cannot use are left alone --------------------------

#[test]
fn a_corrupt_file_is_refused_and_left_untouched() {
    let dir = TempDir::new("corrupt");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let garbage: Vec<u8> = (0..8192)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x.to_be_bytes()[0]
        })
        .collect();
    let notes = "my notes, not a cache\n".repeat(300).into_bytes();
    for (name, bytes) in [("garbage.sqlite", garbage), ("notes.txt", notes)] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let e = Cache::open(&path).unwrap_err();
        let Error::Cache(cache_error) = &e else {
            panic!("{name}: expected Error::Cache, got {e:?}");
        };
        assert_eq!(cache_error.path.as_deref(), Some(path.as_path()), "{name}");
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("left untouched"), "{text}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name} was changed");
        // Asking again gives the same answer: nothing was repaired or reset.
        assert!(matches!(Cache::open(&path), Err(Error::Cache(_))));
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name} was changed");
    }
}

#[test]
fn a_file_of_a_newer_schema_is_refused_and_left_untouched() {
    let dir = TempDir::new("newer");
    // Stamped: a newer vrm's cache. Not stamped: another program's file
    // (earlier vrm versions wrote versions 1 and 2 only).
    for (stamped, wal) in [(false, false), (false, true), (true, false), (true, true)] {
        let path = dir.join(&format!("newer-{stamped}-{wal}.sqlite"));
        let id = if stamped { VRM_APPLICATION_ID } else { 0 };
        sqlite_file(
            &path,
            wal,
            &format!(
                "CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('keep me');
                 PRAGMA user_version = 99; PRAGMA application_id = {id};"
            ),
        );
        age(&path);
        let before = snapshot(&path);
        let message = cache_error(Cache::open(&path), &path);
        assert!(message.contains("version 99"), "{message}");
        assert!(message.contains("left untouched"), "{message}");
        let what = if stamped {
            "newer vrm"
        } else {
            "not a vrm cache"
        };
        assert!(message.contains(what), "{message}");
        assert_eq!(snapshot(&path), before, "the file was changed");
        let message = cache_error(Cache::open_read_only(&path), &path);
        assert!(message.contains(what), "{message}");
        assert_eq!(snapshot(&path), before, "the file was changed");
        // The newer program still finds its data.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let kept: String = conn
            .query_row("SELECT x FROM future", [], |r| r.get(0))
            .unwrap();
        assert_eq!((version, kept.as_str()), (99, "keep me"));
    }
}

#[test]
fn another_programs_sqlite_file_is_refused_and_left_untouched() {
    let dir = TempDir::new("foreign");
    // vrm's version 2 tables but one, as version 2, without the id.
    let vrm_but_one = format!(
        "{SCHEMA_1} CREATE TABLE stats_listed (id INTEGER PRIMARY KEY, series, start, end);
         DROP TABLE diag_history; PRAGMA user_version = 2;"
    );
    let cases = [
        (
            "tables, no version",
            "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');",
        ),
        (
            "another application id",
            "PRAGMA application_id = 1196444487; CREATE TABLE gpkg_contents (t TEXT);
             INSERT INTO gpkg_contents VALUES ('mine');",
        ),
        (
            "a version without our id",
            "CREATE TABLE events (t INTEGER); INSERT INTO events VALUES (1);
             PRAGMA user_version = 7;",
        ),
        ("vrm's tables but one", vrm_but_one.as_str()),
    ];
    for (case, sql) in cases {
        for wal in [false, true] {
            let folder = dir.join(&format!("{}-{wal}", case.replace(' ', "-")));
            std::fs::create_dir(&folder).unwrap();
            let path = folder.join("app.db");
            sqlite_file(&path, wal, sql);
            age(&path);
            let before = snapshot(&path);
            assert_eq!(before.names, ["app.db"], "{case}");
            for open in [Cache::open, Cache::open_read_only] {
                let message = cache_error(open(&path), &path);
                assert!(message.starts_with("not a vrm cache"), "{case}: {message}");
                assert!(
                    message.contains("left untouched") && message.contains("--cache"),
                    "{case}: {message}"
                );
                assert!(message.chars().count() <= 200, "{case}: {message}");
                // Byte for byte, same mtime, and no -wal, -shm or -journal.
                assert_eq!(snapshot(&path), before, "{case} (wal: {wal}) was changed");
            }
        }
    }

    // A WAL file its program has open (its -wal and -shm exist): read
    // through them, still refused, still untouched.
    let path = dir.join("open.db");
    sqlite_file(&path, true, "CREATE TABLE notes (body TEXT);");
    let owner = rusqlite::Connection::open(&path).unwrap();
    owner
        .execute("INSERT INTO notes VALUES ('in the log')", [])
        .unwrap();
    let before = snapshot(&path);
    assert!(with_suffix(&path, "-wal").exists() && with_suffix(&path, "-shm").exists());
    let message = cache_error(Cache::open(&path), &path);
    assert!(message.contains("tables notes"), "{message}");
    assert_eq!(snapshot(&path), before, "a file in use was changed");
    let body: String = owner
        .query_row("SELECT body FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(body, "in the log");
}

#[test]
fn files_of_earlier_vrm_versions_open_and_are_stamped() {
    for version in [1, 2] {
        let dir = TempDir::new("earlier");
        let path = dir.join("cache.sqlite");
        let server = fill(&path);
        // As vrm left them before it stamped its files: no application id,
        // WAL mode, and (version 1) no stats_listed.
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            if version == 1 {
                conn.execute_batch("DROP TABLE stats_listed; PRAGMA user_version = 1;")
                    .unwrap();
            }
            conn.pragma_update(None, "application_id", 0).unwrap();
        }
        assert_eq!(pragma(&path, "application_id"), 0);
        assert_eq!(pragma(&path, "user_version"), version);
        if version == 1 {
            // Read-only, it cannot be upgraded, and is left as it was.
            age(&path);
            let before = snapshot(&path);
            let message = cache_error(Cache::open_read_only(&path), &path);
            assert!(message.contains("needs an upgrade"), "{message}");
            assert_eq!(snapshot(&path), before);
        }
        let cache = Cache::open(&path).unwrap();
        assert!(!cache.is_read_only());
        assert_reads(&server.url(), &cache);
        drop(cache);
        assert_eq!(
            pragma(&path, "application_id"),
            i64::from(VRM_APPLICATION_ID)
        );
        assert_eq!(pragma(&path, "user_version"), 2);
    }
}

#[test]
fn a_new_cache_carries_the_vrm_application_id() {
    let dir = TempDir::new("stamp");
    let path = dir.join("cache.sqlite");
    drop(Cache::open(&path).unwrap());
    assert_eq!(
        pragma(&path, "application_id"),
        i64::from(VRM_APPLICATION_ID)
    );
    assert_eq!(pragma(&path, "user_version"), 2);
    // An empty file (zero bytes, or a database with no schema) is a new cache.
    for (name, wal) in [
        ("zero.sqlite", None),
        ("empty.sqlite", Some(false)),
        ("empty-wal.sqlite", Some(true)),
    ] {
        let path = dir.join(name);
        match wal {
            None => std::fs::write(&path, b"").unwrap(),
            Some(wal) => sqlite_file(&path, wal, "PRAGMA user_version = 0;"),
        }
        drop(Cache::open(&path).unwrap());
        assert_eq!(
            pragma(&path, "application_id"),
            i64::from(VRM_APPLICATION_ID),
            "{name}"
        );
    }
}

#[test]
fn a_failed_migration_leaves_the_file_as_it_was() {
    let dir = TempDir::new("clash");
    for wal in [false, true] {
        let path = dir.join(&format!("clash-{wal}.sqlite"));
        // A version 1 vrm cache missing one table, and holding a table of
        // the name migration 2 creates.
        sqlite_file(
            &path,
            wal,
            &format!(
                "{SCHEMA_1} DROP TABLE diag_history;
                 CREATE TABLE stats_listed (mine TEXT); INSERT INTO stats_listed VALUES ('keep me');
                 PRAGMA user_version = 1; PRAGMA application_id = {VRM_APPLICATION_ID};"
            ),
        );
        age(&path);
        let before = snapshot(&path);
        let message = cache_error(Cache::open(&path), &path);
        assert!(
            message.contains("migration 0002_listed.sql failed"),
            "{message}"
        );
        assert!(message.contains("stats_listed already exists"), "{message}");
        assert!(message.contains("left as it was"), "{message}");
        assert!(!message.contains("CREATE"), "no SQL: {message}");
        assert!(message.chars().count() <= 200, "{message}");
        assert_eq!(snapshot(&path), before, "wal {wal}: the file was changed");
        let conn = rusqlite::Connection::open(&path).unwrap();
        let kept: String = conn
            .query_row("SELECT mine FROM stats_listed", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "keep me");
        assert_eq!(pragma(&path, "user_version"), 1);
    }
}

// ---- 5. two processes at once ------------------------------------------------------

/// Each child fetches this many windows of [`CHILD_WINDOW`] ...
const CHILD_WINDOWS: i64 = 18;
/// ... of 5 days, so 90 days of hours in all.
const CHILD_WINDOW: i64 = 5 * DAY;
const CHILD_END: i64 = NOW - 7 * DAY;
const CHILD_START: i64 = CHILD_END - CHILD_WINDOWS * CHILD_WINDOW;

/// Run this test binary again, running only `test`, with `vars` set.
fn spawn_child(test: &str, vars: &[(&str, &str)]) -> Child {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args(["--exact", test, "--nocapture", "--ignored"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in vars {
        command.env(key, value);
    }
    command.spawn().expect("spawn the test binary")
}

/// The next line the child meant for the parent (after [`MARK`]); `None`
/// when its output ended.
fn next_mark(out: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).expect("read the child's output") == 0 {
            return None;
        }
        if let Some(at) = line.find(MARK) {
            return Some(line[at + MARK.len()..].trim().to_owned());
        }
    }
}

/// Everything a finished (or dead) child wrote.
fn rest_of(child: Child, mut out: impl Read) -> (std::process::ExitStatus, String) {
    let mut text = String::new();
    out.read_to_string(&mut text).expect("read stdout");
    let output = child.wait_with_output().expect("wait for the child");
    text.push_str("\n--- stderr ---\n");
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status, text)
}

/// Run as a child by `two_processes_write_one_file_at_once`.
#[test]
#[ignore = "a helper process of two_processes_write_one_file_at_once, not a test"]
fn child_writer() {
    let (Some(path), Ok(site)) = (std::env::var_os(CHILD_CACHE), std::env::var(CHILD_SITE)) else {
        return;
    };
    let site: u64 = site.parse().expect("a site id");
    let mut server = server();
    let _me = mock_me(&mut server, 22);
    let stats = stats_mock(&mut server, Some(site), CHILD_WINDOWS as usize);
    // Wait for the parent's signal, so both children open the new file,
    // migrate it and write it at the same time.
    println!("{MARK} ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("read stdin");
    assert_eq!(go.trim(), "go", "the parent gave no start signal");

    let cache = Cache::open(&path).expect("open the shared file");
    let (client, _) = cached_client(&server, &cache);
    let handle = client.site(SiteId(site));
    for i in 0..CHILD_WINDOWS {
        let start = CHILD_START + i * CHILD_WINDOW;
        let part = handle
            .stats(&kwh_hours(start, start + CHILD_WINDOW))
            .unwrap();
        assert_eq!(part.source(), Source::Network, "window {i}");
        assert_eq!(part.point_count() as u64, kwh_points(CHILD_WINDOW));
    }
    let all = handle.stats(&kwh_hours(CHILD_START, CHILD_END)).unwrap();
    assert_eq!(all.source(), Source::Cache);
    assert_eq!(all.requests(), 0);
    assert_eq!(
        all.point_count() as u64,
        kwh_points(CHILD_END - CHILD_START)
    );
    stats.assert();
    println!("{MARK} done");
}

#[test]
fn two_processes_write_one_file_at_once() {
    let dir = TempDir::new("procs");
    let path = dir.join("cache.sqlite");
    let path_text = path.to_str().expect("utf-8 temp path");
    let sites = [4101u64, 4102];
    let mut children: Vec<Child> = sites
        .iter()
        .map(|site| {
            spawn_child(
                "child_writer",
                &[(CHILD_CACHE, path_text), (CHILD_SITE, &site.to_string())],
            )
        })
        .collect();
    // Both are ready (their mock servers up) before either starts.
    let mut outs = Vec::new();
    for child in &mut children {
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mark = next_mark(&mut out);
        assert_eq!(mark.as_deref(), Some("ready"), "a child did not start");
        outs.push(out);
    }
    assert!(!path.exists(), "the children create the file");
    for child in &mut children {
        let mut stdin = child.stdin.take().expect("piped stdin");
        writeln!(stdin, "go").expect("signal the child");
    }
    for (child, out) in children.into_iter().zip(outs) {
        let (status, text) = rest_of(child, out);
        assert!(status.success(), "child failed ({status}):\n{text}");
        assert!(text.contains(&format!("{MARK} done")), "{text}");
        assert!(!text.contains("database is locked"), "{text}");
        assert!(!text.contains("busy"), "{text}");
    }

    let cache = Cache::open(&path).unwrap();
    let info = cache.info().unwrap();
    // Besides the sites: the account's own `users/me` answer (no site).
    let per_site = info.sites.iter().filter(|s| s.site.is_some()).count();
    assert_eq!(per_site, 2, "{info:?}");
    for site in sites {
        assert_eq!(
            kinds_of(&info, site),
            [(CacheKind::Stats, kwh_points(CHILD_END - CHILD_START))],
            "site {site}: every point of both writers is there"
        );
    }
}

// ---- 6. a writer killed mid-write --------------------------------------------------

const KILL_SITE: u64 = 5150;
/// Each stats call of the killed child: 30 days of hours, one request, one
/// transaction.
const KILL_CHUNK: i64 = 30 * DAY;
const KILL_STEPS: i64 = 200;
const KILL_START: i64 = NOW - (KILL_STEPS + 1) * KILL_CHUNK;
/// The site the killed child keeps rewriting.
const KILL_REWRITE_SITE: u64 = 5152;

/// Run as a child by `a_killed_writer_loses_nothing_it_committed`: writes
/// stats until killed, telling the parent how many points it has committed.
#[test]
#[ignore = "a helper process of a_killed_writer_loses_nothing_it_committed, not a test"]
fn child_killed_writer() {
    let Some(path) = std::env::var_os(CHILD_KILL) else {
        return;
    };
    let mut server = server();
    let _me = mock_me(&mut server, 22);
    // Hit counts are never checked here: the child is killed.
    let _stats = stats_mock(&mut server, Some(KILL_SITE), KILL_STEPS as usize);
    let _rewrites = stats_mock(&mut server, Some(KILL_REWRITE_SITE), KILL_STEPS as usize);
    // A second connection rewrites one window over and over (refresh mode:
    // delete and insert in one transaction), so that the kill most likely
    // lands inside a transaction.
    let rewriter = common::builder(&server, &common::clock())
        .personal_token(TOKEN)
        .cache(Cache::open(&path).expect("open the cache"))
        .cache_mode(CacheMode::Refresh)
        .build()
        .expect("client builds");
    std::thread::spawn(move || {
        loop {
            rewriter
                .site(SiteId(KILL_REWRITE_SITE))
                .stats(&kwh_hours(KILL_START, KILL_START + KILL_CHUNK))
                .expect("rewrite");
        }
    });
    let cache = Cache::open(&path).expect("open the cache");
    let (client, _) = cached_client(&server, &cache);
    let mut total = 0;
    for i in 0..KILL_STEPS {
        let start = KILL_START + i * KILL_CHUNK;
        let part = client
            .site(SiteId(KILL_SITE))
            .stats(&kwh_hours(start, start + KILL_CHUNK))
            .unwrap();
        assert_eq!(part.source(), Source::Network);
        total += part.point_count();
        println!("{MARK} committed {total}");
    }
    println!("{MARK} finished");
}

#[cfg(unix)]
#[test]
fn a_killed_writer_loses_nothing_it_committed() {
    use std::os::unix::process::ExitStatusExt;
    let dir = TempDir::new("kill");
    let path = dir.join("cache.sqlite");
    let mut child = spawn_child(
        "child_killed_writer",
        &[(CHILD_KILL, path.to_str().expect("utf-8 temp path"))],
    );
    drop(child.stdin.take());
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let committed = |mark: &str| mark.strip_prefix("committed ").map(|n| n.parse::<u64>());
    let mut reported = 0;
    let mut seen = 0;
    while seen < 5 {
        match next_mark(&mut out) {
            Some(mark) => {
                reported = committed(&mark)
                    .unwrap_or_else(|| panic!("unexpected {mark:?}"))
                    .expect("a count");
                seen += 1;
            }
            None => {
                let (status, text) = rest_of(child, out);
                panic!("the child stopped early ({status}):\n{text}");
            }
        }
    }
    child.kill().expect("SIGKILL");
    // Lines it wrote before dying count too: they followed a commit.
    let (status, text) = rest_of(child, out);
    assert_eq!(status.signal(), Some(9), "not killed by SIGKILL:\n{text}");
    for line in text.lines() {
        if let Some(n) = line
            .find(MARK)
            .and_then(|at| committed(line[at + MARK.len()..].trim()))
        {
            reported = reported.max(n.expect("a count"));
        }
    }
    assert!(reported >= 5 * kwh_points(KILL_CHUNK));

    let cache = Cache::open(&path).expect("the file opens after the crash");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let points = rows(&cache.info().unwrap(), KILL_SITE, CacheKind::Stats);
    assert!(
        points >= reported,
        "{points} points in the file, {reported} reported committed"
    );
    assert_eq!(
        points % kwh_points(KILL_CHUNK),
        0,
        "{points}: a chunk is stored whole or not at all"
    );
    let rewritten = rows(&cache.info().unwrap(), KILL_REWRITE_SITE, CacheKind::Stats);
    assert!(
        [0, kwh_points(KILL_CHUNK)].contains(&rewritten),
        "{rewritten}: a rewrite replaces the window whole or not at all"
    );

    // The file still takes writes.
    let mut server = server();
    let _me = mock_me(&mut server, 22);
    let more = stats_mock(&mut server, Some(KILL_SITE + 1), 1);
    let (client, _) = cached_client(&server, &cache);
    let day = client
        .site(SiteId(KILL_SITE + 1))
        .stats(&kwh_hours(KILL_START, KILL_START + DAY))
        .unwrap();
    assert_eq!(day.point_count() as u64, kwh_points(DAY));
    assert_eq!(
        rows(&cache.info().unwrap(), KILL_SITE + 1, CacheKind::Stats),
        kwh_points(DAY)
    );
    more.assert();
}

// ---- 7. info, purge, vacuum --------------------------------------------------------

#[test]
fn info_purge_and_vacuum() {
    const A: u64 = 301;
    const B: u64 = 302;
    let dir = TempDir::new("manage");
    let cache = Cache::open(dir.join("cache.sqlite")).unwrap();
    let mut server = server();
    let _me = mock_me(&mut server, 22);
    let stats_a = stats_mock(&mut server, Some(A), 3);
    let stats_b = stats_mock(&mut server, Some(B), 2);
    let overview_a = overview_mock(&mut server, A, 2);
    let overview_b = overview_mock(&mut server, B, 1);
    // Overviews stay fresh for a day: only a purge makes them fetched again.
    let clock = common::clock();
    let client = common::builder(&server, &clock)
        .personal_token(TOKEN)
        .cache(cache.clone())
        .cache_policy(
            CachePolicy::default()
                .freshness(CacheKind::SystemOverview, Duration::from_secs(86_400)),
        )
        .build()
        .unwrap();
    let (w0, w1) = (NOW - 40 * DAY, NOW - 30 * DAY);
    let window = kwh_hours(w0, w1);
    let whole = kwh_points(w1 - w0);
    let site_a = client.site(SiteId(A));
    let site_b = client.site(SiteId(B));

    site_a.stats(&window).unwrap();
    site_b.stats(&window).unwrap();
    site_a.system_overview().unwrap();
    let info = cache.info().unwrap();
    assert!(info.size_bytes > 0);
    assert_eq!(info.path.as_deref(), cache.path());
    assert_eq!(
        kinds_of(&info, A),
        [(CacheKind::SystemOverview, 1), (CacheKind::Stats, whole)]
    );
    assert_eq!(kinds_of(&info, B), [(CacheKind::Stats, whole)]);
    // Besides the sites: the account's own `users/me` answer (no site).
    let per_site = info.sites.iter().filter(|s| s.site.is_some()).count();
    assert_eq!(per_site, 2, "{info:?}");

    // A site: its rows only, and its query goes to VRM again.
    let deleted = cache
        .purge(&Purge::all().site(SiteId(B)), clock.now())
        .unwrap();
    assert_eq!(deleted, whole);
    let info = cache.info().unwrap();
    assert_eq!(kinds_of(&info, B), []);
    assert_eq!(
        kinds_of(&info, A),
        [(CacheKind::SystemOverview, 1), (CacheKind::Stats, whole)]
    );
    let again = site_b.stats(&window).unwrap();
    assert_eq!((again.source(), again.requests()), (Source::Network, 1));
    assert_eq!(again.point_count() as u64, whole);
    let kept = site_a.stats(&window).unwrap();
    assert_eq!((kept.source(), kept.requests()), (Source::Cache, 0));

    // Answers fetched before the age limit go; later ones stay.
    clock.advance(Duration::from_secs(2 * 3600));
    site_b.system_overview().unwrap();
    let deleted = cache
        .purge(
            &Purge::all()
                .kind(CacheKind::SystemOverview)
                .older_than(Duration::from_secs(3600)),
            clock.now(),
        )
        .unwrap();
    assert_eq!(deleted, 1, "A's overview, fetched 2 h ago");
    let info = cache.info().unwrap();
    assert_eq!(kinds_of(&info, A), [(CacheKind::Stats, whole)]);
    assert_eq!(
        kinds_of(&info, B),
        [(CacheKind::SystemOverview, 1), (CacheKind::Stats, whole)]
    );
    assert_eq!(site_a.system_overview().unwrap().source(), Source::Network);
    assert_eq!(site_b.system_overview().unwrap().source(), Source::Cache);

    // Stats buckets before the age limit go, of every site; the rest stay.
    let cutoff = w0 + 4 * DAY;
    let age = (clock.now() - at(cutoff)).unsigned_abs();
    let deleted = cache
        .purge(
            &Purge::all().kind(CacheKind::Stats).older_than(age),
            clock.now(),
        )
        .unwrap();
    let old = kwh_points(cutoff - w0);
    assert_eq!(deleted, 2 * old);
    let info = cache.info().unwrap();
    assert_eq!(rows(&info, A, CacheKind::Stats), whole - old);
    assert_eq!(rows(&info, B, CacheKind::Stats), whole - old);
    assert_eq!(rows(&info, A, CacheKind::SystemOverview), 1, "not stats");
    assert_eq!(rows(&info, B, CacheKind::SystemOverview), 1, "not stats");
    let newer = site_a.stats(&kwh_hours(cutoff, w1)).unwrap();
    assert_eq!((newer.source(), newer.requests()), (Source::Cache, 0));
    assert_eq!(newer.point_count() as u64, whole - old);
    let refilled = site_a.stats(&window).unwrap();
    assert_eq!(
        (refilled.source(), refilled.requests()),
        (Source::Mixed, 1),
        "only the purged part is fetched"
    );
    assert_eq!(refilled.point_count() as u64, whole);

    // Vacuum never grows the file, and gives back what a purge freed.
    let before = cache.info().unwrap().size_bytes;
    cache.vacuum().unwrap();
    let after = cache.info().unwrap().size_bytes;
    assert!(after <= before, "{before} -> {after}");
    let deleted = cache.purge(&Purge::all(), clock.now()).unwrap();
    // Two system overviews and the account's `users/me` answer besides.
    assert_eq!(deleted, whole + (whole - old) + 3);
    let info = cache.info().unwrap();
    assert!(info.sites.is_empty(), "{info:?}");
    let before = info.size_bytes;
    cache.vacuum().unwrap();
    let after = cache.info().unwrap().size_bytes;
    assert!(0 < after && after < before, "{before} -> {after}");
    // Still usable, and empty.
    let fetched = site_a.stats(&window).unwrap();
    assert_eq!((fetched.source(), fetched.requests()), (Source::Network, 1));

    stats_a.assert();
    stats_b.assert();
    overview_a.assert();
    overview_b.assert();
}

// ---- 8. rows belong to their host and account --------------------------------------

#[test]
fn another_host_or_account_never_reads_the_rows_of_the_first() {
    const SITE: u64 = 777;
    const OTHER_ACCOUNT: &str = "token-of-another-account-23";
    const SAME_ACCOUNT: &str = "second-token-of-account-22";
    let dir = TempDir::new("scopes");
    let cache = Cache::open(dir.join("cache.sqlite")).unwrap();
    let (w0, w1) = (NOW - 20 * DAY, NOW - 10 * DAY);
    let window = kwh_hours(w0, w1);
    let whole = kwh_points(w1 - w0);

    let mut first = server();
    let _me = mock_me_for(&mut first, TOKEN, 22);
    let _me_other = mock_me_for(&mut first, OTHER_ACCOUNT, 23);
    let _me_same = mock_me_for(&mut first, SAME_ACCOUNT, 22);
    let stats_first = stats_mock(&mut first, Some(SITE), 2);
    let overview_first = overview_mock(&mut first, SITE, 2);
    let (client, _) = cached_client(&first, &cache);
    client.site(SiteId(SITE)).stats(&window).unwrap();
    client.site(SiteId(SITE)).system_overview().unwrap();

    // The same token at another host.
    let mut second = server();
    let _me_second = mock_me(&mut second, 22);
    let stats_second = stats_mock(&mut second, Some(SITE), 1);
    let overview_second = overview_mock(&mut second, SITE, 1);
    let (elsewhere, _) = cached_client(&second, &cache);
    let stats = elsewhere.site(SiteId(SITE)).stats(&window).unwrap();
    assert_eq!(stats.source(), Source::Network);
    assert_eq!(stats.point_count() as u64, whole);
    let overview = elsewhere.site(SiteId(SITE)).system_overview().unwrap();
    assert_eq!(overview.source(), Source::Network);
    stats_second.assert();
    overview_second.assert();

    // Another account at the first host.
    let other = token_client(&first, &cache, OTHER_ACCOUNT);
    let stats = other.site(SiteId(SITE)).stats(&window).unwrap();
    assert_eq!(stats.source(), Source::Network);
    assert_eq!(stats.point_count() as u64, whole);
    let overview = other.site(SiteId(SITE)).system_overview().unwrap();
    assert_eq!(overview.source(), Source::Network);
    stats_first.assert();
    overview_first.assert();

    // Each kept its own rows; the first client's are still served locally.
    let stats = client.site(SiteId(SITE)).stats(&window).unwrap();
    assert_eq!((stats.source(), stats.requests()), (Source::Cache, 0));
    let overview = client.site(SiteId(SITE)).system_overview().unwrap();
    assert_eq!((overview.source(), overview.requests()), (Source::Cache, 0));
    assert_eq!(
        rows(&cache.info().unwrap(), SITE, CacheKind::Stats),
        3 * whole
    );

    // The counterpart: a second token of the same account at the same host
    // shares the rows (after one users/me to learn whose token it is).
    let same = token_client(&first, &cache, SAME_ACCOUNT);
    let stats = same.site(SiteId(SITE)).stats(&window).unwrap();
    assert_eq!((stats.source(), stats.requests()), (Source::Cache, 1));
    assert_eq!(stats.point_count() as u64, whole);
    stats_first.assert();
}

// ---- 9. a cache that cannot be written ----------------------------------------------

const RO_SITE: u64 = 6001;
const RO_START: i64 = NOW - 20 * DAY;
const RO_END: i64 = NOW - 10 * DAY;

/// Fill a cache at `path` with stats and an overview of [`RO_SITE`], and
/// close it; the server whose URL (the API host) the rows belong to.
fn fill(path: &Path) -> ServerGuard {
    let mut server = server();
    let _me = mock_me(&mut server, 22);
    let stats = stats_mock(&mut server, Some(RO_SITE), 1);
    let overview = overview_mock(&mut server, RO_SITE, 1);
    let cache = Cache::open(path).unwrap();
    let (client, _) = cached_client(&server, &cache);
    client
        .site(SiteId(RO_SITE))
        .stats(&kwh_hours(RO_START, RO_END))
        .unwrap();
    client.site(SiteId(RO_SITE)).system_overview().unwrap();
    stats.assert();
    overview.assert();
    server
}

/// What [`fill`] stored is served offline from `cache`.
fn assert_reads(url: &str, cache: &Cache) {
    let offline = Client::builder()
        .base_url(url)
        .clock(common::clock())
        .personal_token(TOKEN)
        .cache(cache.clone())
        .cache_mode(CacheMode::Offline)
        .build()
        .unwrap();
    let stats = offline
        .site(SiteId(RO_SITE))
        .stats(&kwh_hours(RO_START, RO_END))
        .unwrap();
    assert_eq!((stats.source(), stats.requests()), (Source::Cache, 0));
    assert_eq!(stats.point_count() as u64, kwh_points(RO_END - RO_START));
    let overview = offline.site(SiteId(RO_SITE)).system_overview().unwrap();
    assert_eq!(overview.source(), Source::Cache);
    assert!(cache.info().unwrap().size_bytes > 0);
}

/// Writes to `cache` fail, saying it is read-only and `why`.
fn assert_refuses_writes(cache: &Cache, why: &str) {
    let path = cache.path().expect("a file").display().to_string();
    for e in [
        cache.purge(&Purge::all(), at(NOW)).unwrap_err(),
        cache.vacuum().unwrap_err(),
    ] {
        let text = e.to_string();
        assert!(matches!(e, Error::Cache(_)), "{e:?}");
        assert!(
            text.starts_with(&format!("cache {path}: is read-only (")),
            "{text}"
        );
        assert!(text.contains(why), "{text}");
    }
}

#[test]
fn a_cache_opened_read_only_serves_reads_and_writes_nothing() {
    let dir = TempDir::new("read-only");
    let path = dir.join("cache.sqlite");
    let missing = dir.join("missing.sqlite");
    let message = cache_error(Cache::open_read_only(&missing), &missing);
    assert!(message.contains("does not exist"), "{message}");
    assert!(!missing.exists(), "a read-only open created a file");

    let mut server = fill(&path);
    age(&path);
    let before = snapshot(&path);
    let cache = Cache::open_read_only(&path).unwrap();
    assert!(cache.is_read_only());
    assert_reads(&server.url(), &cache);
    assert_refuses_writes(&cache, "opened read-only");
    // A query the cache cannot answer still gets its answer from VRM; it is
    // just not kept.
    let _me = mock_me(&mut server, 22);
    let stats = stats_mock(&mut server, Some(RO_SITE + 1), 2);
    let (client, _) = cached_client(&server, &cache);
    for _ in 0..2 {
        let fetched = client
            .site(SiteId(RO_SITE + 1))
            .stats(&kwh_hours(RO_START, RO_END))
            .unwrap();
        assert_eq!(fetched.source(), Source::Network);
    }
    stats.assert();
    drop((client, cache));
    let after = snapshot(&path);
    assert_eq!(
        (after.bytes == before.bytes, after.modified),
        (true, before.modified),
        "the file was written"
    );
    // SQLite may have left the (empty) write-ahead log it reads through.
    let wal = with_suffix(&path, "-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
}

/// A cache whose write-ahead log cannot be created: a folder sits where
/// SQLite creates `cache.sqlite-wal`. That fails the way a folder without
/// write permission does (SQLite cannot open the log), for root too, whom
/// permission bits do not stop.
#[test]
fn a_cache_that_cannot_be_written_opens_read_only() {
    let dir = TempDir::new("no-wal");
    let path = dir.join("cache.sqlite");
    let server = fill(&path);
    std::fs::create_dir(with_suffix(&path, "-wal")).unwrap();
    age(&path);
    let before = snapshot(&path);
    let cache = Cache::open(&path).unwrap();
    assert!(cache.is_read_only());
    assert_reads(&server.url(), &cache);
    assert_refuses_writes(
        &cache,
        "the -wal, -shm or -journal file next to it cannot be created",
    );
    drop(cache);
    assert_eq!(snapshot(&path), before, "no byte, mtime or -shm changed");

    // A new cache there cannot be created at all: a clear error, no panic.
    let new = dir.join("new.sqlite");
    std::fs::create_dir(with_suffix(&new, "-wal")).unwrap();
    std::fs::create_dir(with_suffix(&new, "-journal")).unwrap();
    let message = cache_error(Cache::open(&new), &new);
    assert!(message.contains("cannot be written"), "{message}");
    // Nor is a folder a cache.
    let folder = with_suffix(&new, "-wal");
    let message = cache_error(Cache::open(&folder), &folder);
    assert!(message.contains("is a folder"), "{message}");
}

/// Whether permission bits stop this user from writing (they do not stop
/// root).
#[cfg(unix)]
fn permission_bits_bind(dir: &TempDir) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::write(&probe, b"x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o400)).unwrap();
    let bind = std::fs::OpenOptions::new()
        .write(true)
        .open(&probe)
        .is_err();
    std::fs::remove_file(&probe).unwrap();
    bind
}

/// A read-only file in a read-only folder (0444 in 0555). Where permission
/// bits bind, it opens read-only and nothing changes; as root (who writes
/// anyway) it opens writable, and only the reads are checked here: the
/// fallback itself is covered by the tests before and after this one.
#[cfg(unix)]
#[test]
fn a_read_only_file_in_a_read_only_folder_still_serves_reads() {
    use std::os::unix::fs::PermissionsExt;
    struct Writable<'a>(&'a Path);
    impl Drop for Writable<'_> {
        fn drop(&mut self) {
            let _ = std::fs::set_permissions(self.0, std::fs::Permissions::from_mode(0o700));
        }
    }
    let dir = TempDir::new("chmod");
    let folder = dir.join("vrm");
    let path = folder.join("cache.sqlite");
    let server = fill(&path);
    age(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let _restore = Writable(&folder);
    let before = snapshot(&path);
    let cache = Cache::open(&path).unwrap();
    assert_reads(&server.url(), &cache);
    if permission_bits_bind(&dir) {
        assert!(cache.is_read_only());
        assert_refuses_writes(&cache, "the file cannot be written");
        drop(cache);
        assert_eq!(snapshot(&path), before, "the file or its folder changed");
    } else {
        println!("permission bits do not bind this user: the cache opened writable");
        assert!(!cache.is_read_only());
    }
}

/// The cache file a `child_full_disk` process opens.
const CHILD_FULL: &str = "VRM_CHILD_FULL_CACHE";
/// The API host its rows belong to.
const CHILD_URL: &str = "VRM_CHILD_URL";

/// Run as a child by `a_full_disk_still_serves_reads`, where no file may
/// grow beyond a few KiB.
#[test]
fn child_full_disk() {
    let (Some(path), Ok(url)) = (std::env::var_os(CHILD_FULL), std::env::var(CHILD_URL)) else {
        return;
    };
    let cache = Cache::open(&path).expect("a full disk still opens the cache");
    println!("{MARK} read-only {}", cache.is_read_only());
    assert_reads(&url, &cache);
    println!("{MARK} reads ok");
    let e = cache.purge(&Purge::all(), at(NOW)).unwrap_err();
    println!("{MARK} write {e}");
}

/// A full disk, simulated: the child may not grow any file beyond 4 KiB
/// (`ulimit -f 8`, RLIMIT_FSIZE, which binds root too), with SIGXFSZ
/// ignored so that the write fails with EFBIG as it would with ENOSPC. The
/// write-ahead log index (`-shm`, 32 KiB) cannot be made, so the cache must
/// read without it.
#[cfg(unix)]
#[test]
fn a_full_disk_still_serves_reads() {
    let dir = TempDir::new("full");
    let path = dir.join("cache.sqlite");
    let server = fill(&path);
    age(&path);
    let before = snapshot(&path);
    assert_eq!(before.names, ["cache.sqlite"]);
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -f 8 && trap '' XFSZ && exec "$0" "$@""#)
        .arg(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "child_full_disk", "--nocapture"])
        .env(CHILD_FULL, &path)
        .env(CHILD_URL, server.url())
        .output()
        .expect("run the child");
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "child failed ({}):\n{text}",
        output.status
    );
    assert!(text.contains(&format!("{MARK} read-only true")), "{text}");
    assert!(text.contains(&format!("{MARK} reads ok")), "{text}");
    assert!(
        text.contains(&format!(
            "{MARK} write cache {}: is read-only (",
            path.display()
        )),
        "{text}"
    );
    assert!(text.contains("is the disk full?"), "{text}");
    let after = snapshot(&path);
    assert_eq!(
        (after.bytes == before.bytes, after.modified),
        (true, before.modified),
        "the file was written"
    );
    // The failed attempt to write may leave an empty log and a stub of
    // its index; no data went to them.
    let wal = with_suffix(&path, "-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
    // The next run with room opens it writable again, and finds it whole.
    let cache = Cache::open(&path).unwrap();
    assert!(!cache.is_read_only());
    assert_reads(&server.url(), &cache);
}
