//! The store: what the cache keeps, behind one trait, so that the engine
//! and the api never know which database holds it. [`Cache`] is the
//! public handle over either: SQLite (`sqlite/`, the default, one file)
//! or PostgreSQL (`postgres/`, feature `postgres`, one database that many
//! workers on many machines share).
//!
//! The store keeps; it does not decide. Whether an answer is served from
//! it, fetched, or refused offline is the engine's call (src/engine).

mod cache;
pub(crate) mod manage;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod ranges;
pub(crate) mod sqlite;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use crate::error::Result;
use crate::models::{DiagnosticRecord, Point, Series};
use crate::window::Interval;

pub use cache::Cache;
pub use manage::{CacheInfo, KindRows, Purge, SiteRows};

/// Where answers may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheMode {
    /// Serve what the cache holds while it is fresh; ask VRM for the rest.
    #[default]
    PreferCache,
    /// Always ask VRM, and store the answer.
    Refresh,
    /// Never touch the network; a miss is [`Error::NotCached`](crate::Error::NotCached).
    Offline,
}

/// The kinds of cached answers, each with its own freshness limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CacheKind {
    /// `users/me`.
    User,
    /// `users/{id}/installations`.
    Installations,
    /// `…/system-overview`.
    SystemOverview,
    /// `…/diagnostics` (the latest snapshot; history is kept apart).
    Diagnostics,
    /// `…/tags`.
    Tags,
    /// `…/gps-download`.
    GpsDownload,
    /// `…/data-download`.
    DataDownload,
    /// `…/stats`: the recent past (inside the settle margin) only; older
    /// buckets are final and never refetched.
    Stats,
    /// `…/overallstats`.
    OverallStats,
    /// `…/widgets/Graph`.
    Graph,
    /// `…/widgets/{name}`.
    Widget,
    /// `…/alarms`: the alarms set on a site.
    Alarms,
    /// `…/alarm-log`: alarms that went off.
    AlarmLog,
    /// `…/dynamic-ess-settings` and `…/schedule-dynamic-ess`.
    DynamicEss,
    /// `…/users` and the other access lists of a site.
    SiteUsers,
    /// `users/{id}/invites`.
    Invites,
    /// `…/custom-widget`.
    CustomWidget,
    /// `…/stats?type=forecast` and `…/reset-forecasts`: never final
    /// history, fresh for a time of their own.
    Forecast,
    /// `data-attributes` and `installation-data-attributes`: VRM's live
    /// attribute catalogue.
    Attributes,
    /// `users/{id}/search`.
    Search,
    /// `admin/…` and `firmwares`.
    Admin,
    /// Reads through [`Client::call`](crate::Client::call).
    Call,
}

impl CacheKind {
    /// Every kind.
    pub const ALL: [CacheKind; 22] = [
        CacheKind::User,
        CacheKind::Installations,
        CacheKind::SystemOverview,
        CacheKind::Diagnostics,
        CacheKind::Tags,
        CacheKind::GpsDownload,
        CacheKind::DataDownload,
        CacheKind::Stats,
        CacheKind::OverallStats,
        CacheKind::Graph,
        CacheKind::Widget,
        CacheKind::Alarms,
        CacheKind::AlarmLog,
        CacheKind::DynamicEss,
        CacheKind::SiteUsers,
        CacheKind::Invites,
        CacheKind::CustomWidget,
        CacheKind::Forecast,
        CacheKind::Attributes,
        CacheKind::Search,
        CacheKind::Admin,
        CacheKind::Call,
    ];

