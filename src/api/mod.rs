//! The endpoint families: one module each, with their parameter types.
//! Each builds its requests and reads its answers, and hands the call to
//! the engine; none knows a cache or HTTP.

pub mod access;
pub mod admin;
pub mod alarms;
pub mod attributes;
pub mod call;
pub mod dess;
pub mod fleet;
pub mod installations;
pub mod settings;
pub mod stats;
pub mod tags;
pub mod users;
pub mod widgets;

use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::decode::decode;
use crate::engine::{Call, Plain};
use crate::error::Result;
use crate::fetched::Fetched;
use crate::request::Request;
use crate::store::CacheKind;

/// How the store may keep a call's answer: its kind and site, or never.
pub(crate) type Keep = Option<(CacheKind, Option<u64>)>;

/// The cached answers a write makes stale: `(kind, site)`, every site of
/// the kind when the site is `None`.
pub(crate) type Stale<'a> = &'a [(CacheKind, Option<u64>)];

impl Client {
    /// One call of one request, its JSON answer read as `T`.
    pub(crate) fn call_json<T: DeserializeOwned>(
        &self,
        request: Request,
        keep: Keep,
    ) -> Result<Fetched<T>> {
        self.call_json_in(&mut Call::new(), request, keep)
    }

    /// [`call_json`](Self::call_json) as part of the larger call `call`.
    pub(crate) fn call_json_in<T: DeserializeOwned>(
        &self,
        call: &mut Call,
        request: Request,
        keep: Keep,
    ) -> Result<Fetched<T>> {
        self.engine().run(
            call,
            Plain::new(request, keep, |r, body| decode::<T>(r, body)),
        )
    }

    /// One write: never cached, sent again only after a 429 (the engine's
    /// rule for anything but a GET), refused offline with no request. Once
    /// VRM has accepted it, the cached answers in `stale` are dropped, so
    /// that the next read asks VRM (an alarm just added is in the next
    /// list).
    pub(crate) fn write_json<T: DeserializeOwned>(
        &self,
        request: Request,
        stale: Stale<'_>,
    ) -> Result<Fetched<T>> {
        let engine = self.engine();
        engine.refuse_offline(&request)?;
        let mut call = Call::new();
        // The scope is learnt before the write (it may cost `users/me`):
        // learnt after, its failure would report a write VRM has done as
        // failed.
        let ctx = if stale.is_empty() {
            None
        } else {
            engine.store_ctx(&mut call)?
        };
        let answer = engine.run(
            &mut call,
            Plain::new(request, None, |r, body| decode::<T>(r, body)),
        )?;
        if let Some(ctx) = ctx {
            match ctx.store.forget(ctx.scope, stale) {
                Ok(dropped) => log::debug!("write: dropped {dropped} stale cached answers"),
                Err(e) => log::warn!("could not drop the cached answers a write made stale: {e}"),
            }
        }
        Ok(answer)
    }
}
