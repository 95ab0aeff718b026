//! The engine: the one path every call takes.
//!
//! `api` describes a call as a [`Resource`] (what to ask, how the store
//! holds it, how to read it) and hands it to [`Engine::run`], which
//! decides in one place: the mode (prefer cache, refresh, offline),
//! freshness and the stale fallback, then sends what must be sent through
//! [`Engine::send`] (the rate limiter, retries, re-login, the refusal of
//! any request offline) and counts every request in the call's own
//! [`Call`]. The transport below it only moves bytes; the store only keeps.

mod resource;
mod session;
mod stats;

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::Duration;

use time::OffsetDateTime;

pub(crate) use resource::{Holding, Part, Plain, Resource};
pub(crate) use stats::StatsCall;

use crate::auth::{ApiToken, Auth};
use crate::clock::Clock;
use crate::decode::api_error;
use crate::error::{Error, Result, TransportError, TransportKind};
use crate::fetched::{Fetched, Source};
use crate::ids::UserId;
use crate::request::Request;
use crate::resilience::{RateLimit, RateLimiter, RetryPolicy, parse_retry_after};
use crate::store::{Budget, Cache, CacheMode, CachePolicy, Claim, Store};
use crate::transport::{Stream, Transport};

use session::Session;

/// The cost of one call: every request it causes (a login or `users/me`
/// inside it included) is counted here as it is sent, so an answer's
/// count is its own however many threads share the client.
#[derive(Debug, Default)]
pub(crate) struct Call {
    requests: u32,
    /// When the call sent its first request (its deadline counts from here).
    started: Option<OffsetDateTime>,
}

impl Call {
    pub(crate) fn new() -> Self {
        Call::default()
    }
}

/// The store of a call, with the caller's scope in it (host + account).
pub(crate) struct StoreCtx<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) scope: i64,
    pub(crate) policy: &'a CachePolicy,
    /// Now, unix seconds.
    pub(crate) now: i64,
}

/// Everything a client is: transport, credentials and session, limiter,
/// retry policy, clock, store and mode, and the client-wide counters.
pub(crate) struct Engine {
    pub(crate) transport: Transport,
    pub(crate) base_url: String,
    pub(crate) auth: Auth,
    pub(crate) session: Mutex<Session>,
    /// Held while logging in, so that threads that all find the token
    /// expired log in once.
    pub(crate) login_lock: Mutex<()>,
    pub(crate) limiter: Option<Mutex<RateLimiter>>,
    pub(crate) retry: RetryPolicy,
    /// The longest one whole call may take, attempts and waits included.
    pub(crate) deadline: Duration,
    /// How many requests of one call may be in flight at once.
    pub(crate) parallel: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) store: Option<Arc<dyn Store>>,
    /// The SQLite store, when that is the store (for `Client::cache`).
    pub(crate) cache: Option<Cache>,
    pub(crate) mode: CacheMode,
    pub(crate) policy: CachePolicy,
    /// The account to read offline when the client has no credentials.
    pub(crate) account: Option<UserId>,
    pub(crate) requests: AtomicU64,
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
}

