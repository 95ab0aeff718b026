//! `Client`, its builder, and the one place every request goes through.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::auth::{ApiToken, Auth, Secret};
use crate::cache::{Cache, CacheMode, CachePolicy};
use crate::clock::{Clock, SystemClock};
use crate::error::{ApiError, DecodeError, Error, Result, snippet};
use crate::fetched::{Fetched, Source};
use crate::http::{Http, HttpConfig, Request, Response};
use crate::ids::UserId;
use crate::models::{ApiErrorBody, LoginResponse};
use crate::resilience::{RateLimit, RateLimiter, RetryPolicy, parse_retry_after};

/// The VRM API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://vrmapi.victronenergy.com/v2/";

/// The environment variable that overrides the base URL when the builder
/// sets none.
pub const BASE_URL_ENV: &str = "VRM_API_URL";

/// A blocking VRM API client.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: share one between
/// threads. Build it with [`Client::builder`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: Http,
    base_url: String,
    auth: Auth,
    session: Mutex<Session>,
    /// Held while logging in, so that threads that all find the token
    /// expired log in once.
    login_lock: Mutex<()>,
    limiter: Option<Mutex<RateLimiter>>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    requests: AtomicU64,
    pub(crate) cache: Option<Cache>,
    pub(crate) cache_mode: CacheMode,
    pub(crate) cache_policy: CachePolicy,
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
}