    /// The name stored in the file and shown by `vrm cache info`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheKind::User => "user",
            CacheKind::Installations => "installations",
            CacheKind::SystemOverview => "system-overview",
            CacheKind::Diagnostics => "diagnostics",
            CacheKind::Tags => "tags",
            CacheKind::GpsDownload => "gps-download",
            CacheKind::DataDownload => "data-download",
            CacheKind::Stats => "stats",
            CacheKind::OverallStats => "overallstats",
            CacheKind::Graph => "graph",
            CacheKind::Widget => "widget",
            CacheKind::Alarms => "alarms",
            CacheKind::AlarmLog => "alarm-log",
            CacheKind::DynamicEss => "dynamic-ess",
            CacheKind::SiteUsers => "site-users",
            CacheKind::Invites => "invites",
            CacheKind::CustomWidget => "custom-widget",
            CacheKind::Forecast => "forecast",
            CacheKind::Attributes => "attributes",
            CacheKind::Search => "search",
            CacheKind::Admin => "admin",
            CacheKind::Call => "call",
        }
    }

    /// The kind named `name` (as [`as_str`](Self::as_str) spells it).
    pub fn from_name(name: &str) -> Option<CacheKind> {
        CacheKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The default freshness limit.
    pub fn default_freshness(self) -> Duration {
        const MINUTE: u64 = 60;
        Duration::from_secs(match self {
            CacheKind::User | CacheKind::Attributes => 24 * 60 * MINUTE,
            CacheKind::Installations
            | CacheKind::SiteUsers
            | CacheKind::Invites
            | CacheKind::CustomWidget
            | CacheKind::Forecast
            | CacheKind::Search
            | CacheKind::Admin
            | CacheKind::SystemOverview
            | CacheKind::Tags
            | CacheKind::GpsDownload
            | CacheKind::DataDownload => 60 * MINUTE,
            CacheKind::Stats
            | CacheKind::OverallStats
            | CacheKind::Graph
            | CacheKind::DynamicEss => 15 * MINUTE,
            CacheKind::Diagnostics
            | CacheKind::Widget
            | CacheKind::Alarms
            | CacheKind::AlarmLog
            | CacheKind::Call => 5 * MINUTE,
        })
    }
}

impl fmt::Display for CacheKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long cached answers stay fresh, and the other knobs of the cache.
///
/// ```
/// use std::time::Duration;
/// use vrm::{CacheKind, CachePolicy};
/// let policy = CachePolicy::default()
///     .freshness(CacheKind::Installations, Duration::from_secs(6 * 3600))
///     .settle_margin(Duration::from_secs(24 * 3600));
/// assert_eq!(policy.freshness_of(CacheKind::Installations).as_secs(), 6 * 3600);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePolicy {
    freshness: Vec<(CacheKind, Duration)>,
    settle_margin: Duration,
    diagnostics_retention: Duration,
    stale_on_error: bool,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            freshness: Vec::new(),
            settle_margin: Duration::from_secs(48 * 3600),
            diagnostics_retention: Duration::from_secs(30 * 24 * 3600),
            stale_on_error: true,
        }
    }
}

impl CachePolicy {
    /// Keep answers of `kind` fresh for `limit`. Defaults:
    /// [`CacheKind::default_freshness`].
    pub fn freshness(mut self, kind: CacheKind, limit: Duration) -> Self {
        self.freshness.retain(|(k, _)| *k != kind);
        self.freshness.push((kind, limit));
        self
    }

    /// The freshness limit of `kind`.
    pub fn freshness_of(&self, kind: CacheKind) -> Duration {
        self.freshness
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or_else(|| kind.default_freshness(), |(_, d)| *d)
    }

    /// Stats buckets newer than this, at the time they were fetched, are not
    /// final (GX devices upload backlogs late) and are refetched once older
    /// than the stats freshness limit. Default 48 hours.
    pub fn settle_margin(mut self, margin: Duration) -> Self {
        self.settle_margin = margin;
        self
    }

    /// The settle margin.
    pub fn settle_margin_of(&self) -> Duration {
        self.settle_margin
    }

    /// How long diagnostics history is kept. Default 30 days.
    pub fn diagnostics_retention(mut self, retention: Duration) -> Self {
        self.diagnostics_retention = retention;
        self
    }

    /// The diagnostics retention.
    pub fn diagnostics_retention_of(&self) -> Duration {
        self.diagnostics_retention
    }

    /// When VRM cannot be reached and the cache holds an old copy, return
    /// it marked [`Source::Stale`](crate::Source::Stale) (the default) or
    /// fail with the network error.
    pub fn stale_on_error(mut self, yes: bool) -> Self {
        self.stale_on_error = yes;
        self
    }

    /// Whether stale copies stand in for network errors.
    pub fn is_stale_on_error(&self) -> bool {
        self.stale_on_error
    }
}

