//! The cost belongs to the call: `Fetched::requests()` counts exactly the
//! HTTP requests that call caused — a login or `users/me` made on its behalf
//! included — however many threads share one `Client`.
//!
//! The mock VRM answers every method and path from one router and counts
//! every request it sees, so the tests compare what the answers claim with
//! what reached the server: summed over 8 threads × 50 calls on one shared
//! client, and call by call when the calls run one after the other.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

use common::{NOW, TOKEN, fixture, stats_body};
use mockito::{Matcher, Mock, ServerGuard};
use vrm::{
    Cache, Client, Interval, ManualClock, OverallStatsQuery, SiteId, Source, StatsQuery,
    TimeWindow, UserId,
};

/// 2026-11-01T00:00:00Z.
const NOV_1: i64 = 1_793_491_200;
const DAY: i64 = 86_400;

/// The account of the token and of the login.
const USER: UserId = UserId(22);

/// The login answer VRM sends for a password account.
const LOGIN: &str = r#"{"success":true,"token":"t","idUser":22,"verification_mode":"password","verification_sent":false}"#;

const THREADS: usize = 8;
const CALLS: usize = 50;

// ---- the mock VRM: one router, one counter ----------------------------------------

/// The answers of the router, read once.
struct Bodies {
    me: String,
    installations: String,
    overview: String,
    tags: String,
    overall: String,
    tokens: String,
}

/// A mock VRM answering every route these tests use, counting requests.
struct Vrm {
    server: ServerGuard,
    seen: Arc<AtomicU64>,
    /// `POST auth/login` among them.
    logins: Arc<AtomicU64>,
    _mocks: Vec<Mock>,
}

impl Vrm {
    fn new() -> Vrm {
        let mut server = common::server();
        let seen = Arc::new(AtomicU64::new(0));
        let logins = Arc::new(AtomicU64::new(0));
        let bodies = Arc::new(Bodies {
            me: fixture("users_me.json"),
            installations: fixture("installations.json"),
            overview: fixture("system_overview.json"),
            tags: fixture("tags.json"),
            overall: fixture("overallstats.json"),
            tokens: fixture("tokens_list.json"),
        });
        let mocks = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
            .iter()
            .map(|method| {
                let counter = Arc::clone(&seen);
                let login_counter = Arc::clone(&logins);
                let for_status = Arc::clone(&bodies);
                let for_body = Arc::clone(&bodies);
                server
                    .mock(method, Matcher::Any)
                    // Called once per request, before the answer leaves:
                    // the one place that counts.
                    .with_status_code_from_request(move |req| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        if req.method() == "POST" && req.path().ends_with("/auth/login") {
                            login_counter.fetch_add(1, Ordering::SeqCst);
                        }
                        route(req, &for_status).0
                    })
                    .with_header("content-type", "application/json")
                    .with_body_from_request(move |req| route(req, &for_body).1)
                    .create()
            })
            .collect();
        Vrm {
            server,
            seen,
            logins,
            _mocks: mocks,
        }
    }

    /// Requests the server has seen so far.
    fn seen(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }

    /// Logins among them.
    fn logins(&self) -> u64 {
        self.logins.load(Ordering::SeqCst)
    }
}

/// Status and body for a request; unknown routes get a 404 that names them.
fn route(req: &mockito::Request, b: &Bodies) -> (usize, Vec<u8>) {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ok = |body: &str| (200, body.as_bytes().to_vec());
    match (req.method(), segments.as_slice()) {
        ("POST", ["auth", "login"]) => ok(LOGIN),
        ("GET", ["users", "me"]) => ok(&b.me),
        ("GET", ["users", _, "installations"]) => ok(&b.installations),
        ("GET", ["users", _, "accesstokens", "list"]) => ok(&b.tokens),
        ("GET", ["installations", _, "system-overview"]) => ok(&b.overview),
        ("GET", ["installations", _, "tags"]) => ok(&b.tags),
        ("GET", ["installations", _, "overallstats"]) => ok(&b.overall),
        ("GET", ["installations", _, "stats"]) => (200, stats_body(req.path_and_query(), 3600)),
        (method, _) => (
            404,
            format!(
                r#"{{"success":false,"errors":"no route for {method} {}"}}"#,
                req.path_and_query()
            )
            .into_bytes(),
        ),
    }
}

