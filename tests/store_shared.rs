//! The store's own behaviour on both stores (management: info and purge),
//! and what only a store shared by many workers does (PostgreSQL): each
//! chunk fetched once by workers that want it at once, one rate budget
//! per token for all of them, the refusals of a schema that is not ours,
//! and the SQL view of the points.

mod backends;
mod common;

use std::time::{Duration, Instant};

use backends::Backend;
use common::mock_me;
use common::slow::{self, Limit, SlowVrm};
use mockito::Matcher;
use vrm::{Cache, CacheKind, Client, Interval, Purge, RateLimit, SiteId, StatsQuery, TimeWindow};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// 2025-01-01 00:00 UTC: old enough that every bucket is final.
const START: i64 = 1_735_689_600;

fn year() -> StatsQuery {
    StatsQuery::kwh(
        TimeWindow::from_unix(START - 365 * DAY, START).unwrap(),
        Interval::Hours,
    )
}

fn worker(server: &SlowVrm, cache: &Cache, limit: Option<RateLimit>) -> Client {
    Client::builder()
        .base_url(&server.url)
        .personal_token("fleet-token")
        .cache(cache.clone())
        .rate_limit(limit)
        .max_retries(0)
        .build()
        .unwrap()
}

fn stats_requests(server: &SlowVrm) -> usize {
    server
        .paths()
        .iter()
        .filter(|p| p.contains("/stats?"))
        .count()
}

fn info_and_purge(backend: Backend) {
    let mut server = common::server();
    mock_me(&mut server, 22);
    let cache = backend.cache();
    let (client, _) = common::cached_client(&server, &cache);
    let stats = server
        .mock("GET", Matcher::Regex(r"^/installations/7/stats\?".into()))
        .with_body_from_request(|req| common::stats_body(req.path_and_query(), HOUR))
        .expect(2)
        .create();
    let day = StatsQuery::kwh(
        TimeWindow::from_unix(START - DAY, START).unwrap(),
        Interval::Hours,
    );
    client.site(SiteId(7)).stats(&day).unwrap();
    let info = cache.info().unwrap();
    let site = info
        .sites
        .iter()
        .find(|s| s.site == Some(SiteId(7)))
        .expect("site 7 in the info");
    let points = site
        .kinds
        .iter()
        .find(|k| k.kind == CacheKind::Stats)
        .unwrap();
    assert_eq!(points.rows, 3 * 24);
    assert!(info.size_bytes > 0);
    assert!(!info.location.is_empty());
    assert!(!info.location.contains("password"), "{}", info.location);
    // Purged: the next query asks VRM again.
    let now = time::OffsetDateTime::from_unix_timestamp(common::NOW).unwrap();
    let deleted = cache
        .purge(&Purge::all().site(SiteId(7)).kind(CacheKind::Stats), now)
        .unwrap();
    assert_eq!(deleted, 3 * 24);
    cache.vacuum().unwrap();
    assert!(
        cache
            .info()
            .unwrap()
            .sites
            .iter()
            .all(|s| s.site != Some(SiteId(7)))
    );
    client.site(SiteId(7)).stats(&day).unwrap();
    stats.assert();
}

/// Two workers (two connection pools, two clients) on one database.
fn two_workers(server: &SlowVrm, limit: Option<RateLimit>) -> Option<(String, Client, Client)> {
    Backend::postgres("shared")?;
    let schema = backends::new_schema();
    let url = backends::schema_url(&schema);
    let a = Cache::open_url(&url).unwrap();
    let b = Cache::open_url(&url).unwrap();
    Some((schema, worker(server, &a, limit), worker(server, &b, limit)))
}

