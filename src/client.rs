//! `Client` and its builder: the public face of the [engine](crate::engine).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::auth::{ApiToken, Auth, Secret};
use crate::clock::{Clock, SystemClock};
use crate::engine::{Call, Engine};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::request::Request;
use crate::resilience::{RateLimit, RateLimiter, RetryPolicy};
use crate::store::{Cache, CacheMode, CachePolicy, Store};
use crate::transport::{Transport, TransportConfig};

/// The VRM API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://vrmapi.victronenergy.com/v2/";

/// The largest answer a client accepts by default: 64 MiB.
///
/// The largest answers VRM sends are data downloads (`data-download`,
/// base64 in JSON): a month of logged values of a large site runs to tens
/// of megabytes. A stats answer at its largest (31 days of 15-minute
/// buckets, every code of a big site, per instance) stays under ~20 MB.
/// Anything larger is not an answer worth holding on a small device.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The longest one whole call may take by default: 10 minutes.
///
/// One GET at worst with the other defaults: 4 attempts of up to 60 s
/// each, back-offs of up to 0.5 + 1 + 2 s, or `Retry-After` waits of up to
/// 60 s between them: about 7 minutes. A stats call over years of hours
/// makes dozens of requests, each well under a second when VRM is well.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(600);

/// How many requests of one call are in flight at once by default: 12.
///
/// Measured against a VRM-like server with 150 ms of latency (`cargo bench
/// --bench fleet`, figures in the README): a year of hours is 12 chunks, so
/// 12 fetch it in one round, and three years in three; 6 took half as long
/// again. VRM's limit (a burst of 200, then 3 a second) is shared by them
/// all through the one limiter, so more in flight never means more than VRM
/// allows.
pub const DEFAULT_PARALLEL_REQUESTS: usize = 12;

/// The environment variable that overrides the base URL when the builder
/// sets none.
pub const BASE_URL_ENV: &str = "VRM_API_URL";

/// A blocking VRM API client.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: share one between
/// threads. Build it with [`Client::builder`]. Every answer's
/// [`requests`](crate::Fetched::requests) counts that call's own requests,
/// however many threads share the client.
#[derive(Clone)]
pub struct Client {
    engine: Arc<Engine>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.engine.auth {
            Auth::None => "none",
            Auth::Token(_) => "token",
            Auth::Credentials { .. } => "credentials",
            Auth::Demo => "demo",
        };
        f.debug_struct("Client")
            .field("base_url", &self.engine.base_url)
            .field("auth", &auth)
            .field("retry", &self.engine.retry)
            .field("cache", &self.engine.cache)
            .field("cache_mode", &self.engine.mode)
            .finish_non_exhaustive()
    }
}

/// Counters of what a client did since it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Counters {
    /// HTTP requests sent (logins and retries included).
    pub requests: u64,
    /// Answers served from the cache (stale copies included).
    pub hits: u64,
    /// Answers the cache could not give in full, so VRM was asked (or, in
    /// offline mode, an error was returned).
    pub misses: u64,
}

impl Client {
    /// A builder with the defaults: base URL from `VRM_API_URL` or VRM's,
    /// no credentials, 10 s connect and 60 s overall timeouts, VRM's rate
    /// limit, 3 retries.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to (always ends with `/`).
    pub fn base_url(&self) -> &str {
        &self.engine.base_url
    }