// ---- the calls --------------------------------------------------------------------

/// How a client authenticates.
#[derive(Debug, Clone, Copy)]
enum Auth {
    Token,
    Credentials,
}

/// A client of `vrm` with `auth`, no rate limit, a manual clock, and
/// `cache` if given.
fn client(vrm: &Vrm, auth: Auth, cache: Option<Cache>) -> Client {
    let clock = ManualClock::new(time::OffsetDateTime::from_unix_timestamp(NOW).expect("time"));
    let mut builder = common::builder(&vrm.server, &clock).rate_limit(None);
    builder = match auth {
        Auth::Token => builder.personal_token(TOKEN),
        Auth::Credentials => builder.credentials("u@example.com", "pw"),
    };
    if let Some(cache) = cache {
        builder = builder.cache(cache);
    }
    builder.build().expect("client builds")
}

/// One endpoint call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Call {
    /// `client.installations()` (learns the user id first).
    Installations,
    Me,
    Overview(SiteId),
    Tags(SiteId),
    /// Hourly kWh over `days` days from 1 November + `from` days.
    Stats {
        site: SiteId,
        from: i64,
        days: i64,
    },
    Overall(SiteId),
    /// `user(22).access_tokens()`: never cached.
    Tokens,
}

const SITES: [SiteId; 2] = [SiteId(151_734), SiteId(151_735)];

impl Call {
    /// Run the call; its claimed cost and source.
    fn run(self, client: &Client) -> vrm::Result<(u32, Source)> {
        fn of<T>(f: vrm::Fetched<T>) -> (u32, Source) {
            (f.requests(), f.source())
        }
        Ok(match self {
            Call::Installations => of(client.installations()?),
            Call::Me => of(client.me()?),
            Call::Overview(site) => of(client.site(site).system_overview()?),
            Call::Tags(site) => of(client.site(site).tags()?),
            Call::Stats { site, from, days } => {
                let start = NOV_1 + from * DAY;
                let window = TimeWindow::from_unix(start, start + days * DAY)?;
                of(client
                    .site(site)
                    .stats(&StatsQuery::kwh(window, Interval::Hours))?)
            }
            Call::Overall(site) => of(client.site(site).overall_stats(&OverallStatsQuery::new())?),
            Call::Tokens => of(client.user(USER).access_tokens()?),
        })
    }
}

/// `n` calls for thread `seed`: a deterministic mix of cacheable GETs
/// (several stats windows, overlapping ones included) and uncached ones.
fn plan(seed: usize, n: usize) -> Vec<Call> {
    let mut state = (seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = move |m: u64| {
        // xorshift64*: enough for a mix.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % m
    };
    (0..n)
        .map(|_| {
            let site = SITES[next(2) as usize];
            match next(10) {
                0 => Call::Installations,
                1 => Call::Overview(site),
                2 => Call::Tags(site),
                3 | 4 => Call::Stats {
                    site,
                    from: next(4) as i64,
                    days: 1,
                },
                // Two days over cached and missing ones: a mixed answer.
                5 => Call::Stats {
                    site,
                    from: next(3) as i64,
                    days: 2,
                },
                6 => Call::Overall(site),
                7 => Call::Me,
                _ => Call::Tokens,
            }
        })
        .collect()
}

/// A call and its claimed cost and source, or its error.
type Outcome = (Call, Result<(u32, Source), String>);

// ---- 1. the sum over threads, and each call on its own ------------------------------

/// 8 threads × 50 calls on one client; every answer's `requests()` summed
/// must be what the server saw.
fn shared_client_sum(auth: Auth) {
    let vrm = Vrm::new();
    let client = client(&vrm, auth, Some(Cache::in_memory().expect("cache")));
    let barrier = Barrier::new(THREADS);
    let results: Vec<Vec<Outcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let client = client.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    let calls = plan(t, CALLS);
                    barrier.wait();
                    calls
                        .into_iter()
                        .map(|call| (call, call.run(&client).map_err(|e| e.to_string())))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread ran"))
            .collect()
    });
    let failures: Vec<String> = results
        .iter()
        .flatten()
        .filter_map(|(call, r)| r.as_ref().err().map(|e| format!("{call:?}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{auth:?}: calls failed:\n{}",
        failures.join("\n")
    );
    let claimed: u64 = results
        .iter()
        .flatten()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|(n, _)| u64::from(*n))
        .sum();
    let from_network = results
        .iter()
        .flatten()
        .filter(|(_, r)| matches!(r, Ok((_, Source::Network | Source::Mixed))))
        .count();
    let seen = vrm.seen();
    println!(
        "{auth:?}: {} calls, {from_network} from the network; claimed {claimed} requests, \
         the server saw {seen} ({} logins); client counters say {}",
        THREADS * CALLS,
        vrm.logins(),
        client.counters().requests
    );
    assert_eq!(
        claimed, seen,
        "{auth:?}: the answers' requests() summed over {THREADS} threads × {CALLS} calls \
         ({claimed}) differ from the requests the server saw ({seen})"
    );
    assert!(seen > 0, "the mix must reach the server");
}

