#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls, no system OpenSSL needed.

pub mod api;
mod auth;
#[doc(hidden)]
pub mod bench_support;
pub mod cache;
mod cached;
pub mod catalog;
mod client;
pub mod clock;
mod error;
mod fetched;
mod http;
mod ids;
pub mod models;
mod resilience;
mod window;

pub use api::installations::{DownloadData, DownloadFormat, Site};
pub use api::stats::{OverallStatsQuery, StatsKind, StatsQuery};
pub use api::users::{Revoke, UserApi};
pub use api::widgets::{GraphQuery, Widget, WidgetKind, WidgetQuery};
pub use auth::{ApiToken, TokenKind};
pub use cache::{
    Cache, CacheError, CacheInfo, CacheKind, CacheMode, CachePolicy, DiagnosticChange, KindRows,
    Purge, SiteRows,
};
pub use client::{BASE_URL_ENV, Client, ClientBuilder, Counters, DEFAULT_BASE_URL};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ApiError, DecodeError, Error, Result, TransportError, TransportKind};
pub use fetched::{Fetched, Source};
pub use ids::{AccessTokenId, ParseIdError, SiteId, UserId};
pub use resilience::{RateLimit, RetryPolicy};
pub use window::{Interval, TimeWindow};
