//! The endpoint families: one module each, with their parameter types.
//! Each builds its requests and reads its answers, and hands the call to
//! the engine; none knows a cache or HTTP.

pub mod installations;
pub mod stats;
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
}
