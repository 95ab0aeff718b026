//! The cache for every other GET (rule 7), the modes (rule 8) and the
//! provenance of answers (rule 9).

mod backends;
mod common;

use backends::Backend;
use std::time::Duration;

use common::{NOW, fixture, mock_me, server, stats_body};
use mockito::{Matcher, ServerGuard};
use vrm::{
    Cache, CacheKind, CacheMode, CachePolicy, Client, Error, GraphQuery, Interval,
    OverallStatsQuery, Revoke, SiteId, Source, StatsQuery, TimeWindow, UserId, Widget, WidgetQuery,
};

fn setup(backend: Backend) -> (ServerGuard, Cache) {
    let mut server = server();
    mock_me(&mut server, 22);
    (server, backend.cache())
}

fn with_mode(server: &ServerGuard, cache: &Cache, mode: CacheMode) -> (Client, vrm::ManualClock) {
    let clock = common::clock();
    let client = common::builder(server, &clock)
        .personal_token(common::TOKEN)
        .cache(cache.clone())
        .cache_mode(mode)
        .max_retries(0)
        .build()
        .unwrap();
    (client, clock)
}

fn every_cacheable_answer_is_served_again_while_fresh_then_refetched(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (client, clock) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(151_734));
    let day = TimeWindow::from_unix(NOW - 86_400, NOW).unwrap();
    let mocks = [
        server
            .mock("GET", "/users/22/installations")
            .with_body(fixture("installations_basic.json"))
            .expect(2)
            .create(),
        server
            .mock("GET", "/installations/151734/system-overview")
            .with_body(fixture("system_overview.json"))
            .expect(2)
            .create(),
        server
            .mock("GET", "/installations/151734/overallstats")
            .match_query(Matcher::Any)
            .with_body(fixture("overallstats.json"))
            .expect(2)
            .create(),
        server
            .mock("GET", "/installations/151734/widgets/Graph")
            .match_query(Matcher::Any)
            .with_body(fixture("widget_graph_bs_bv.json"))
            .expect(2)
            .create(),
        server
            .mock("GET", "/installations/151734/widgets/BatterySummary")
            .match_query(Matcher::Any)
            .with_body(fixture("widget_battery_summary.json"))
            .expect(2)
            .create(),
        server
            .mock("GET", "/installations/151734/tags")
            .with_body(fixture("tags.json"))
            .expect(2)
            .create(),
    ];
    let run = |expect: Source| {
        let sources = [
            client.installations().unwrap().source(),
            site.system_overview().unwrap().source(),
            site.overall_stats(&OverallStatsQuery::kwh())
                .unwrap()
                .source(),
            site.graph(&GraphQuery::new(["bs", "bv"]).window(day))
                .unwrap()
                .source(),
            site.widget(&Widget::BatterySummary, &WidgetQuery::new().instance(512))
                .unwrap()
                .source(),
            site.tags().unwrap().source(),
        ];
        assert_eq!(sources, [expect; 6]);
    };
    run(Source::Network);
    let before = client.counters().requests;
    run(Source::Cache);
    assert_eq!(client.counters().requests, before, "no request while fresh");
    // Five minutes on: widgets are past their limit, the rest are not.
    clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(
        site.widget(&Widget::BatterySummary, &WidgetQuery::new().instance(512))
            .unwrap()
            .source(),
        Source::Network
    );
    assert_eq!(site.tags().unwrap().source(), Source::Cache);
    // Two hours on, everything is asked again.
    clock.advance(Duration::from_secs(2 * 3600));
    client.installations().unwrap();
    site.system_overview().unwrap();
    site.overall_stats(&OverallStatsQuery::kwh()).unwrap();
    site.graph(&GraphQuery::new(["bs", "bv"]).window(day))
        .unwrap();
    site.tags().unwrap();
    for mock in &mocks {
        mock.assert();
    }
}