    /// What this client has done so far.
    pub fn counters(&self) -> Counters {
        Counters {
            requests: self.engine.requests.load(Ordering::Relaxed),
            hits: self.engine.hits.load(Ordering::Relaxed),
            misses: self.engine.misses.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The cache this client reads and fills, if any.
    pub fn cache(&self) -> Option<&Cache> {
        self.engine.cache.as_ref()
    }

    /// Where answers may come from.
    pub fn cache_mode(&self) -> CacheMode {
        self.engine.mode
    }

    /// The account whose data this client reads, once known (after a
    /// login, `users/me`, or the first answer from the cache). A client
    /// without credentials reads the one account the cache holds for its
    /// host (or the one given with [`ClientBuilder::account`]).
    pub fn account(&self) -> Option<UserId> {
        self.engine.session().user_id
    }

    /// Log in now (username + password, or the demo account) and return the
    /// user id. The client also logs in by itself on first use.
    ///
    /// `POST /auth/login` or `GET /auth/loginAsDemo`. Never cached; refused
    /// offline.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for refused credentials,
    /// [`Error::TwoFactorRequired`] when the account needs an SMS code,
    /// [`Error::InvalidInput`] when the client holds a token instead,
    /// [`Error::NotCached`] offline.
    pub fn login(&self) -> Result<UserId> {
        if !self.engine.auth.can_login() {
            return Err(Error::invalid(
                "login needs a username and password or the demo account; this client uses a token",
            ));
        }
        let mut call = Call::new();
        // Log in anew even when a token is held: the caller asked for it.
        let generation = self.engine.session().generation;
        self.engine.login_now(&mut call, Some(generation))?;
        self.engine.user_id(&mut call)
    }

    /// End the bearer token at VRM and forget it: `POST /auth/logout` as
    /// the doc says, then `GET /auth/logout` (the OpenAPI files' method)
    /// only when the server answers the POST 404 or 405. A later call logs
    /// in again. With a personal token this ends nothing and makes no
    /// request.
    ///
    /// # Errors
    /// Transport and API errors of the logout call; [`Error::NotCached`]
    /// offline.
    pub fn logout(&self) -> Result<()> {
        let token = match &self.engine.auth {
            Auth::Token(token) if token.kind() == crate::auth::TokenKind::Bearer => token.clone(),
            Auth::Token(_) | Auth::None => return Ok(()),
            Auth::Credentials { .. } | Auth::Demo => match self.engine.session().bearer.clone() {
                Some(token) => token,
                None => return Ok(()),
            },
        };
        let request = Request::post("auth/logout", "auth/logout".into(), b"{}".to_vec());
        let mut call = Call::new();
        match self.engine.send_as(&mut call, &request, &token) {
            Err(Error::Api(e)) if matches!(e.status, 404 | 405) => {
                let get = Request::get("auth/logout", "auth/logout".into());
                self.engine.send_as(&mut call, &get, &token)?;
            }
            other => {
                other?;
            }
        }
        let mut session = self.engine.session();
        session.bearer = None;
        if self.engine.auth.can_login() {
            session.user_id = None;
        }
        Ok(())
    }
}

/// Builds a [`Client`]. Every setter states its default.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: Option<String>,
    auth: Auth,
    sms_token: Option<Secret>,
    connect_timeout: Duration,
    timeout: Duration,
    call_deadline: Duration,
    max_body_bytes: u64,
    parallel_requests: usize,
    rate_limit: Option<RateLimit>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    cache: Option<Cache>,
    cache_mode: CacheMode,
    cache_policy: CachePolicy,
    account: Option<UserId>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: None,
            auth: Auth::None,
            sms_token: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            call_deadline: DEFAULT_CALL_DEADLINE,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            parallel_requests: DEFAULT_PARALLEL_REQUESTS,
            rate_limit: Some(RateLimit::VRM),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            cache: None,
            cache_mode: CacheMode::default(),
            cache_policy: CachePolicy::default(),
            account: None,
        }
    }
}

impl ClientBuilder {
    /// The API's base URL. Default: the `VRM_API_URL` environment variable,
    /// else [`DEFAULT_BASE_URL`]. Credentials are refused over `http://`
    /// unless the host is loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Authenticate with a token (personal access token, the way Victron
    /// recommends, or a bearer token from an earlier login). Default: none.
    pub fn token(mut self, token: ApiToken) -> Self {
        self.auth = Auth::Token(token);
        self
    }

    /// Authenticate with a personal access token (`X-Authorization: Token …`).
    pub fn personal_token(self, token: impl Into<String>) -> Self {
        self.token(ApiToken::personal(token))
    }

