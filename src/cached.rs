//! The cache in front of the network: every cacheable GET of a client goes
//! through [`Client::get`], which answers from the cache, asks VRM, or
//! falls back to a stale copy, as the mode and freshness limits say.

use std::sync::atomic::Ordering;

use crate::cache::{Cache, CacheKind, CacheMode, CachePolicy, DiagnosticChange};
use crate::client::{Client, decode};
use crate::error::{Error, Result};
use crate::fetched::{Fetched, Source};
use crate::http::Request;
use crate::ids::{SiteId, UserId};
use crate::models::{DiagnosticRecord, MeResponse};
use crate::window::TimeWindow;

/// What a cached call needs: the cache, the caller's scope in it, and how to
/// use it.
pub(crate) struct CacheCtx<'a> {
    pub cache: &'a Cache,
    pub scope: i64,
    pub mode: CacheMode,
    pub policy: &'a CachePolicy,
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl Client {
    pub(crate) fn now_unix(&self) -> i64 {
        self.clock().now().unix_timestamp()
    }

    pub(crate) fn count_hit(&self) {
        self.inner().hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_miss(&self) {
        self.inner().misses.fetch_add(1, Ordering::Relaxed);
    }

    /// The cache and this client's scope in it; `None` without a cache.
    /// Learning the scope may cost a request the first time (a login or
    /// `users/me`), added to `requests`.
    pub(crate) fn cache_ctx(&self, requests: &mut u32) -> Result<Option<CacheCtx<'_>>> {
        let Some(cache) = self.cache() else {
            return Ok(None);
        };
        let mut me_body = None;
        let scope = match self.session_scope() {
            Some(scope) => scope,
            None => {
                let host = self.base_url();
                let fingerprint = self.auth().fingerprint();
                let user = match cache.identity(host, &fingerprint)? {
                    Some(user) => user,
                    None if self.cache_mode() == CacheMode::Offline => {
                        return Err(Error::NotCached(format!(
                            "the account of these credentials at {host} (no run has used them \
                             online with this cache yet)"
                        )));
                    }
                    None => {
                        let before = self.counters().requests;
                        let id = match self.known_user_id() {
                            Some(id) => id,
                            None if self.can_login() => self.login()?,
                            None => {
                                // A token: `users/me` names the account; its
                                // answer is kept, so `me()` needs no second call.
                                let request = Request::get("users/me", "users/me".into());
                                let (body, _) = self.fetch(&request)?;
                                let me = decode::<MeResponse>(&request, 200, &body)?;
                                self.remember_user_id(me.user.id);
                                me_body = Some(body);
                                me.user.id
                            }
                        };
                        let spent = self.counters().requests.saturating_sub(before);
                        *requests += u32::try_from(spent).unwrap_or(u32::MAX);
                        id.get()
                    }
                };
                let scope = cache.bind_scope(host, &fingerprint, user)?;
                self.set_session_scope(scope);
                if let Some(body) = me_body {
                    let now = self.now_unix();
                    if let Err(e) =
                        cache.put_response(scope, "users/me", CacheKind::User, None, now, &body)
                    {
                        log::warn!("could not cache users/me: {e}");
                    }
                }
                scope
            }
        };
        Ok(Some(CacheCtx {
            cache,
            scope,
            mode: self.cache_mode(),
            policy: &self.inner().cache_policy,
        }))
    }

    /// The user id the cache knows for these credentials, without a request.
    pub(crate) fn cached_user_id(&self) -> Result<Option<UserId>> {
        let Some(cache) = self.cache() else {
            return Ok(None);
        };
        Ok(cache
            .identity(self.base_url(), &self.auth().fingerprint())?
            .map(UserId))
    }

    /// Send a GET through the cache (when the client has one and the
    /// request may be cached), reading the body with `parse`.
    pub(crate) fn get<T>(
        &self,
        request: Request,
        parse: impl Fn(&Request, &[u8]) -> Result<T>,
    ) -> Result<Fetched<T>> {
        let mut requests = 0u32;
        let ctx = match request.cache {
            Some(_) => self.cache_ctx(&mut requests)?,
            None => None,
        };
        let (Some(ctx), Some((kind, site))) = (ctx, request.cache) else {
            let (body, n) = self.fetch(&request)?;
            let value = parse(&request, &body)?;
            return Ok(Fetched::new(value, Source::Network, n, self.clock().now()));
        };
        let key = request.target();
        let now = self.now_unix();
        let fresh_for = secs(ctx.policy.freshness_of(kind));
        let copy = match ctx.cache.response(ctx.scope, &key)? {
            Some((at, body)) => match parse(&request, &body) {
                Ok(value) => Some((at, value)),
                Err(e) => {
                    log::warn!("cached {key} is unreadable ({e}); asking vrm");
                    None
                }
            },
            None => None,
        };
        let at_time = |at: i64| {
            time::OffsetDateTime::from_unix_timestamp(at)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        };
        match (ctx.mode, copy) {
            (CacheMode::Offline, Some((at, value))) => {
                self.count_hit();
                let source = if now - at <= fresh_for {
                    Source::Cache
                } else {
                    Source::Stale
                };
                Ok(Fetched::new(value, source, requests, at_time(at)))
            }
            (CacheMode::Offline, None) => {
                self.count_miss();
                Err(Error::NotCached(key))
            }
            (CacheMode::PreferCache, Some((at, value))) if now - at <= fresh_for => {
                self.count_hit();
                Ok(Fetched::new(value, Source::Cache, requests, at_time(at)))
            }
            (_, copy) => {
                self.count_miss();
                let before = self.counters().requests;
                match self.fetch(&request) {
                    Ok((body, n)) => {
                        let value = parse(&request, &body)?;
                        if let Err(e) = ctx
                            .cache
                            .put_response(ctx.scope, &key, kind, site, now, &body)
                        {
                            log::warn!("could not cache {}: {e}", request.template);
                        }
                        Ok(Fetched::new(
                            value,
                            Source::Network,
                            requests + n,
                            self.clock().now(),
                        ))
                    }
                    Err(e) if e.is_network() && ctx.policy.is_stale_on_error() => match copy {
                        Some((at, value)) => {
                            log::warn!(
                                "{} failed ({e}); answering from the cache",
                                request.template
                            );
                            let spent = self.counters().requests.saturating_sub(before);
                            let n = u32::try_from(spent).unwrap_or(u32::MAX);
                            Ok(Fetched::new(
                                value,
                                Source::Stale,
                                requests + n,
                                at_time(at),
                            ))
                        }
                        None => Err(e),
                    },
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Add a fetched diagnostics snapshot to the cache's history.
    pub(crate) fn record_diagnostics(
        &self,
        site: SiteId,
        records: &[DiagnosticRecord],
    ) -> Result<()> {
        let mut requests = 0;
        let Some(ctx) = self.cache_ctx(&mut requests)? else {
            return Ok(());
        };
        let retention = secs(ctx.policy.diagnostics_retention_of());
        ctx.cache
            .record_diagnostics(ctx.scope, site.get(), records, self.now_unix(), retention)
            .map(drop)
    }

    /// The cache and scope for a history query, or the error that says a
    /// cache is needed.
    pub(crate) fn history_ctx(&self) -> Result<CacheCtx<'_>> {
        let mut requests = 0;
        self.cache_ctx(&mut requests)?.ok_or_else(|| {
            Error::invalid("diagnostics history lives in the cache: build the client with a cache")
        })
    }
}

impl crate::api::installations::Site<'_> {
    /// Every diagnostics value that changed in `window`, from the history
    /// the cache kept of earlier [`diagnostics`](Self::diagnostics) calls
    /// (a row per change, within the retention limit). Makes no request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a client without a cache; cache errors.
    pub fn diagnostics_history(&self, window: TimeWindow) -> Result<Vec<DiagnosticChange>> {
        let ctx = self.client().history_ctx()?;
        ctx.cache
            .diagnostics_history(ctx.scope, self.id().get(), (window.start(), window.end()))
    }

    /// The value every attribute had at `at`, from the cached history.
    /// Makes no request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a client without a cache; cache errors.
    pub fn diagnostics_at(&self, at: time::OffsetDateTime) -> Result<Vec<DiagnosticChange>> {
        let ctx = self.client().history_ctx()?;
        ctx.cache
            .diagnostics_at(ctx.scope, self.id().get(), at.unix_timestamp())
    }
}