fn freshness_limits_are_configurable(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let tags = server
        .mock("GET", "/installations/5/tags")
        .with_body(fixture("tags.json"))
        .expect(2)
        .create();
    let clock = common::clock();
    let client = common::builder(&server, &clock)
        .personal_token(common::TOKEN)
        .cache(cache)
        .cache_policy(CachePolicy::default().freshness(CacheKind::Tags, Duration::from_secs(30)))
        .build()
        .unwrap();
    client.site(SiteId(5)).tags().unwrap();
    clock.advance(Duration::from_secs(20));
    assert_eq!(
        client.site(SiteId(5)).tags().unwrap().source(),
        Source::Cache
    );
    clock.advance(Duration::from_secs(20));
    assert_eq!(
        client.site(SiteId(5)).tags().unwrap().source(),
        Source::Network
    );
    tags.assert();
}

fn token_calls_and_logins_are_never_cached(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let list = server
        .mock("GET", "/users/22/accesstokens/list")
        .with_body(fixture("tokens_list.json"))
        .expect(2)
        .create();
    let revoke = server
        .mock("DELETE", "/users/22/accesstokens/*")
        .with_body(fixture("tokens_revoke.json"))
        .expect(2)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    for _ in 0..2 {
        let tokens = client.user(UserId(22)).access_tokens().unwrap();
        assert_eq!(tokens.source(), Source::Network);
        client
            .user(UserId(22))
            .revoke_access_token(Revoke::All)
            .unwrap();
    }
    list.assert();
    revoke.assert();

    // Credentials: the first run logs in to learn its account; a later run
    // finds the account in the cache, answers the overview from it, and an
    // explicit login still goes to VRM: a bearer token is never cached.
    let login = server
        .mock("POST", "/auth/login")
        .with_body(fixture("login.json"))
        .expect(3)
        .create();
    let overview = server
        .mock("GET", "/installations/9/system-overview")
        .with_body(fixture("system_overview.json"))
        .expect(1)
        .create();
    let mut sources = Vec::new();
    for _ in 0..2 {
        let clock = common::clock();
        let client = common::builder(&server, &clock)
            .credentials("me@example.com", "pw")
            .cache(cache.clone())
            .build()
            .unwrap();
        sources.push(client.site(SiteId(9)).system_overview().unwrap().source());
        let before = client.counters().requests;
        client.login().unwrap();
        assert_eq!(client.counters().requests, before + 1);
    }
    assert_eq!(sources, [Source::Network, Source::Cache]);
    login.assert();
    overview.assert();
}

fn refresh_mode_always_asks_and_updates_the_cache(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let tags = server
        .mock("GET", "/installations/5/tags")
        .with_body(fixture("tags.json"))
        .expect(3)
        .create();
    let (refresh, _) = with_mode(&server, &cache, CacheMode::Refresh);
    for _ in 0..2 {
        assert_eq!(
            refresh.site(SiteId(5)).tags().unwrap().source(),
            Source::Network
        );
    }
    let (prefer, clock) = with_mode(&server, &cache, CacheMode::PreferCache);
    assert_eq!(
        prefer.site(SiteId(5)).tags().unwrap().source(),
        Source::Cache
    );
    clock.advance(Duration::from_secs(2 * 3600));
    prefer.site(SiteId(5)).tags().unwrap();
    tags.assert();
}