#[test]
fn shared_token_client_the_answers_add_up_to_the_server_count() {
    shared_client_sum(Auth::Token);
}

#[test]
fn shared_credentials_client_the_answers_add_up_to_the_server_count() {
    shared_client_sum(Auth::Credentials);
}

/// The same mix, one call at a time: each answer's `requests()` equals the
/// server's count difference around that call, exactly.
fn each_call_says_its_cost(auth: Auth, cache: bool) {
    let vrm = Vrm::new();
    let client = client(
        &vrm,
        auth,
        cache.then(|| Cache::in_memory().expect("cache")),
    );
    let calls: Vec<Call> = (0..THREADS).flat_map(|t| plan(t, CALLS)).collect();
    let mut wrong = Vec::new();
    let mut total = 0u64;
    for (i, call) in calls.iter().enumerate() {
        let before = vrm.seen();
        let (claimed, source) = call
            .run(&client)
            .unwrap_or_else(|e| panic!("{auth:?}, call {i} {call:?}: {e}"));
        let seen = vrm.seen() - before;
        total += seen;
        if u64::from(claimed) != seen {
            wrong.push(format!(
                "call {i} {call:?} ({}): says {claimed}, the server saw {seen}",
                source.as_str()
            ));
        }
    }
    println!(
        "{auth:?}, cache {cache}: {} calls in sequence, {total} requests, {} miscounted",
        calls.len(),
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{auth:?}, cache {cache}: {} of {} calls miscount their cost:\n{}",
        wrong.len(),
        calls.len(),
        wrong.join("\n")
    );
}

#[test]
fn token_client_each_call_in_sequence_says_exactly_its_cost() {
    each_call_says_its_cost(Auth::Token, true);
}

#[test]
fn credentials_client_each_call_in_sequence_says_exactly_its_cost() {
    each_call_says_its_cost(Auth::Credentials, true);
}

#[test]
fn without_a_cache_each_call_in_sequence_says_exactly_its_cost() {
    each_call_says_its_cost(Auth::Token, false);
    each_call_says_its_cost(Auth::Credentials, false);
}

// ---- 2. the first call pays for the login or `users/me` -----------------------------

/// Every kind of call, as the first use of a fresh client.
fn first_calls() -> [Call; 7] {
    [
        Call::Installations,
        Call::Me,
        Call::Overview(SITES[0]),
        Call::Tags(SITES[0]),
        Call::Stats {
            site: SITES[0],
            from: 0,
            days: 1,
        },
        Call::Overall(SITES[0]),
        Call::Tokens,
    ]
}