#[test]
fn workers_that_want_one_window_fetch_each_chunk_once() {
    let server = SlowVrm::start(Duration::from_millis(60), None, slow::fleet(1));
    let Some((schema, a, b)) = two_workers(&server, Some(RateLimit::VRM)) else {
        return;
    };
    let (sa, sb) = std::thread::scope(|s| {
        let ta = s.spawn(|| a.site(SiteId(1)).stats(&year()).unwrap());
        let tb = s.spawn(|| b.site(SiteId(1)).stats(&year()).unwrap());
        (ta.join().unwrap(), tb.join().unwrap())
    });
    // A year of hours is 12 chunks of 31 days (the last one shorter).
    assert_eq!(stats_requests(&server), 12, "{:?}", server.paths());
    assert_eq!(
        sa.requests() + sb.requests(),
        12 + 2,
        "12 chunks + users/me twice"
    );
    assert_eq!(sa.point_count(), 365 * 24 * 3);
    assert_eq!(*sa, *sb, "both workers answer the same");
    for answer in [&sa, &sb] {
        // A worker that found every chunk fetched by the other (only its
        // users/me went out) says it answered from the cache.
        if answer.requests() == 1 {
            assert_eq!(answer.source(), vrm::Source::Cache);
        } else {
            assert_ne!(answer.source(), vrm::Source::Stale);
        }
    }
    // No point twice, no claim left behind.
    let rows = |q: &str| backends::sql_rows(&schema, q);
    assert_eq!(
        rows("SELECT count(*)::text FROM vrm_stats_points"),
        [(365 * 24 * 3).to_string()]
    );
    assert_eq!(rows("SELECT count(*)::text FROM vrm_stats_claims"), ["0"]);
    // The view Grafana reads.
    assert_eq!(
        rows(
            "SELECT count(*)::text FROM vrm_points
             WHERE site = 1 AND code = 'Pc' AND interval = 'hours' AND instance IS NULL"
        ),
        [(365 * 24).to_string()]
    );
    assert_eq!(
        rows(
            "SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' ' || value
             FROM vrm_points WHERE site = 1 AND code = 'Gc' ORDER BY time LIMIT 1"
        ),
        ["2024-01-02 00:00 0.125"]
    );
    // A third worker finds it all stored: no request.
    let c = worker(
        &server,
        &Cache::open_url(&backends::schema_url(&schema)).unwrap(),
        None,
    );
    let sc = c.site(SiteId(1)).stats(&year()).unwrap();
    assert_eq!(stats_requests(&server), 12);
    assert_eq!(*sc, *sa);
}

#[test]
fn workers_with_overlapping_windows_share_what_they_fetched() {
    let server = SlowVrm::start(Duration::from_millis(40), None, slow::fleet(1));
    let Some((_, a, b)) = two_workers(&server, Some(RateLimit::VRM)) else {
        return;
    };
    let first = year();
    // Half a year later, half of it the same.
    let later = StatsQuery::kwh(
        TimeWindow::from_unix(START - 186 * DAY, START + 179 * DAY).unwrap(),
        Interval::Hours,
    );
    std::thread::scope(|s| {
        let ta = s.spawn(|| a.site(SiteId(1)).stats(&first).unwrap());
        let tb = s.spawn(|| b.site(SiteId(1)).stats(&later).unwrap());
        ta.join().unwrap();
        tb.join().unwrap();
    });
    // Alone they take 12 + 12; together the half they share is fetched
    // once: 12 for the first, 6 for the later half of the second (a chunk
    // the other worker held is narrowed to what it did not store). 18 in
    // every run so far; 19 allows for a claim raced at a chunk's edge.
    let sent = stats_requests(&server);
    eprintln!("overlapping windows: {sent} stats requests (18 at least)");
    assert!((18..=19).contains(&sent), "{sent}: {:?}", server.paths());
    // Each answers what a fresh fetch would.
    let fresh = |q: &StatsQuery| {
        Client::builder()
            .base_url(&server.url)
            .personal_token("fresh")
            .build()
            .unwrap()
            .site(SiteId(1))
            .stats(q)
            .unwrap()
    };
    assert_eq!(*a.site(SiteId(1)).stats(&first).unwrap(), *fresh(&first));
    assert_eq!(*b.site(SiteId(1)).stats(&later).unwrap(), *fresh(&later));
}