fn offline_mode_serves_the_cache_and_names_what_is_missing(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let stats = server
        .mock("GET", Matcher::Regex("^/installations/5/stats".into()))
        .with_body_from_request(|req| stats_body(req.path_and_query(), 3600))
        .expect(1)
        .create();
    let (online, _) = common::cached_client(&server, &cache);
    let day = TimeWindow::from_unix(NOW - 30 * 86_400, NOW - 29 * 86_400).unwrap();
    online
        .site(SiteId(5))
        .stats(&StatsQuery::kwh(day, Interval::Hours))
        .unwrap();
    let requests = server.mock("GET", Matcher::Any).expect(0).create();
    let (offline, clock) = with_mode(&server, &cache, CacheMode::Offline);
    clock.advance(Duration::from_secs(86_400));
    let hit = offline
        .site(SiteId(5))
        .stats(&StatsQuery::kwh(day, Interval::Hours))
        .unwrap();
    assert_eq!(hit.source(), Source::Cache);
    assert_eq!(hit.series("Pc").unwrap().len(), 24);
    let missing = TimeWindow::from_unix(NOW - 29 * 86_400, NOW - 28 * 86_400).unwrap();
    let err = offline
        .site(SiteId(5))
        .stats(&StatsQuery::kwh(missing, Interval::Hours))
        .unwrap_err();
    assert!(err.is_not_cached(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("site 5") && text.contains("kwh hours"),
        "{text}"
    );
    let err = offline.site(SiteId(5)).tags().unwrap_err();
    assert!(matches!(&err, Error::NotCached(what) if what.contains("installations/5/tags")));
    assert_eq!(offline.counters().requests, 0);
    requests.assert();
    stats.assert();
}

fn offline_mode_without_a_known_account_is_a_clear_miss(backend: Backend) {
    let server = server();
    let cache = backend.cache();
    let (offline, _) = with_mode(&server, &cache, CacheMode::Offline);
    let err = offline.site(SiteId(5)).tags().unwrap_err();
    assert!(err.is_not_cached(), "{err:?}");
    assert!(err.to_string().contains("account"), "{err}");
}

fn a_network_failure_returns_the_stale_copy_marked_stale(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let ok = server
        .mock("GET", "/installations/5/system-overview")
        .with_body(fixture("system_overview.json"))
        .expect(1)
        .create();
    let (client, clock) = with_mode(&server, &cache, CacheMode::PreferCache);
    let fresh = client.site(SiteId(5)).system_overview().unwrap();
    ok.assert();
    ok.remove();
    let down = server
        .mock("GET", "/installations/5/system-overview")
        .with_status(503)
        .expect(1)
        .create();
    clock.advance(Duration::from_secs(2 * 3600));
    let stale = client.site(SiteId(5)).system_overview().unwrap();
    assert_eq!(stale.source(), Source::Stale);
    assert_eq!(stale.value(), fresh.value());
    assert_eq!(stale.fetched_at(), fresh.fetched_at());
    down.assert();

    // Asked not to, the client reports the failure instead.
    let clock = common::clock();
    clock.advance(Duration::from_secs(2 * 3600));
    let strict = common::builder(&server, &clock)
        .personal_token(common::TOKEN)
        .cache(cache.clone())
        .cache_policy(CachePolicy::default().stale_on_error(false))
        .max_retries(0)
        .build()
        .unwrap();
    let err = strict.site(SiteId(5)).system_overview().unwrap_err();
    assert_eq!(err.api_error().map(|e| e.status), Some(503));
    // A 404 is an answer, not a network failure: no stale copy for it.
    server
        .mock("GET", "/installations/5/tags")
        .with_status(404)
        .create();
    assert!(client.site(SiteId(5)).tags().unwrap_err().is_not_found());
}

fn stale_stats_stand_in_when_vrm_is_down(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let up = server
        .mock("GET", Matcher::Regex("^/installations/5/stats".into()))
        .with_body_from_request(|req| stats_body(req.path_and_query(), 3600))
        .expect(1)
        .create();
    let (client, clock) = with_mode(&server, &cache, CacheMode::PreferCache);
    let query = StatsQuery::kwh(
        TimeWindow::from_unix(NOW - 86_400, NOW).unwrap(),
        Interval::Hours,
    );
    client.site(SiteId(5)).stats(&query).unwrap();
    up.assert();
    up.remove();
    server
        .mock("GET", Matcher::Regex("^/installations/5/stats".into()))
        .with_status(502)
        .create();
    clock.advance(Duration::from_secs(3600));
    let stale = client.site(SiteId(5)).stats(&query).unwrap();
    assert_eq!(stale.source(), Source::Stale);
    assert_eq!(stale.series("Pc").unwrap().len(), 24);
}

fn diagnostics_snapshot_is_served_while_fresh_and_history_keeps_only_changes(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let snapshot = |voltage: f64, t: i64| {
        format!(
            r#"{{"success":true,"records":[
              {{"idSite":5,"timestamp":{t},"instance":0,"idDataAttribute":47,"code":"bv","rawValue":{voltage}}},
              {{"idSite":5,"timestamp":{t},"instance":0,"idDataAttribute":51,"code":"bs","rawValue":"steady"}}
            ]}}"#
        )
    };
    let (client, clock) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(5));
    let mut mock = server
        .mock("GET", "/installations/5/diagnostics")
        .match_query(Matcher::Any)
        .with_body(snapshot(12.5, NOW))
        .expect(1)
        .create();
    site.diagnostics(1000).unwrap();
    clock.advance(Duration::from_secs(60));
    assert_eq!(site.diagnostics(1000).unwrap().source(), Source::Cache);
    mock.assert();
    // Polled every 6 minutes: the voltage changes once, the state never.
    for (i, voltage) in [12.5, 12.5, 12.75, 12.75].into_iter().enumerate() {
        mock.remove();
        clock.advance(Duration::from_secs(6 * 60));
        let t = NOW + 60 + 360 * (i as i64 + 1);
        mock = server
            .mock("GET", "/installations/5/diagnostics")
            .match_query(Matcher::Any)
            .with_body(snapshot(voltage, t))
            .expect(1)
            .create();
        assert_eq!(site.diagnostics(1000).unwrap().source(), Source::Network);
        mock.assert();
    }
    let all = TimeWindow::from_unix(NOW - 3600, NOW + 7200).unwrap();
    let history = site.diagnostics_history(all).unwrap();
    let values: Vec<String> = history
        .iter()
        .map(|c| format!("{}={}", c.code.as_deref().unwrap_or("?"), c.value))
        .collect();
    assert_eq!(values, ["bv=12.5", "bs=\"steady\"", "bv=12.75"]);
    let at = site
        .diagnostics_at(time::OffsetDateTime::from_unix_timestamp(NOW + 100).unwrap())
        .unwrap();
    assert_eq!(at.len(), 2);
    assert_eq!(at[0].value, serde_json::json!(12.5));
}