/// One value of one attribute, from the diagnostics history.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DiagnosticChange {
    /// When VRM logged the value (or, without a timestamp, when it was fetched).
    pub time: OffsetDateTime,
    /// VRM's `idDataAttribute`.
    pub attribute: u64,
    /// The attribute's code (`"bv"`, …), when VRM sent one.
    pub code: Option<String>,
    /// The device instance, when there is one.
    pub instance: Option<u32>,
    /// The raw value: a number, a string, or `null`.
    pub value: Value,
}

/// Everything that names one cached stats query but its window.
#[derive(Debug, Clone)]
pub(crate) struct StatsKey<'a> {
    pub scope: i64,
    pub site: u64,
    /// The stats `type` (`"kwh"`, `"custom"`).
    pub kind: &'a str,
    /// The codes asked for; empty for a type whose set is VRM's choice
    /// (`kwh`), covered as a whole.
    pub codes: &'a [String],
    pub interval: Interval,
    /// The bucket alignment ([`Interval::grid`]) of the query's start.
    pub grid: String,
    pub per_instance: bool,
}

/// What the store holds of a window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Coverage {
    /// The parts to fetch: not stored, or recent and no longer fresh. On
    /// the query's bucket grid, merged, in order.
    pub missing: Vec<(i64, i64)>,
    /// The parts not stored at all (what offline mode cannot answer).
    pub absent: Vec<(i64, i64)>,
    /// When the oldest range used was fetched (unix s).
    pub oldest: Option<i64>,
}

/// How fresh a stats range must be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Freshness {
    pub now: i64,
    /// Seconds after which a bucket is final, counted from its fetch.
    pub settle: i64,
    /// Seconds a not-final range stays fresh.
    pub fresh: i64,
}

/// One stored series of a stats key (a code, or a code of one instance):
/// its points in a window, and the parts of the window where VRM listed it
/// (answered with points rather than `false`). Inside a listed part, a
/// bucket without a point is known to have no data; outside, a bucket is
/// unknown (VRM's `false` stands for zeros and gaps alike).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StoredSeries {
    pub code: String,
    pub instance: Option<u32>,
    pub points: Vec<Point>,
    pub listed: Vec<(i64, i64)>,
}

/// How a fetched stats chunk replaces what was stored for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replace {
    /// Every series of the key: the answer is the truth for the chunk (a
    /// series it does not list has no data there).
    All,
    /// Only the series the answer lists: a `false` adds nothing to what is
    /// known (used to resolve parts VRM answered with `false`).
    Listed,
}

/// What a claim on a stats chunk found (see [`Store::claim_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Only the shared store (feature `postgres`) answers the other two.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Claim {
    /// The chunk is this worker's to fetch (and to release, by storing it
    /// or by [`Store::release_stats`]).
    Mine,
    /// Another worker stored it meanwhile: read it from the store.
    Stored,
    /// Another worker is fetching it now: ask again later.
    Busy,
}

/// A client-side rate limit as the store keeps it for a shared budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Budget<'a> {
    /// Whose budget: the API host and the credentials' fingerprint (never
    /// the token itself).
    pub name: &'a str,
    /// Requests the window may hold.
    pub capacity: f64,
    /// Seconds after which one request leaves the window.
    pub refill: f64,
}