#[test]
fn workers_with_one_token_share_one_rate_budget() {
    // VRM's limit scaled down: a window of 10, one freed every 100 ms. The
    // server allows 12 and frees one every 90 ms: room for a loaded
    // machine's jitter (a CI run once saw a 429 with no room), and still far
    // from the 30 at once of three workers pacing themselves alone.
    let limit = RateLimit {
        capacity: 10,
        refill: Duration::from_millis(100),
    };
    let server = SlowVrm::start(
        Duration::from_millis(2),
        Some(Limit {
            capacity: 12.0,
            refill: Duration::from_millis(90),
        }),
        slow::fleet(3),
    );
    let Some((schema, a, b)) = two_workers(&server, Some(limit)) else {
        return;
    };
    let c = worker(
        &server,
        &Cache::open_url(&backends::schema_url(&schema)).unwrap(),
        Some(limit),
    );
    common::capture_logs();
    let at = Instant::now();
    // Each worker: 15 days of one site, one request each (max_retries 0:
    // a 429 fails the call). Alone, each would send its first 10 at once.
    std::thread::scope(|s| {
        for (site, client) in [(1, &a), (2, &b), (3, &c)] {
            s.spawn(move || {
                for day in 0..15 {
                    let end = START - day * DAY;
                    let q = StatsQuery::kwh(
                        TimeWindow::from_unix(end - DAY, end).unwrap(),
                        Interval::Hours,
                    );
                    client.site(SiteId(site)).stats(&q).unwrap();
                }
            });
        }
    });
    let took = at.elapsed().as_secs_f64();
    let requests = server.requests();
    assert_eq!(requests, 3 * 15 + 3, "{:?}", server.paths());
    assert_eq!(server.limited(), 0, "no 429 for a fleet on one budget");
    assert!(
        !common::logged().contains("shared rate budget"),
        "{}",
        common::logged()
    );
    assert_eq!(
        backends::sql_rows(
            &schema,
            "SELECT count(*)::text FROM vrm_rate_budgets WHERE level > 0"
        ),
        ["1"],
        "one budget for the one token"
    );
    // The floor the limit sets: the requests past the window, one per refill.
    let floor = (requests - 10) as f64 * 0.1;
    assert!(took >= floor * 0.95, "{took} s, floor {floor} s");
    eprintln!("3 workers, {requests} requests: {took:.2} s, floor {floor:.2} s");
}

#[test]
fn a_schema_that_is_not_ours_is_refused_and_left_untouched() {
    if Backend::postgres("refusals").is_none() {
        return;
    }
    // Another program's table under one of our names.
    let schema = backends::new_schema();
    backends::sql(&format!(
        "CREATE TABLE {schema}.vrm_scopes (note TEXT); INSERT INTO {schema}.vrm_scopes VALUES ('theirs')"
    ));
    let e = Cache::open_url(&backends::schema_url(&schema))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is not a vrm cache") && e.contains("vrm_scopes"),
        "{e}"
    );
    assert!(e.contains("left untouched"), "{e}");
    assert_eq!(
        backends::sql_rows(&schema, "SELECT note FROM vrm_scopes"),
        ["theirs"]
    );
    assert_eq!(
        backends::sql_rows(
            &schema,
            "SELECT count(*)::text FROM pg_tables WHERE schemaname = current_schema()"
        ),
        ["1"]
    );
    // A newer vrm's schema.
    let schema = backends::new_schema();
    Cache::open_url(&backends::schema_url(&schema)).unwrap();
    backends::sql(&format!("UPDATE {schema}.vrm_meta SET version = 99"));
    let e = Cache::open_url(&backends::schema_url(&schema))
        .unwrap_err()
        .to_string();
    assert!(e.contains("newer vrm") && e.contains("99"), "{e}");
    assert_eq!(
        backends::sql_rows(&schema, "SELECT version::text FROM vrm_meta"),
        ["99"]
    );
    // Workers opening a new schema at once migrate it once.
    let schema = backends::new_schema();
    let url = backends::schema_url(&schema);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| Cache::open_url(&url).unwrap());
        }
    });
    assert_eq!(
        backends::sql_rows(&schema, "SELECT version::text FROM vrm_meta"),
        ["1"]
    );
}