impl Engine {
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn now_unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    pub(crate) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Run one call: answer it from the store, fetch what is missing, or
    /// refuse it offline, as the mode and freshness say.
    pub(crate) fn run<R: Resource>(
        &self,
        call: &mut Call,
        mut resource: R,
    ) -> Result<Fetched<R::Answer>> {
        let ctx = if resource.is_cached() {
            self.store_ctx(call)?
        } else {
            None
        };
        let Some(ctx) = ctx else {
            let parts = resource.split(resource.whole());
            resource.planned(parts.len());
            self.fetch_parts(call, &mut resource, None, parts)?;
            self.follow_up(call, &mut resource, None)?;
            return self.answer(call, resource, Source::Network);
        };
        let holding = resource.lookup(&ctx)?;
        match self.mode {
            CacheMode::Offline if !holding.absent.is_empty() => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                return Err(Error::NotCached(resource.describe(&holding.absent)));
            }
            CacheMode::Offline => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                let source = if holding.missing.is_empty() {
                    Source::Cache
                } else {
                    Source::Stale
                };
                return self.answer(call, resource, source);
            }
            CacheMode::PreferCache if holding.missing.is_empty() => {
                // All stored; a stats window may still hold buckets that
                // only this window's data can tell apart (see engine/stats).
                let sent = match self.follow_up(call, &mut resource, Some(&ctx)) {
                    Ok(sent) => sent,
                    Err(e) if e.is_network() => {
                        log::warn!("vrm failed ({e}); answering from the cache");
                        0
                    }
                    Err(e) => return Err(e),
                };
                let (counter, source) = if sent == 0 {
                    (&self.hits, Source::Cache)
                } else {
                    (&self.misses, Source::Mixed)
                };
                counter.fetch_add(1, Ordering::Relaxed);
                return self.answer(call, resource, source);
            }
            CacheMode::PreferCache | CacheMode::Refresh => {}
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let whole = resource.whole();
        let wanted = if self.mode == CacheMode::Refresh {
            vec![whole]
        } else {
            holding.missing.clone()
        };
        let stale_allowed = ctx.policy.is_stale_on_error() && holding.absent.is_empty();
        let parts: Vec<Part> = wanted.iter().flat_map(|&p| resource.split(p)).collect();
        resource.planned(parts.len());
        let planned = parts.len();
        let fetched = if self.mode == CacheMode::Refresh {
            self.fetch_parts(call, &mut resource, Some(&ctx), parts)
                .map(|()| 0)
        } else {
            self.fetch_claimed(call, &mut resource, &ctx, parts)
        };
        // Parts another worker fetched meanwhile, read from the store.
        let stored = match fetched {
            Ok(stored) => stored,
            Err(e) if e.is_network() && stale_allowed => {
                log::warn!("vrm failed ({e}); answering from the cache");
                return self.answer(call, resource, Source::Stale);
            }
            Err(e) => return Err(e),
        };
        let followed = self.follow_up(call, &mut resource, Some(&ctx))?;
        let source = if stored > 0 && stored == planned && followed == 0 {
            // All of it from the store, as other workers put it there.
            Source::Cache
        } else if wanted == [whole] && stored == 0 {
            Source::Network
        } else {
            Source::Mixed
        };
        self.answer(call, resource, source)
    }

    /// The parts a resource asks for after its planned ones (stats:
    /// resolving what VRM's `false` left unknown), each sent in turn.
    fn follow_up<R: Resource>(
        &self,
        call: &mut Call,
        resource: &mut R,
        ctx: Option<&StoreCtx<'_>>,
    ) -> Result<usize> {
        if self.mode == CacheMode::Offline {
            return Ok(0);
        }
        let mut sent = 0;
        while let Some(part) = resource.follow_up() {
            self.fetch_part(call, resource, ctx, part)?;
            sent += 1;
        }
        Ok(sent)
    }

    fn answer<R: Resource>(
        &self,
        call: &Call,
        resource: R,
        source: Source,
    ) -> Result<Fetched<R::Answer>> {
        let (value, fetched_at) = resource.answer()?;
        let at = fetched_at
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .unwrap_or_else(|| self.now());
        Ok(Fetched::new(value, source, call.requests, at))
    }

    /// The store and this client's scope in it; `None` without a store.
    /// Learning the scope may cost a request the first time (a login or
    /// `users/me`), counted in `call`; offline it costs none, ever.
    pub(crate) fn store_ctx(&self, call: &mut Call) -> Result<Option<StoreCtx<'_>>> {
        let Some(store) = self.store.as_deref() else {
            return Ok(None);
        };
        let known = self.session().scope;
        let scope = match known {
            Some(scope) => scope,
            None => {
                let (user, fingerprint) = if self.auth.is_none() {
                    (self.cached_account(store)?, None)
                } else {
                    (self.user_id(call)?.get(), Some(self.auth.fingerprint()))
                };
                let scope = store.bind_scope(&self.base_url, fingerprint.as_deref(), user)?;
                let mut session = self.session();
                session.scope = Some(scope);
                session.user_id.get_or_insert(UserId(user));
                drop(session);
                self.keep_me_answer(store, scope);
                scope
            }
        };
        Ok(Some(StoreCtx {
            store,
            scope,
            policy: &self.policy,
            now: self.now_unix(),
        }))
    }

    /// The account a client without credentials reads: the one it was
    /// given, or the only one the store holds for this host.
    pub(crate) fn cached_account(&self, store: &dyn Store) -> Result<u64> {
        let host = &self.base_url;
        let accounts = store.accounts(host)?;
        let list = || {
            accounts
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(account) = self.account {
            return if accounts.contains(&account.get()) {
                Ok(account.get())
            } else {
                Err(Error::NotCached(format!(
                    "account {account} at {host} (the cache holds {})",
                    if accounts.is_empty() {
                        "no account".to_owned()
                    } else {
                        format!("accounts {}", list())
                    }
                )))
            };
        }
        match accounts[..] {
            [] => Err(Error::NotCached(format!(
                "any account at {host}: no run has used this cache online yet (give credentials)"
            ))),
            [only] => {
                log::info!("no credentials: reading the cache of account {only} at {host}");
                Ok(only)
            }
            _ => Err(Error::invalid(format!(
                "the cache holds {} accounts at {host} ({}): choose one with --account ID \
                 (ClientBuilder::account), or give credentials",
                accounts.len(),
                list()
            ))),
        }
    }

    /// Send one request: refused offline, else through the rate limiter,
    /// with auth, retries and re-login. Returns the body of its 2xx
    /// answer; every request sent is counted in `call`.
    pub(crate) fn send(&self, call: &mut Call, request: &Request) -> Result<Vec<u8>> {
        self.send_with(call, request, None, None)
    }

    /// [`send`](Self::send), its 2xx body read by `stream` as it arrives.
    pub(crate) fn send_streamed(
        &self,
        call: &mut Call,
        request: &Request,
        stream: Stream<'_>,
    ) -> Result<()> {
        self.send_with(call, request, None, Some(stream)).map(drop)
    }

    /// Offline, no request is sent: [`Error::NotCached`] naming it.
    pub(crate) fn refuse_offline(&self, request: &Request) -> Result<()> {
        if self.mode == CacheMode::Offline {
            return Err(Error::NotCached(format!(
                "{} {}: offline mode sends no request",
                request.method.as_str(),
                request.template
            )));
        }
        Ok(())
    }

    /// Fetch `parts` and hand each answer to `resource`: one after another
    /// (streamed) with one part or `parallel_requests(1)`, else on up to
    /// that many threads. Only requests and bytes cross threads: every
    /// answer is taken in on this thread, one at a time, as it arrives, and
    /// at most two answers a thread wait in memory. The first failure stops
    /// the parts not yet sent and is returned; what was in flight is still
    /// taken in (and kept), and each request sent is counted in `call`.
    fn fetch_parts<R: Resource>(
        &self,
        call: &mut Call,
        resource: &mut R,
        ctx: Option<&StoreCtx<'_>>,
        parts: Vec<Part>,
    ) -> Result<()> {
        let threads = self.parallel.min(parts.len());
        if threads <= 1 {
            for part in parts {
                self.fetch_part(call, resource, ctx, part)?;
            }
            return Ok(());
        }
        let jobs: Mutex<VecDeque<(Part, Request)>> = Mutex::new(
            parts
                .into_iter()
                .map(|part| (part, resource.request(part)))
                .collect(),
        );
        let stop = AtomicBool::new(false);
        let started = *call.started.get_or_insert_with(|| self.now());
        let (done, arrived) = mpsc::sync_channel::<(Part, Result<Vec<u8>>, u32)>(threads);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let done = done.clone();
                let (jobs, stop) = (&jobs, &stop);
                scope.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let next = jobs
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pop_front();
                        let Some((part, request)) = next else {
                            break;
                        };
                        let mut own = Call {
                            requests: 0,
                            started: Some(started),
                        };
                        let result = self.send(&mut own, &request);
                        if done.send((part, result, own.requests)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done);
            let mut outcome = Ok(());
            // Until every thread has ended: what is in flight still arrives
            // after a failure, is counted, and is kept (a later run then
            // asks only for what failed).
            for (part, result, requests) in arrived {
                call.requests = call.requests.saturating_add(requests);
                if let Err(e) = result.and_then(|body| resource.absorb(ctx, part, body)) {
                    stop.store(true, Ordering::Relaxed);
                    if outcome.is_ok() {
                        outcome = Err(e);
                    }
                }
            }
            outcome
        })
    }

    /// [`fetch_parts`](Self::fetch_parts) for workers that share a store:
    /// each part is claimed first, so that a part another worker is
    /// fetching is not fetched twice. Parts claimed here are fetched at
    /// once; parts another worker holds are waited for (polling, each wait
    /// within the call's deadline) and then read from the store, or
    /// fetched here when that worker gave up. A store of one machine hands
    /// every part over at once. Returns how many parts were read from the
    /// store.
    fn fetch_claimed<R: Resource>(
        &self,
        call: &mut Call,
        resource: &mut R,
        ctx: &StoreCtx<'_>,
        mut parts: Vec<Part>,
    ) -> Result<usize> {
        const FIRST_WAIT: Duration = Duration::from_millis(50);
        const LONGEST_WAIT: Duration = Duration::from_secs(1);
        let mut wait = FIRST_WAIT;
        let mut waited = false;
        let mut stored = 0;
        while !parts.is_empty() {
            if waited {
                self.within_deadline(call, &resource.request(parts[0]), wait)?;
                self.clock.sleep(wait);
                wait = (wait * 2).min(LONGEST_WAIT);
            }
            let mut mine = Vec::new();
            let mut busy = Vec::new();
            for part in parts {
                match resource.claim(ctx, part)? {
                    // Another worker had it, and stored some of it (its
                    // own window may cover only a part): take that, fetch
                    // the rest.
                    Claim::Mine if waited => {
                        let rest = resource.narrow(ctx, part)?;
                        resource.take_stored(ctx, part)?;
                        if rest.is_empty() {
                            stored += 1;
                        }
                        mine.extend(rest);
                    }
                    Claim::Mine => mine.push(part),
                    Claim::Stored => {
                        resource.take_stored(ctx, part)?;
                        stored += 1;
                    }
                    Claim::Busy => busy.push(part),
                }
            }
            if !mine.is_empty() {
                let claimed = mine.clone();
                if let Err(e) = self.fetch_parts(call, resource, Some(ctx), mine) {
                    // Parts stored are released already; the rest go back.
                    for part in claimed {
                        resource.release(ctx, part);
                    }
                    return Err(e);
                }
                wait = FIRST_WAIT;
            }
            parts = busy;
            waited = true;
        }
        Ok(stored)
    }

    /// Send the request of `part` and hand its answer to `resource`.
    fn fetch_part<R: Resource>(
        &self,
        call: &mut Call,
        resource: &mut R,
        ctx: Option<&StoreCtx<'_>>,
        part: Part,
    ) -> Result<()> {
        let request = resource.request(part);
        if resource.streams() {
            let mut read = |reader: &mut dyn Read| resource.absorb_stream(ctx, part, reader);
            self.send_streamed(call, &request, &mut read)
        } else {
            let body = self.send(call, &request)?;
            resource.absorb(ctx, part, body)
        }
    }

    /// [`send`](Self::send) authorized by `token` (a logout of that token).
    pub(crate) fn send_as(
        &self,
        call: &mut Call,
        request: &Request,
        token: &ApiToken,
    ) -> Result<Vec<u8>> {
        self.send_with(call, request, Some(token), None)
    }

    fn send_with(
        &self,
        call: &mut Call,
        request: &Request,
        token: Option<&ApiToken>,
        mut stream: Option<Stream<'_>>,
    ) -> Result<Vec<u8>> {
        self.refuse_offline(request)?;
        let mut retries = 0u32;
        let mut relogged = false;
        loop {
            self.within_deadline(call, request, Duration::ZERO)?;
            let (authorization, generation) = if let Some(token) = token {
                (Some(token.header_value()), 0)
            } else if request.auth {
                let (header, generation) = self.authorization(call)?;
                (Some(header), generation)
            } else {
                (None, 0)
            };
            let stream = stream.as_mut().map(|s| &mut **s as Stream<'_>);
            let outcome = self.exchange(call, request, authorization.as_deref(), stream);
            let retry_wait = match outcome {
                Err(Error::Transport(e)) => {
                    if !request.is_read() || retries >= self.retry.max_retries {
                        return Err(Error::Transport(e));
                    }
                    log::warn!("{} failed ({e}); retrying", request.template);
                    self.retry.backoff(retries)
                }
                Err(other) => return Err(other),
                Ok(response) => match response.status {
                    200..=299 => return Ok(response.body),
                    429 => {
                        let retry_after = response
                            .retry_after
                            .as_deref()
                            .and_then(|v| parse_retry_after(v, self.now()));
                        let wait = retry_after.unwrap_or_else(|| self.retry.backoff(retries));
                        // VRM's limit is the client's, not one thread's:
                        // every request of the client waits it out.
                        if let (Some(limiter), Some(asked)) = (&self.limiter, retry_after)
                            && asked <= self.retry.max_retry_after
                        {
                            let now = self.now();
                            let mut limiter =
                                limiter.lock().unwrap_or_else(PoisonError::into_inner);
                            limiter.pause(now, asked);
                            self.pause_shared(limiter.limit(), now, asked);
                        }
                        // A 429 says the request was not processed: a write
                        // may be sent again too.
                        if retries >= self.retry.max_retries || wait > self.retry.max_retry_after {
                            return Err(Error::RateLimited { retry_after });
                        }
                        log::warn!(
                            "{} rate limited; waiting {} ms",
                            request.template,
                            wait.as_millis()
                        );
                        wait
                    }
                    401 if request.auth
                        && token.is_none()
                        && self.auth.can_login()
                        && !relogged =>
                    {
                        relogged = true;
                        log::info!("{} answered 401; logging in again", request.template);
                        self.login_now(call, Some(generation))?;
                        continue;
                    }
                    401 => {
                        return Err(match api_error(request, response.status, &response.body) {
                            Error::Api(e) => Error::Unauthorized(e),
                            other => other,
                        });
                    }
                    500..=599 if request.is_read() && retries < self.retry.max_retries => {
                        log::warn!(
                            "{} answered {}; retrying",
                            request.template,
                            response.status
                        );
                        self.retry.backoff(retries)
                    }
                    status => return Err(api_error(request, status, &response.body)),
                },
            };
            retries += 1;
            self.within_deadline(call, request, retry_wait)?;
            self.clock.sleep(retry_wait);
        }
    }

    /// Fail the call if waiting `wait` more would take it past its deadline.
    fn within_deadline(&self, call: &Call, request: &Request, wait: Duration) -> Result<()> {
        let Some(started) = call.started else {
            return Ok(());
        };
        let spent = Duration::try_from(self.now() - started).unwrap_or(Duration::ZERO);
        if spent.saturating_add(wait) <= self.deadline {
            return Ok(());
        }
        Err(Error::Transport(TransportError::new(
            TransportKind::Timeout,
            format!(
                "{} {}: the call would take longer than its deadline of {} s \
                 (ClientBuilder::call_deadline)",
                request.method.as_str(),
                request.template,
                self.deadline.as_secs()
            ),
            None,
        )))
    }

    /// The rate budget this client shares with every worker of its store
    /// that uses the same credentials at the same host, if the store keeps
    /// one: the name and the limit as the store reads them.
    fn budget(&self, limit: RateLimit) -> Option<(&dyn Store, String, f64, f64)> {
        let store = self.store.as_deref()?;
        let name = format!("{} {}", self.base_url, self.auth.fingerprint());
        Some((
            store,
            name,
            f64::from(limit.usable()),
            limit.refill.as_secs_f64(),
        ))
    }

    /// Reserve a request of the shared budget at `now`; `None` when the
    /// store keeps none (or failed: then this client paces itself alone).
    fn reserve_shared(&self, limit: RateLimit, now: OffsetDateTime) -> Option<Duration> {
        let (store, name, capacity, refill) = self.budget(limit)?;
        let budget = Budget {
            name: &name,
            capacity,
            refill,
        };
        match store.reserve_request(&budget, unix_f64(now)) {
            Ok(wait) => wait,
            Err(e) => {
                log::warn!("shared rate budget: {e}; this client paces itself alone");
                None
            }
        }
    }

    /// Tell the shared budget that VRM asked for a pause of `wait` at `now`.
    fn pause_shared(&self, limit: RateLimit, now: OffsetDateTime, wait: Duration) {
        let Some((store, name, capacity, refill)) = self.budget(limit) else {
            return;
        };
        let budget = Budget {
            name: &name,
            capacity,
            refill,
        };
        let until = unix_f64(now) + wait.as_secs_f64().min(1e12);
        if let Err(e) = store.pause_requests(&budget, until) {
            log::warn!("shared rate budget: {e}");
        }
    }

    /// One HTTP exchange, after the rate limiter allows it; counted in
    /// `call` and in the client's counters.
    fn exchange(
        &self,
        call: &mut Call,
        request: &Request,
        authorization: Option<&str>,
        stream: Option<Stream<'_>>,
    ) -> Result<crate::transport::Response> {
        if let Some(limiter) = &self.limiter {
            let mut local = limiter.lock().unwrap_or_else(PoisonError::into_inner);
            let now = self.now();
            let wait = match self.reserve_shared(local.limit(), now) {
                Some(wait) => wait,
                None => local.reserve(now),
            };
            drop(local);
            if !wait.is_zero() {
                log::debug!("rate limiter: waiting {} ms", wait.as_millis());
                self.clock.sleep(wait);
            }
        }
        call.started.get_or_insert_with(|| self.now());
        call.requests = call.requests.saturating_add(1);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.transport.send(request, authorization, stream)
    }
}

/// Unix seconds of `t`, with the fraction.
fn unix_f64(t: OffsetDateTime) -> f64 {
    // i128 nanoseconds to f64: exact to the microsecond for any date near now.
    t.unix_timestamp_nanos() as f64 / 1e9
}
