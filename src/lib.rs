//! A blocking, synchronous client for the [Victron Energy VRM API v2]: the
//! cloud behind Victron solar, battery and inverter systems, with a local
//! SQLite cache so that repeated and offline queries cost no request.
//!
//! One [`Client`], no async runtime: share it between threads (it is
//! `Clone + Send + Sync`). It never panics on odd data, stays under VRM's
//! rate limit by itself, retries what is safe to retry, and keeps tokens and
//! passwords out of every log, error and cache file.
//!
//! [Victron Energy VRM API v2]: https://vrm-api-docs.victronenergy.com/
//!
//! # Quick start
//!
//! ```no_run
//! use std::time::Duration;
//! use vrm::{Cache, Client, Interval, StatsQuery, TimeWindow};
//!
//! fn main() -> vrm::Result<()> {
//!     let vrm = Client::builder()
//!         .personal_token(std::env::var("VRM_TOKEN").unwrap_or_default())
//!         .cache(Cache::open_default()?)
//!         .build()?;
//!     let sites = vrm.installations()?;
//!     for site in sites.iter() {
//!         println!("{} {}", site.id_site, site.name.as_deref().unwrap_or("?"));
//!     }
//!     if let Some(site) = sites.first() {
//!         let week = TimeWindow::last(Duration::from_secs(7 * 86_400), time::OffsetDateTime::now_utc())?;
//!         let stats = vrm.site(site.id_site).stats(&StatsQuery::kwh(week, Interval::Days))?;
//!         println!("solar to consumers: {:?} kWh", stats.total("Pc"));
//!         println!("{} requests, from {}", stats.requests(), stats.source().as_str());
//!     }
//!     Ok(())
//! }
//! ```
//!
//! Every endpoint method returns a [`Fetched<T>`]: the typed value (it
//! derefs to it), where it came from ([`Source`]) and how many HTTP requests
//! that call cost.
//!
//! # Authentication
//!
//! | builder call | sent as | notes |
//! | --- | --- | --- |
//! | [`personal_token`](ClientBuilder::personal_token) | `X-Authorization: Token …` | the way to prefer: Victron deprecated bearer logins from June 2026 |
//! | [`credentials`](ClientBuilder::credentials) (+ [`sms_token`](ClientBuilder::sms_token)) | `Bearer …` from `auth/login` | logs in on first use and once more on a 401 |
//! | [`demo`](ClientBuilder::demo) | `Bearer …` from `auth/loginAsDemo` | VRM's public demo account |
//! | [`token`](ClientBuilder::token)`(`[`ApiToken::bearer`]`(t))` | `Bearer t` | a token from an earlier login |
//!
//! Credentials are refused over plain `http://` unless the host is loopback.
//!
//! # The cache
//!
//! Give the builder a [`Cache`] ([`Cache::open`], [`Cache::open_default`],
//! [`Cache::in_memory`]) and every read goes through it. A cached answer is
//! the answer: it equals what VRM would say for the same query, whether it
//! was fetched whole, stitched from chunks or served from the file. Stats
//! are kept as points, so any part of a fetched window is answered locally
//! and an overlapping query fetches only what is missing; windows longer
//! than one request allows are split and stitched. [`CacheMode`] chooses
//! between preferring the cache, refreshing, and offline (which sends
//! nothing, ever); [`CachePolicy`] sets the freshness limits. The file
//! belongs to the host and account that filled it, is readable by its owner
//! only, and holds no secret. The same cache can live in PostgreSQL
//! (feature `postgres`, [`Cache::open_url`]), shared by many workers.
//!
//! # Errors
//!
//! One [`Error`] type, with variants a caller acts on: [`Error::Api`] (VRM's
//! status, `error_code` and `errors`), [`Error::Unauthorized`],
//! [`Error::TwoFactorRequired`], [`Error::RateLimited`],
//! [`Error::Transport`] (DNS, connect, TLS, timeout), [`Error::TooLarge`],
//! [`Error::Decode`], [`Error::InvalidInput`] (refused before any request),
//! [`Error::Cache`] and [`Error::NotCached`] (offline, not in the cache).
//! Helpers such as [`Error::is_timeout`] and [`Error::is_not_found`] spare a
//! `match`.
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls, no system OpenSSL needed.
//! - `cli` (default): the `vrm` command-line program; library users turn it
//!   off with `default-features = false, features = ["rustls"]` and pull
//!   none of its dependencies.
//! - `postgres`: the shared cache in PostgreSQL ([`Cache::open_url`]`("postgres://…")`),
//!   for many workers on many machines: one database, each stats chunk
//!   fetched once, one rate budget per token, a SQL view of the points.
//!   Off by default: the blocking `postgres` crate runs a small tokio
//!   runtime of its own inside.
//!
//! The command-line program's manual and the performance figures are in the
//! crate's `README.md`; its changes in `CHANGELOG.md`.
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