#[derive(Default)]
struct Session {
    bearer: Option<ApiToken>,
    /// Bumped on every login, so a 401 for an old token does not throw
    /// away a newer one.
    generation: u64,
    user_id: Option<UserId>,
    /// The cache scope (host + account) once known.
    pub(crate) scope: Option<i64>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.inner.auth {
            Auth::None => "none",
            Auth::Token(_) => "token",
            Auth::Credentials { .. } => "credentials",
            Auth::Demo => "demo",
        };
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("auth", &auth)
            .field("retry", &self.inner.retry)
            .field("cache", &self.inner.cache)
            .field("cache_mode", &self.inner.cache_mode)
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
        &self.inner.base_url
    }

    /// What this client has done so far.
    pub fn counters(&self) -> Counters {
        Counters {
            requests: self.inner.requests.load(Ordering::Relaxed),
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The cache this client reads and fills, if any.
    pub fn cache(&self) -> Option<&Cache> {
        self.inner.cache.as_ref()
    }

    /// Where answers may come from.
    pub fn cache_mode(&self) -> CacheMode {
        self.inner.cache_mode
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub(crate) fn session_scope(&self) -> Option<i64> {
        self.session().scope
    }

    pub(crate) fn set_session_scope(&self, scope: i64) {
        self.session().scope = Some(scope);
    }

    /// Log in now (username + password, or the demo account) and return the
    /// user id. The client also logs in by itself on first use.
    ///
    /// `POST /auth/login` or `GET /auth/loginAsDemo`. Never cached.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for refused credentials,
    /// [`Error::TwoFactorRequired`] when the account needs an SMS code,
    /// [`Error::InvalidInput`] when the client holds a token instead.
    pub fn login(&self) -> Result<UserId> {
        if !self.inner.auth.can_login() {
            return Err(Error::invalid(
                "login needs a username and password or the demo account; this client uses a token",
            ));
        }
        let mut requests = 0;
        self.login_now(None, &mut requests)?;
        self.session()
            .user_id
            .ok_or_else(|| Error::invalid("vrm's login answer named no user id"))
    }

    /// End the bearer token at VRM (`POST /auth/logout`) and forget it.
    /// A later call logs in again. With a personal token this ends nothing
    /// and makes no request.
    ///
    /// # Errors
    /// Transport and API errors of the logout call.
    pub fn logout(&self) -> Result<()> {
        if !self.inner.auth.can_login() && !self.holds_bearer_token() {
            return Ok(());
        }
        let Some(token) = self.session().bearer.clone() else {
            return Ok(());
        };
        let request = Request::post("auth/logout", "auth/logout".into(), b"{}".to_vec());
        let response = self.send_counted(&request, Some(&token.header_value()))?;
        {
            let mut session = self.session();
            session.bearer = None;
            session.user_id = None;
        }
        if !(200..300).contains(&response.status) {
            return Err(api_error(&request, &response));
        }
        Ok(())
    }

    /// True when the client can log in by itself (credentials or demo).
    pub(crate) fn can_login(&self) -> bool {
        self.inner.auth.can_login()
    }

    fn holds_bearer_token(&self) -> bool {
        matches!(&self.inner.auth, Auth::Token(t) if t.kind() == crate::auth::TokenKind::Bearer)
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.inner
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The user id learnt from the login, if any.
    pub(crate) fn known_user_id(&self) -> Option<UserId> {
        self.session().user_id
    }

    pub(crate) fn remember_user_id(&self, id: UserId) {
        self.session().user_id = Some(id);
    }

    /// Send `request` and decode its answer as `T`.
    ///
    /// The one chokepoint of every endpoint method: the cache will sit here.
    pub(crate) fn execute<T: DeserializeOwned>(&self, request: Request) -> Result<Fetched<T>> {
        self.get(request, |request, body| decode::<T>(request, 200, body))
    }

    /// Like [`execute`](Self::execute), never through the cache.
    pub(crate) fn execute_network<T: DeserializeOwned>(
        &self,
        request: &Request,
    ) -> Result<Fetched<T>> {
        let (body, requests) = self.fetch(request)?;
        let value = decode::<T>(request, 200, &body)?;
        Ok(Fetched::new(
            value,
            Source::Network,
            requests,
            self.inner.clock.now(),
        ))
    }

    /// Send `request` with auth, rate limiting, retries and re-login;
    /// return the body of its 2xx answer and the requests it took.
    pub(crate) fn fetch(&self, request: &Request) -> Result<(Vec<u8>, u32)> {
        let mut requests = 0u32;
        let mut retries = 0u32;
        let mut relogged = false;
        loop {
            let (authorization, generation) = if request.auth {
                let (header, generation) = self.authorization(&mut requests)?;
                (Some(header), generation)
            } else {
                (None, 0)
            };
            requests += 1;
            let outcome = self.send_counted(request, authorization.as_deref());
            let retry_wait = match outcome {
                Err(Error::Transport(e)) => {
                    if !request.is_idempotent() || retries >= self.inner.retry.max_retries {
                        return Err(Error::Transport(e));
                    }
                    log::warn!("{} failed ({e}); retrying", request.template);
                    self.inner.retry.backoff(retries)
                }
                Err(other) => return Err(other),
                Ok(response) => match response.status {
                    200..=299 => return Ok((response.body, requests)),
                    429 => {
                        let retry_after = response
                            .retry_after
                            .as_deref()
                            .and_then(|v| parse_retry_after(v, self.inner.clock.now()));
                        let wait = retry_after.unwrap_or_else(|| self.inner.retry.backoff(retries));
                        if !request.is_idempotent()
                            || retries >= self.inner.retry.max_retries
                            || wait > self.inner.retry.max_retry_after
                        {
                            return Err(Error::RateLimited { retry_after });
                        }
                        log::warn!(
                            "{} rate limited; waiting {} ms",
                            request.template,
                            wait.as_millis()
                        );
                        wait
                    }
                    401 if request.auth && self.inner.auth.can_login() && !relogged => {
                        relogged = true;
                        log::info!("{} answered 401; logging in again", request.template);
                        self.login_now(Some(generation), &mut requests)?;
                        continue;
                    }
                    401 => {
                        let Error::Api(e) = api_error(request, &response) else {
                            return Err(api_error(request, &response));
                        };
                        return Err(Error::Unauthorized(e));
                    }
                    500..=599
                        if request.is_idempotent() && retries < self.inner.retry.max_retries =>
                    {
                        log::warn!(
                            "{} answered {}; retrying",
                            request.template,
                            response.status
                        );
                        self.inner.retry.backoff(retries)
                    }
                    _ => return Err(api_error(request, &response)),
                },
            };
            retries += 1;
            self.inner.clock.sleep(retry_wait);
        }
    }

    /// One HTTP exchange, after the rate limiter allows it.
    fn send_counted(&self, request: &Request, authorization: Option<&str>) -> Result<Response> {
        if let Some(limiter) = &self.inner.limiter {
            let wait = limiter
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .reserve(self.inner.clock.now());
            if !wait.is_zero() {
                log::debug!("rate limiter: waiting {} ms", wait.as_millis());
                self.inner.clock.sleep(wait);
            }
        }
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.http.send(request, authorization)
    }

    /// The `X-Authorization` value, logging in first when needed; with the
    /// session generation it belongs to.
    fn authorization(&self, requests: &mut u32) -> Result<(String, u64)> {
        match &self.inner.auth {
            Auth::None => Err(Error::invalid(
                "no credentials: give the client a token, a username and password, or the demo account",
            )),
            Auth::Token(token) => Ok((token.header_value(), 0)),
            Auth::Credentials { .. } | Auth::Demo => {
                {
                    let session = self.session();
                    if let Some(token) = &session.bearer {
                        return Ok((token.header_value(), session.generation));
                    }
                }
                self.login_now(None, requests)?;
                let session = self.session();
                match &session.bearer {
                    Some(token) => Ok((token.header_value(), session.generation)),
                    None => Err(Error::invalid("vrm's login answer held no token")),
                }
            }
        }
    }

    /// Log in unless another thread already did since `stale_generation`.
    fn login_now(&self, stale_generation: Option<u64>, requests: &mut u32) -> Result<()> {
        let _guard = self
            .inner
            .login_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(stale) = stale_generation {
            let session = self.session();
            if session.bearer.is_some() && session.generation != stale {
                return Ok(());
            }
        }
        let request = match &self.inner.auth {
            Auth::Credentials {
                username,
                password,
                sms_token,
            } => {
                let mut body = serde_json::Map::new();
                body.insert("username".into(), username.clone().into());
                body.insert("password".into(), password.expose().into());
                if let Some(code) = sms_token {
                    body.insert("sms_token".into(), code.expose().into());
                }
                let bytes = serde_json::to_vec(&body)
                    .map_err(|_| Error::invalid("could not encode the login request"))?;
                Request::post("auth/login", "auth/login".into(), bytes)
            }
            Auth::Demo => Request::get("auth/loginAsDemo", "auth/loginAsDemo".into()),
            Auth::None | Auth::Token(_) => return Ok(()),
        }
        .without_auth()
        .with_secret_answer();
        let (body, cost) = self.fetch(&request).map_err(|e| match e {
            Error::Api(api) if api.status == 401 || api.status == 403 => Error::Unauthorized(api),
            other => other,
        })?;
        *requests += cost;
        let answer = decode::<LoginResponse>(&request, 200, &body)?;
        let Some(token) = answer.token else {
            return Err(Error::TwoFactorRequired {
                verification_mode: answer.verification_mode,
                verification_sent: answer.verification_sent.unwrap_or(false),
            });
        };
        let mut session = self.session();
        session.bearer = Some(ApiToken::bearer(token));
        session.generation += 1;
        if let Some(id) = answer.id_user {
            session.user_id = Some(id);
        }
        log::info!("logged in to vrm");
        Ok(())
    }
}

/// Decode a 2xx body as `T`; a `success: false` body becomes an API error,
/// anything else unreadable a decode error quoting the body's start.
pub(crate) fn decode<T: DeserializeOwned>(
    request: &Request,
    status: u16,
    body: &[u8],
) -> Result<T> {
    match serde_json::from_slice::<T>(body) {
        Ok(value) => Ok(value),
        Err(source) => {
            if let Ok(err) = serde_json::from_slice::<ApiErrorBody>(body)
                && err.success == Some(false)
            {
                return Err(Error::Api(Box::new(ApiError {
                    status,
                    endpoint: request.template,
                    error_code: err.error_code,
                    errors: err.errors,
                })));
            }
            Err(Error::Decode(Box::new(DecodeError {
                endpoint: request.template,
                status,
                snippet: if request.secret_answer {
                    "<redacted>".to_owned()
                } else {
                    snippet(body)
                },
                source: Some(source),
            })))
        }
    }
}

/// The error for a non-2xx answer, keeping VRM's `error_code` and `errors`.
fn api_error(request: &Request, response: &Response) -> Error {
    let (error_code, errors) = match serde_json::from_slice::<ApiErrorBody>(&response.body) {
        Ok(body) => (body.error_code, body.errors),
        Err(_) if request.secret_answer => (None, Vec::new()),
        Err(_) => (
            None,
            vec![format!("body starts: {}", snippet(&response.body))],
        ),
    };
    Error::Api(Box::new(ApiError {
        status: response.status,
        endpoint: request.template,
        error_code,
        errors,
    }))
}

/// Builds a [`Client`]. Every setter states its default.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: Option<String>,
    auth: Auth,
    sms_token: Option<Secret>,
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: u64,
    rate_limit: Option<RateLimit>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    cache: Option<Cache>,
    cache_mode: CacheMode,
    cache_policy: CachePolicy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: None,
            auth: Auth::None,
            sms_token: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            max_body_bytes: 256 * 1024 * 1024,
            rate_limit: Some(RateLimit::VRM),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            cache: None,
            cache_mode: CacheMode::default(),
            cache_policy: CachePolicy::default(),
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

    /// Largest body accepted. Default 256 MiB.
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
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
        let http = Http::new(&HttpConfig {
            base_url: base_url.clone(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
        });
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth,
                session: Mutex::new(Session::default()),
                login_lock: Mutex::new(()),
                limiter: self.rate_limit.map(|l| Mutex::new(RateLimiter::new(l))),
                retry: self.retry,
                clock: self.clock,
                requests: AtomicU64::new(0),
                cache: self.cache,
                cache_mode: self.cache_mode,
                cache_policy: self.cache_policy,
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