fn every_answer_says_where_it_came_from_and_what_it_cost(backend: Backend) {
    let (mut server, cache) = setup(backend);
    server
        .mock("GET", "/installations/5/tags")
        .with_body(fixture("tags.json"))
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let first = client.site(SiteId(5)).tags().unwrap();
    assert_eq!(first.source(), Source::Network);
    assert_eq!(first.requests(), 2, "users/me once, then the tags");
    let second = client.site(SiteId(5)).tags().unwrap();
    assert_eq!((second.source(), second.requests()), (Source::Cache, 0));
    let counters = client.counters();
    assert_eq!(
        (counters.requests, counters.hits, counters.misses),
        (2, 1, 1)
    );
    // A new client (a new run) on the same cache: not even users/me.
    let (again, _) = common::cached_client(&server, &cache);
    assert_eq!(again.site(SiteId(5)).tags().unwrap().requests(), 0);
    assert_eq!(again.counters().requests, 0);
}

backends::both!(
    every_cacheable_answer_is_served_again_while_fresh_then_refetched,
    freshness_limits_are_configurable,
    token_calls_and_logins_are_never_cached,
    refresh_mode_always_asks_and_updates_the_cache,
    offline_mode_serves_the_cache_and_names_what_is_missing,
    offline_mode_without_a_known_account_is_a_clear_miss,
    a_network_failure_returns_the_stale_copy_marked_stale,
    stale_stats_stand_in_when_vrm_is_down,
    diagnostics_snapshot_is_served_while_fresh_and_history_keeps_only_changes,
    every_answer_says_where_it_came_from_and_what_it_cost,
);