// The layers, top down: `api` builds calls, the `engine` runs them,
// `transport` sends requests and `store` keeps answers; `request`,
// `decode`, `models`, `window`, `error` and `clock` are shared below.
// Nothing imports a module above it.
mod api;
mod auth;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod bench_support;
/// The whole JSON bodies of the endpoints, for this crate's own tests and
/// benches (private feature `internals`; not part of the API).
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod wire {
    pub use crate::models::access::{
        AckResponse, InviteResponse, InviteRightsResponse, SiteUsersResponse,
    };
    pub use crate::models::alarms::{AlarmLogResponse, AlarmWriteResponse, AlarmsResponse};
    pub use crate::models::attributes::DataAttributesResponse;
    pub use crate::models::auth::LoginResponse;
    pub use crate::models::dess::{
        DynamicEssResponse, DynamicEssScheduleResponse, DynamicEssWriteResponse,
    };
    pub use crate::models::devices::SystemOverviewResponse;
    pub use crate::models::diagnostics::DiagnosticsResponse;
    pub use crate::models::downloads::DataDownloadResponse;
    pub use crate::models::downloads::OverviewResponse;
    pub use crate::models::downloads::SuccessResponse;
    pub use crate::models::error_body::ApiErrorBody;
    pub use crate::models::installations::{InstallationsResponse, TagsResponse};
    pub use crate::models::settings::{
        Ack, CustomWidgetCreated, CustomWidgetResponse, ForecastsResetResponse, SettingsResponse,
    };
    pub use crate::models::stats::{OverallStatsResponse, StatsResponse};
    pub use crate::models::tokens::{RevokeResponse, TokensResponse};
    pub use crate::models::users::MeResponse;
    pub use crate::models::users::{InvitesResponse, SearchResponse, SiteIdResponse};
    pub use crate::models::widgets::{GraphResponse, WidgetResponse};
}
pub mod catalog;
mod client;
mod clock;
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

pub use api::access::{GroupAccess, Invite, InviteRights, UserRights};
pub use api::admin::AdminQuery;
pub use api::alarms::{AlarmLogQuery, AlarmSpec};
pub use api::attributes::AttributeQuery;
pub use api::dess::{DynamicEssMethod, DynamicEssUpdate, PriceDays, PriceSlot};
pub use api::fleet::{FleetProgress, FleetReport, SiteSync};
pub use api::installations::{
    DownloadData, DownloadFormat, OverviewColumn, OverviewDownload, SiteApi,
};
pub use api::settings::{CustomWidgetSpec, SiteSettings};
pub use api::stats::{OverallStatsQuery, Progress, StatsKind, StatsQuery};
pub use api::tags::TagSource;
pub use api::users::{Revoke, UserApi, UserRef};
pub use api::widgets::{GraphQuery, Widget, WidgetKind, WidgetQuery};
pub use auth::{ApiToken, TokenKind};
pub use client::{
    BASE_URL_ENV, Client, ClientBuilder, Counters, DEFAULT_BASE_URL, DEFAULT_CALL_DEADLINE,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_PARALLEL_REQUESTS,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ApiError, CacheError, DecodeError, Error, Result, TransportError, TransportKind};
pub use fetched::{Fetched, Source};
pub use ids::{
    AccessTokenId, AlarmId, InviteId, ParseIdError, SiteGroupId, SiteId, UserGroupId, UserId,
};
pub use request::Method;
pub use resilience::{RateLimit, RetryPolicy};
pub use store::{
    Cache, CacheInfo, CacheKind, CacheMode, CachePolicy, DiagnosticChange, KindRows, Purge,
    SiteRows,
};
pub use window::{Interval, TimeWindow};

/// The README's code, compiled as doctests (the README is not the crate's
/// documentation, but what it shows must build).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
