#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Nothing from the network, the cache file or the caller may panic the
// library: no unwrap, expect or panic outside tests (each `allow` says why).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented
    )
)]
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls, no system OpenSSL needed.

// The layers, top down: `api` builds calls, the `engine` runs them,
// `transport` sends requests and `store` keeps answers; `request`,
// `decode`, `models`, `window`, `error` and `clock` are shared below.
// Nothing imports a module above it.
pub mod api;
mod auth;
#[doc(hidden)]
pub mod bench_support;
pub mod catalog;
mod client;
pub mod clock;
mod decode;
mod engine;
mod error;
mod fetched;
mod ids;
pub mod models;
mod request;
mod resilience;
mod store;
mod transport;
mod window;

pub use api::installations::{DownloadData, DownloadFormat, Site};
pub use api::stats::{OverallStatsQuery, StatsKind, StatsQuery};
pub use api::users::{Revoke, UserApi};
pub use api::widgets::{GraphQuery, Widget, WidgetKind, WidgetQuery};
pub use auth::{ApiToken, TokenKind};
pub use client::{
    BASE_URL_ENV, Client, ClientBuilder, Counters, DEFAULT_BASE_URL, DEFAULT_CALL_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ApiError, CacheError, DecodeError, Error, Result, TransportError, TransportKind};
pub use fetched::{Fetched, Source};
pub use ids::{AccessTokenId, ParseIdError, SiteId, UserId};
pub use resilience::{RateLimit, RetryPolicy};
pub use store::sqlite::{CacheInfo, KindRows, Purge, SiteRows};
pub use store::{Cache, CacheKind, CacheMode, CachePolicy, DiagnosticChange};
pub use window::{Interval, TimeWindow};