fn answers_belong_to_their_host_and_account(backend: Backend) {
    let cache = backend.cache();
    let day = StatsQuery::kwh(
        TimeWindow::from_unix(START - DAY, START).unwrap(),
        Interval::Hours,
    );
    let stats_mock = |server: &mut mockito::ServerGuard, expect: usize| {
        server
            .mock("GET", Matcher::Regex(r"^/installations/7/stats\?".into()))
            .with_body_from_request(|req| common::stats_body(req.path_and_query(), HOUR))
            .expect(expect)
            .create()
    };
    let mut host_a = common::server();
    let mut host_b = common::server();
    // Account 22 at host A, through two tokens; account 23 at host A;
    // account 22 at host B.
    let me_22 = host_a
        .mock("GET", "/users/me")
        .match_header("x-authorization", Matcher::Regex("one|two".into()))
        .with_body(r#"{"success":true,"user":{"id":22,"name":"a"}}"#)
        .expect(2)
        .create();
    let me_23 = host_a
        .mock("GET", "/users/me")
        .match_header("x-authorization", "Token three")
        .with_body(r#"{"success":true,"user":{"id":23,"name":"b"}}"#)
        .create();
    mock_me(&mut host_b, 22);
    let at_a = stats_mock(&mut host_a, 2);
    let at_b = stats_mock(&mut host_b, 1);
    let client = |server: &mockito::ServerGuard, token: &str| {
        Client::builder()
            .base_url(server.url())
            .personal_token(token)
            .cache(cache.clone())
            .build()
            .unwrap()
    };
    let first = client(&host_a, "one").site(SiteId(7)).stats(&day).unwrap();
    assert_eq!(first.source(), vrm::Source::Network);
    // Another token of the same account at the same host: its data.
    let again = client(&host_a, "two").site(SiteId(7)).stats(&day).unwrap();
    assert_eq!(again.source(), vrm::Source::Cache);
    assert_eq!(*again, *first);
    // Another account, another host: never the first one's.
    let other = client(&host_a, "three")
        .site(SiteId(7))
        .stats(&day)
        .unwrap();
    assert_eq!(other.source(), vrm::Source::Network);
    let elsewhere = client(&host_b, "one").site(SiteId(7)).stats(&day).unwrap();
    assert_eq!(elsewhere.source(), vrm::Source::Network);
    at_a.assert();
    at_b.assert();
    me_22.assert();
    me_23.assert();
}

/// Many writers on one key at once (refresh mode skips the claims, so
/// every worker stores the same chunks): no deadlock, no point twice.
fn many_writers_of_one_window(backend: Backend) {
    let server = SlowVrm::start(Duration::from_millis(5), None, slow::fleet(1));
    let cache = backend.cache();
    let quarter = StatsQuery::kwh(
        TimeWindow::from_unix(START - 93 * DAY, START).unwrap(),
        Interval::Hours,
    );
    std::thread::scope(|s| {
        for _ in 0..6 {
            let client = Client::builder()
                .base_url(&server.url)
                .personal_token("writer")
                .cache(cache.clone())
                .cache_mode(vrm::CacheMode::Refresh)
                .rate_limit(None)
                .build()
                .unwrap();
            let quarter = &quarter;
            s.spawn(move || {
                for _ in 0..2 {
                    let stats = client.site(SiteId(1)).stats(quarter).unwrap();
                    assert_eq!(stats.point_count(), 93 * 24 * 3);
                }
            });
        }
    });
    let info = cache.info().unwrap();
    let site = info
        .sites
        .iter()
        .find(|s| s.site == Some(SiteId(1)))
        .unwrap();
    let points = site
        .kinds
        .iter()
        .find(|k| k.kind == CacheKind::Stats)
        .unwrap();
    assert_eq!(points.rows, 93 * 24 * 3, "every point once");
}

backends::both!(
    info_and_purge,
    answers_belong_to_their_host_and_account,
    many_writers_of_one_window
);

/// `vrm --cache postgres://…` (and `VRM_CACHE_URL`): the shared cache from
/// the command line, its location shown without the password; a build
/// without the feature says how to get one.
#[test]
fn the_cli_takes_a_postgres_url() {
    let bin = env!("CARGO_BIN_EXE_vrm");
    let run = |args: &[&str], env: Option<&str>| {
        let mut cmd = std::process::Command::new(bin);
        cmd.args(args).env_remove("VRM_CACHE_URL");
        if let Some(url) = env {
            cmd.env("VRM_CACHE_URL", url);
        }
        cmd.output().unwrap()
    };
    if !cfg!(feature = "postgres") {
        let out = run(
            &["--cache", "postgres://u:pw@127.0.0.1:1/x", "cache", "info"],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("feature `postgres`") && !err.contains("pw"),
            "{err}"
        );
        return;
    }
    if Backend::postgres("the_cli_takes_a_postgres_url").is_none() {
        return;
    }
    let schema = backends::new_schema();
    let url = backends::schema_url(&schema).replace(
        "postgres://postgres@",
        "postgres://postgres:not-the-password@",
    );
    for (args, env) in [
        (
            vec!["--cache", url.as_str(), "cache", "info", "--format", "json"],
            None,
        ),
        (
            vec!["cache", "info", "--format", "json"],
            Some(url.as_str()),
        ),
    ] {
        let out = run(&args, env);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("\"location\":\"postgres://postgres@"),
            "{text}"
        );
        assert!(!text.contains("not-the-password"), "{text}");
    }
}