/// What a cache keeps: accounts and scopes, answers by request, stats
/// points and fetched ranges, diagnostics history; and how it is looked
/// after (info, purge). A store shared by many workers also keeps their
/// claims on stats chunks and their common rate budget.
///
/// Every method is one short transaction; implementations are shared by
/// threads (`Send + Sync`) and may be shared by processes.
pub(crate) trait Store: Send + Sync + fmt::Debug {
    /// Where the store is, fit to show (no password).
    fn location(&self) -> String;
    /// The file, for a store that is one.
    fn path(&self) -> Option<&Path> {
        None
    }
    /// Whether the store only reads.
    fn is_read_only(&self) -> bool {
        false
    }
    /// Size and row counts by site and kind.
    fn info(&self) -> Result<CacheInfo>;
    /// Delete what `purge` selects; `now` (unix s) dates its age limit.
    /// Returns the rows deleted.
    fn purge(&self, purge: &Purge, now: i64) -> Result<u64>;
    /// Give the space of deleted rows back, where the store can.
    fn vacuum(&self) -> Result<()>;
    /// The user behind `fingerprint` at `host`, if a run has seen it.
    fn identity(&self, host: &str, fingerprint: &str) -> Result<Option<u64>>;
    /// Every account the store holds data of at `host`, in order.
    fn accounts(&self, host: &str) -> Result<Vec<u64>>;
    /// The scope id of (`host`, `user`), remembering that `fingerprint`
    /// (when given) belongs to `user`. A read-only store that does not know
    /// the account answers a scope that holds no rows: answers then come
    /// from the network and are not kept.
    fn bind_scope(&self, host: &str, fingerprint: Option<&str>, user: u64) -> Result<i64>;
    /// A stored answer: (fetched_at, body).
    fn response(&self, scope: i64, key: &str) -> Result<Option<(i64, Vec<u8>)>>;
    /// Store an answer, replacing an older one of the same request.
    fn put_response(
        &self,
        scope: i64,
        key: &str,
        kind: CacheKind,
        site: Option<u64>,
        fetched_at: i64,
        body: &[u8],
    ) -> Result<()>;
    /// Drop the stored answers a write has made stale: those of each
    /// `(kind, site)` in `scope`, of every site of the kind when `site` is
    /// `None`. Stats points are history and stay. Returns the answers dropped.
    fn forget(&self, scope: i64, stale: &[(CacheKind, Option<u64>)]) -> Result<usize>;
    /// What the store holds of `window` for `key`.
    fn stats_coverage(
        &self,
        key: &StatsKey<'_>,
        window: (i64, i64),
        freshness: Freshness,
    ) -> Result<Coverage>;
    /// Store one fetched chunk (points, listed parts and range) at once.
    fn store_stats(
        &self,
        key: &StatsKey<'_>,
        chunk: (i64, i64),
        records: &BTreeMap<String, Series>,
        freshness: Freshness,
        replace: Replace,
    ) -> Result<()>;
    /// The stored series of `key` in `window`.
    fn read_stats(&self, key: &StatsKey<'_>, window: (i64, i64)) -> Result<Vec<StoredSeries>>;
    /// Add a diagnostics snapshot to the history; returns the rows written.
    fn record_diagnostics(
        &self,
        scope: i64,
        site: u64,
        records: &[DiagnosticRecord],
        now: i64,
        retention_secs: i64,
    ) -> Result<usize>;
    /// The diagnostics changes in `window` (unix s), oldest first.
    fn diagnostics_history(
        &self,
        scope: i64,
        site: u64,
        window: (i64, i64),
    ) -> Result<Vec<DiagnosticChange>>;
    /// The last value of every attribute at `at` (unix s).
    fn diagnostics_at(&self, scope: i64, site: u64, at: i64) -> Result<Vec<DiagnosticChange>>;
    /// Claim `chunk` of `key` before fetching it, so that workers sharing
    /// the store fetch each chunk once. A store of one machine answers
    /// [`Claim::Mine`] always.
    fn claim_stats(
        &self,
        _key: &StatsKey<'_>,
        _chunk: (i64, i64),
        _freshness: Freshness,
    ) -> Result<Claim> {
        Ok(Claim::Mine)
    }
    /// Give up a claim without storing the chunk (its fetch failed).
    fn release_stats(&self, _key: &StatsKey<'_>, _chunk: (i64, i64)) -> Result<()> {
        Ok(())
    }
    /// Reserve one request of a rate budget that every worker of the store
    /// shares, at `now` (unix s): how long to wait before sending it.
    /// `None`: the store keeps no shared budget (the client's own limiter
    /// paces it).
    fn reserve_request(&self, _budget: &Budget<'_>, _now: f64) -> Result<Option<Duration>> {
        Ok(None)
    }
    /// VRM asked every request of the budget to wait until `until` (unix s).
    fn pause_requests(&self, _budget: &Budget<'_>, _until: f64) -> Result<()> {
        Ok(())
    }
}

/// Seconds of a duration, saturating.
pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
