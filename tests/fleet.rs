//! `Client::sync_fleet`: every site of the account, under VRM's limit,
//! resumable, one failing site never stopping the others.

mod common;

use std::time::Duration;

use common::slow::{Limit, SlowVrm};
use common::{TOKEN, TempDir, stats_body};
use vrm::{Cache, Client, Interval, RateLimit, Source, StatsQuery, TimeWindow};

const SITES: u64 = 6;

/// A VRM-like server of `SITES` sites (site 4 answering its stats with a
/// 400), enforcing `limit`.
fn fleet_server(limit: Option<Limit>) -> SlowVrm {
    SlowVrm::start(Duration::from_millis(2), limit, |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":7}}"#.to_vec());
        }
        if target.starts_with("users/7/installations") {
            let sites: Vec<String> = (1..=SITES)
                .map(|i| format!(r#"{{"idSite":{i},"name":"Site {i}"}}"#))
                .collect();
            return (
                200,
                format!(r#"{{"success":true,"records":[{}]}}"#, sites.join(",")).into_bytes(),
            );
        }
        if target.starts_with("installations/4/stats") {
            return (400, br#"{"success":false,"errors":"Broken site"}"#.to_vec());
        }
        if target.contains("/stats?") {
            return (200, stats_body(target, 3600));
        }
        (
            404,
            br#"{"success":false,"errors":"no such route"}"#.to_vec(),
        )
    })
}

/// January to May 2025 in hours: 4 chunks a site, all final.
fn four_months() -> StatsQuery {
    let window = TimeWindow::from_unix(1_735_689_600, 1_746_057_600).expect("window");
    StatsQuery::kwh(window, Interval::Hours)
}

#[test]
fn a_fleet_syncs_under_the_limit_and_resumes() {
    // The server allows 14 at once and one more every 50 ms; the client is
    // told 10: 4 spare slots (200 ms) absorb a loaded machine's jitter, as
    // the 5 spare of VRM's 200 (1.65 s) do in real life.
    let server = fleet_server(Some(Limit {
        capacity: 14.0,
        refill: Duration::from_millis(50),
    }));
    let dir = TempDir::new("fleet");
    let cache = Cache::open(dir.join("c.db")).expect("cache");
    let client = Client::builder()
        .base_url(&server.url)
        .personal_token(TOKEN)
        .cache(cache)
        .rate_limit(Some(RateLimit {
            capacity: 10,
            refill: Duration::from_millis(50),
        }))
        .build()
        .expect("client");
    let mut updates = 0;
    let report = client
        .sync_fleet(&four_months(), &mut |p| {
            assert!(p.sites_done <= p.sites && p.requests_done <= p.requests_planned);
            updates += 1;
        })
        .expect("the fleet");
    assert!(updates > 0);
    assert_eq!(server.limited(), 0, "no 429 in a healthy run");
    assert_eq!(report.sites.len(), SITES as usize);
    let failed: Vec<u64> = report.failures().map(|s| s.site.get()).collect();
    assert_eq!(failed, [4], "site 4 fails alone");
    for s in report.sites.iter().filter(|s| s.site.get() != 4) {
        assert_eq!((s.requests, s.source), (4, Some(Source::Network)), "{s:?}");
        assert_eq!(s.points, 3 * 2880, "{s:?}");
        assert_eq!(s.name.as_deref(), Some(format!("Site {}", s.site).as_str()));
    }
    // me + installations + 5 sites × 4 chunks + site 4's refusals (its
    // chunks in flight when the first 400 came: 1 to 4).
    let sent = server.requests();
    assert!((2 + 5 * 4 + 1..=2 + 5 * 4 + 4).contains(&sent), "{sent}");

    // Again: only what is missing (site 4) goes to VRM.
    let before = server.requests();
    let again = client
        .sync_fleet(&four_months(), &mut |_| {})
        .expect("again");
    let resent = server.requests() - before;
    assert!((1..=4).contains(&resent), "{resent}: {:?}", server.paths());
    assert!(
        server.paths()[before..]
            .iter()
            .all(|p| p.starts_with("/installations/4/"))
    );
    assert!(
        again
            .sites
            .iter()
            .filter(|s| s.site.get() != 4)
            .all(|s| s.requests == 0 && s.source == Some(Source::Cache))
    );
    assert_eq!(
        again.requests, 0,
        "site 4's refusal is its own, not counted as done"
    );
}
