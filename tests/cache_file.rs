//! The cache file itself: who may read it, what it never holds, what
//! happens to a file it cannot use, several processes writing it at once, a
//! writer killed mid-write, `info` / `purge` / `vacuum`, and the rule that
//! rows belong to the host and account that fetched them.
//!
//! Everything runs against mockito servers on loopback and files in a
//! temporary folder. The multi-process tests run this test binary again as
//! a child (`--exact child_…`); the child tests do nothing unless the
//! parent set their environment variable.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
    for wal in [false, true] {
        let path = dir.join(if wal {
            "newer-wal.sqlite"
        } else {
            "newer.sqlite"
        });
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            if wal {
                let _: String = conn
                    .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                    .unwrap();
            }
            conn.execute_batch(
                "CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('keep me');
                 PRAGMA user_version = 99;",
            )
            .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let e = Cache::open(&path).unwrap_err();
        assert!(matches!(e, Error::Cache(_)), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("version 99"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("left untouched"), "{text}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the file was changed"
        );
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
        .args(["--exact", test, "--nocapture"])
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