/// What the first `call` of a fresh client costs.
fn first_cost(auth: Auth, cache: bool, call: Call) -> u64 {
    match (auth, cache, call) {
        // The login, then the call itself (the login names the user).
        (Auth::Credentials, _, _) => 2,
        // `users/me` names the account; its answer serves `me` too.
        (Auth::Token, true, Call::Me) => 1,
        // Not cached: no account needed.
        (Auth::Token, true, Call::Tokens) => 1,
        // `users/me` names the account (the cache's scope), then the call.
        (Auth::Token, true, _) => 2,
        // `users/me` for the user id, then the list.
        (Auth::Token, false, Call::Installations) => 2,
        (Auth::Token, false, _) => 1,
    }
}

fn first_use(auth: Auth, cache: bool) {
    let vrm = Vrm::new();
    let mut wrong = Vec::new();
    for call in first_calls() {
        let client = client(
            &vrm,
            auth,
            cache.then(|| Cache::in_memory().expect("cache")),
        );
        let before = vrm.seen();
        let (claimed, source) = call
            .run(&client)
            .unwrap_or_else(|e| panic!("{auth:?}, cache {cache}, {call:?}: {e}"));
        let seen = vrm.seen() - before;
        let expected = first_cost(auth, cache, call);
        println!(
            "{auth:?}, cache {cache}, first call {call:?}: says {claimed}, server saw {seen}, \
             expected {expected} ({})",
            source.as_str()
        );
        if u64::from(claimed) != seen || seen != expected {
            wrong.push(format!(
                "{call:?}: says {claimed}, the server saw {seen}, expected {expected}"
            ));
        }
        // Asked again: the cacheable ones are free now, and say so.
        let before = vrm.seen();
        let (claimed, _) = call
            .run(&client)
            .unwrap_or_else(|e| panic!("{auth:?}, cache {cache}, {call:?} again: {e}"));
        let seen = vrm.seen() - before;
        if u64::from(claimed) != seen {
            wrong.push(format!(
                "{call:?} again: says {claimed}, the server saw {seen}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{auth:?}, cache {cache}: first calls miscount:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn a_login_inside_the_first_call_is_part_of_its_cost() {
    first_use(Auth::Credentials, true);
}

#[test]
fn a_login_inside_the_first_call_is_part_of_its_cost_without_a_cache() {
    first_use(Auth::Credentials, false);
}

#[test]
fn users_me_inside_a_token_clients_first_cached_call_is_part_of_its_cost() {
    first_use(Auth::Token, true);
}

#[test]
fn a_token_client_without_a_cache_pays_users_me_only_for_installations() {
    first_use(Auth::Token, false);
}

#[test]
fn installations_of_a_credentials_client_cost_the_login_and_the_list() {
    let vrm = Vrm::new();
    let client = client(&vrm, Auth::Credentials, None);
    let sites = client.installations().expect("installations");
    assert_eq!(vrm.seen(), 2, "POST auth/login, GET users/22/installations");
    assert_eq!(sites.requests(), 2, "the answer says the login too");
    assert_eq!(sites.source(), Source::Network);
}

/// Eight threads all making the first call of one credentials client at
/// once: however many logins that takes, each is paid by exactly one answer.
#[test]
fn concurrent_first_calls_share_out_the_login_exactly() {
    let mut wrong = Vec::new();
    for cache in [false, true] {
        let vrm = Vrm::new();
        let client = client(
            &vrm,
            Auth::Credentials,
            cache.then(|| Cache::in_memory().expect("cache")),
        );
        let barrier = Barrier::new(THREADS);
        let claimed: Vec<u32> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let client = client.clone();
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        let call = first_calls()[t % 7];
                        call.run(&client)
                            .unwrap_or_else(|e| panic!("{call:?}: {e}"))
                            .0
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread ran"))
                .collect()
        });
        let sum: u64 = claimed.iter().map(|&n| u64::from(n)).sum();
        println!(
            "cache {cache}: {THREADS} first calls at once claim {claimed:?} (sum {sum}), \
             the server saw {} ({} logins)",
            vrm.seen(),
            vrm.logins()
        );
        if sum != vrm.seen() {
            wrong.push(format!(
                "cache {cache}: first calls at once claim {claimed:?} (sum {sum}), the server \
                 saw {}",
                vrm.seen()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---- 3. the source agrees with the cost ---------------------------------------------
