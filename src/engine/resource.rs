//! What a call is, as the engine sees it: the parts it asks for, how the
//! store holds them, how an answer is taken in and read back.

use crate::error::Result;
use crate::request::Request;
use crate::store::{CacheKind, Claim};

use super::StoreCtx;

/// A part of a call: a window `[start, end)` in unix seconds for stats,
/// `(0, 0)` for a call that is one request.
pub(crate) type Part = (i64, i64);

/// What the store holds of a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Holding {
    /// The parts to fetch: not stored, or no longer fresh.
    pub(crate) missing: Vec<Part>,
    /// The parts not stored at all (what offline mode cannot answer).
    pub(crate) absent: Vec<Part>,
}

/// One call, described for [`Engine::run`](super::Engine::run).
pub(crate) trait Resource {
    /// What the call answers.
    type Answer;

    /// Whether the store may answer and keep this call.
    fn is_cached(&self) -> bool;

    /// The whole of the call.
    fn whole(&self) -> Part;

    /// `part` cut into what one request may ask for.
    fn split(&self, part: Part) -> Vec<Part> {
        vec![part]
    }

    /// Told how many requests the engine is about to send (for progress).
    fn planned(&mut self, _requests: usize) {}

    /// What the store holds (and, from here on, the held copy).
    fn lookup(&mut self, ctx: &StoreCtx<'_>) -> Result<Holding>;

    /// The request for one part.
    fn request(&self, part: Part) -> Request;

    /// Take in the answer to `part` and keep it in the store (when there
    /// is one). A store that cannot keep it is logged, never fatal: the
    /// network's answer is the answer.
    fn absorb(&mut self, ctx: Option<&StoreCtx<'_>>, part: Part, body: Vec<u8>) -> Result<()>;

    /// Whether answers are read as they arrive ([`absorb_stream`](Self::absorb_stream))
    /// rather than whole: for big answers kept as decoded data, not as bytes.
    fn streams(&self) -> bool {
        false
    }

    /// Take in the answer to `part` from `reader`, as it arrives.
    fn absorb_stream(
        &mut self,
        ctx: Option<&StoreCtx<'_>>,
        part: Part,
        reader: &mut dyn std::io::Read,
    ) -> Result<()> {
        let mut body = Vec::new();
        reader.read_to_end(&mut body).map_err(|e| {
            crate::error::Error::Transport(crate::error::TransportError::new(
                crate::error::TransportKind::Connect,
                format!("reading the answer: {e}"),
                None,
            ))
        })?;
        self.absorb(ctx, part, body)
    }

    /// Claim `part` before fetching it, for workers that share the store
    /// (see [`Store::claim_stats`](crate::store::Store::claim_stats)).
    /// Default: the part is this call's.
    fn claim(&self, _ctx: &StoreCtx<'_>, _part: Part) -> Result<Claim> {
        Ok(Claim::Mine)
    }

    /// Give up the claim on `part` (its fetch failed); best effort.
    fn release(&self, _ctx: &StoreCtx<'_>, _part: Part) {}

    /// What of `part` is still to fetch once another worker's claim on it
    /// ended, cut into requests. Default: all of it.
    fn narrow(&self, _ctx: &StoreCtx<'_>, part: Part) -> Result<Vec<Part>> {
        Ok(vec![part])
    }

    /// Take in `part` from the store, where another worker put it.
    fn take_stored(&mut self, _ctx: &StoreCtx<'_>, _part: Part) -> Result<()> {
        Ok(())
    }

    /// One more part to fetch once the planned ones are in, if any.
    fn follow_up(&mut self) -> Option<Part> {
        None
    }

    /// Names what offline mode lacks, for [`Error::NotCached`](crate::Error::NotCached).
    fn describe(&self, absent: &[Part]) -> String;

    /// The answer, and when its oldest data was fetched (unix s) when it
    /// came from the store.
    fn answer(self) -> Result<(Self::Answer, Option<i64>)>;
}

/// A hook run with each answer fetched from VRM.
type OnFetch<T> = Box<dyn Fn(&StoreCtx<'_>, &T) -> Result<()>>;

/// A call that is one request: cached as the exact answer to its request
/// (when a kind is given), or never stored.
pub(crate) struct Plain<T, P> {
    request: Request,
    cache: Option<(CacheKind, Option<u64>)>,
    parse: P,
    value: Option<(T, Option<i64>)>,
    /// Called with each answer fetched from VRM (diagnostics history).
    on_fetch: Option<OnFetch<T>>,
}

impl<T, P: Fn(&Request, &[u8]) -> Result<T>> Plain<T, P> {
    /// `request`, read with `parse`, kept as `kind` of `site` when given.
    pub(crate) fn new(request: Request, cache: Option<(CacheKind, Option<u64>)>, parse: P) -> Self {
        Plain {
            request,
            cache,
            parse,
            value: None,
            on_fetch: None,
        }
    }

    /// Also run `hook` with each answer fetched from VRM.
    pub(crate) fn on_fetch(
        mut self,
        hook: impl Fn(&StoreCtx<'_>, &T) -> Result<()> + 'static,
    ) -> Self {
        self.on_fetch = Some(Box::new(hook));
        self
    }
}

impl<T, P: Fn(&Request, &[u8]) -> Result<T>> Resource for Plain<T, P> {
    type Answer = T;

    fn is_cached(&self) -> bool {
        self.cache.is_some()
    }

    fn whole(&self) -> Part {
        (0, 0)
    }

    fn lookup(&mut self, ctx: &StoreCtx<'_>) -> Result<Holding> {
        let Some((kind, _)) = self.cache else {
            return Ok(Holding {
                missing: vec![self.whole()],
                absent: vec![self.whole()],
            });
        };
        let key = self.request.target();
        let copy = match ctx.store.response(ctx.scope, &key)? {
            Some((at, body)) => match (self.parse)(&self.request, &body) {
                Ok(value) => Some((value, at)),
                Err(e) => {
                    log::warn!(
                        "cached {} is unreadable ({e}); asking vrm",
                        self.request.template
                    );
                    None
                }
            },
            None => None,
        };
        let fresh_for = crate::store::secs(ctx.policy.freshness_of(kind));
        let holding = match &copy {
            None => Holding {
                missing: vec![self.whole()],
                absent: vec![self.whole()],
            },
            Some((_, at)) if ctx.now.saturating_sub(*at) <= fresh_for => Holding::default(),
            Some(_) => Holding {
                missing: vec![self.whole()],
                absent: Vec::new(),
            },
        };
        self.value = copy.map(|(value, at)| (value, Some(at)));
        Ok(holding)
    }

    fn request(&self, _part: Part) -> Request {
        self.request.clone()
    }

    fn absorb(&mut self, ctx: Option<&StoreCtx<'_>>, _part: Part, body: Vec<u8>) -> Result<()> {
        let value = (self.parse)(&self.request, &body)?;
        if let (Some(ctx), Some((kind, site))) = (ctx, self.cache) {
            let key = self.request.target();
            if let Err(e) = ctx
                .store
                .put_response(ctx.scope, &key, kind, site, ctx.now, &body)
            {
                log::warn!("could not cache {}: {e}", self.request.template);
            }
            if let Some(hook) = &self.on_fetch
                && let Err(e) = hook(ctx, &value)
            {
                log::warn!("could not keep {} in the cache: {e}", self.request.template);
            }
        }
        self.value = Some((value, None));
        Ok(())
    }

    fn describe(&self, _absent: &[Part]) -> String {
        self.request.target()
    }

    fn answer(self) -> Result<(T, Option<i64>)> {
        self.value.ok_or_else(|| {
            crate::error::Error::NotCached(format!("{} (no answer)", self.request.template))
        })
    }
}