    /// Authenticate with username and password; the client logs in on first
    /// use and once more when the token expires. Victron deprecated bearer
    /// logins in 2026: prefer a personal access token.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Auth::Credentials {
            username: username.into(),
            password: Secret::new(password),
            sms_token: None,
        };
        self
    }

    /// The two-factor code VRM sent by SMS, with [`credentials`](Self::credentials).
    /// Default: none.
    pub fn sms_token(mut self, code: impl Into<String>) -> Self {
        self.sms_token = Some(Secret::new(code));
        self
    }

    /// Use VRM's demo account (`GET /auth/loginAsDemo`, user 22).
    pub fn demo(mut self) -> Self {
        self.auth = Auth::Demo;
        self
    }

    /// Longest wait to connect. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest time for one whole request, body included. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest one whole call may take: every attempt, back-off and
    /// `Retry-After` wait of it, and every request of a long stats window.
    /// A call that would pass it fails with a timeout
    /// ([`Error::is_timeout`]). Default [`DEFAULT_CALL_DEADLINE`] (10 min).
    pub fn call_deadline(mut self, deadline: Duration) -> Self {
        self.call_deadline = deadline;
        self
    }

    /// Largest answer accepted; a larger one is [`Error::TooLarge`].
    /// Default [`DEFAULT_MAX_BODY_BYTES`] (64 MiB).
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// How many requests of one call may be in flight at once: the chunks
    /// of a long stats window are fetched on that many threads, through the
    /// one rate limiter, and taken in as each arrives. 1 fetches them one
    /// after another. Default [`DEFAULT_PARALLEL_REQUESTS`]; values below 1
    /// count as 1.
    pub fn parallel_requests(mut self, requests: usize) -> Self {
        self.parallel_requests = requests.max(1);
        self
    }

    /// The client-side rate limit; `None` turns it off.
    /// Default [`RateLimit::VRM`].
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// How failures are retried. Default [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Retries of a failed GET (5xx, 429, transport). Default 3.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// Longest `Retry-After` waited out by the client. Default 60 s.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.retry.max_retry_after = wait;
        self
    }

    /// The clock for waits and timestamps. Default [`SystemClock`]; tests
    /// use [`ManualClock`](crate::ManualClock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Read and fill `cache` on every GET (see the README's "The cache").
    /// Default: no cache.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder()
    ///     .demo()
    ///     .cache(vrm::Cache::open_default()?)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Where answers may come from. Default [`CacheMode::PreferCache`].
    pub fn cache_mode(mut self, mode: CacheMode) -> Self {
        self.cache_mode = mode;
        self
    }

    /// Freshness limits, settle margin, diagnostics retention.
    /// Default [`CachePolicy::default`].
    pub fn cache_policy(mut self, policy: CachePolicy) -> Self {
        self.cache_policy = policy;
        self
    }

    /// The account to read from the cache when the client has no
    /// credentials (offline use of a cache that several accounts filled).
    /// Default: the only account the cache holds for the base URL. With
    /// credentials, the account is the one they belong to.
    pub fn account(mut self, id: UserId) -> Self {
        self.account = Some(id);
        self
    }

    /// Build the client. Makes no request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a base URL that is not `http(s)://…`,
    /// credentials over plain `http://` to a host that is not loopback, or
    /// an SMS code without username and password.
    pub fn build(self) -> Result<Client> {
        let from_env = std::env::var(BASE_URL_ENV).ok().filter(|v| !v.is_empty());
        let mut base_url = self
            .base_url
            .or(from_env)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let mut auth = self.auth;
        if let Some(code) = self.sms_token {
            match &mut auth {
                Auth::Credentials { sms_token, .. } => *sms_token = Some(code),
                _ => {
                    return Err(Error::invalid(
                        "an sms token needs a username and password (credentials)",
                    ));
                }
            }
        }
        check_base_url(&base_url, !auth.is_none())?;
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        let transport = Transport::new(&TransportConfig {
            base_url: base_url.clone(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
        });
        let store: Option<Arc<dyn Store>> = self.cache.as_ref().map(Cache::store);
        Ok(Client {
            engine: Arc::new(Engine {
                transport,
                base_url,
                auth,
                session: Mutex::default(),
                login_lock: Mutex::new(()),
                limiter: self.rate_limit.map(|l| Mutex::new(RateLimiter::new(l))),
                retry: self.retry,
                deadline: self.call_deadline,
                parallel: self.parallel_requests,
                clock: self.clock,
                store,
                cache: self.cache,
                mode: self.cache_mode,
                policy: self.cache_policy,
                account: self.account,
                requests: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        })
    }
}

/// Accept `https://…`, or `http://…` without credentials or to loopback.
fn check_base_url(url: &str, has_credentials: bool) -> Result<()> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        Error::invalid(format!(
            "base url {url:?}: expected http:// or https:// followed by a host"
        ))
    })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err(Error::invalid(format!(
            "base url {url:?}: expected http:// or https:// followed by a host"
        )));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if !has_credentials || is_loopback(host) => Ok(()),
        "http" => Err(Error::invalid(format!(
            "base url {url:?}: credentials are only sent over https (or http to a loopback host)"
        ))),
        _ => Err(Error::invalid(format!(
            "base url {url:?}: expected http:// or https://"
        ))),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn client_is_send_sync_and_clone() {
        assert_send_sync::<Client>();
    }

    #[test]
    fn base_url_rules() {
        assert!(check_base_url("https://vrmapi.victronenergy.com/v2/", true).is_ok());
        assert!(check_base_url("http://127.0.0.1:1234", true).is_ok());
        assert!(check_base_url("http://localhost:1234/v2", true).is_ok());
        assert!(check_base_url("http://[::1]:99/", true).is_ok());
        assert!(check_base_url("http://example.com/", false).is_ok());
        let e = check_base_url("http://example.com/v2", true).unwrap_err();
        assert!(e.to_string().contains("http://example.com/v2"), "{e}");
        assert!(check_base_url("http://127.0.0.1.evil.com/", true).is_err());
        assert!(check_base_url("ftp://x", false).is_err());
        assert!(check_base_url("vrmapi.victronenergy.com", false).is_err());
    }

    #[test]
    fn debug_hides_credentials() {
        let client = Client::builder()
            .base_url("https://example.com/")
            .credentials("someone@example.com", "hunter2-secret")
            .sms_token("987654")
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("987654"),
            "{shown}"
        );
    }
}
