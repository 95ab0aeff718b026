//! Looking after a cache, whichever store holds it: what it holds
//! ([`CacheInfo`]) and what to delete ([`Purge`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::CacheKind;
use crate::ids::SiteId;

/// What a cache holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheInfo {
    /// The file, unless in memory or in PostgreSQL.
    pub path: Option<PathBuf>,
    /// Where the cache is, fit to show: the file's path, `in memory`, or a
    /// PostgreSQL URL without its password.
    pub location: String,
    /// Bytes on disk (SQLite: database and write-ahead log; PostgreSQL: the
    /// cache's tables and indexes).
    pub size_bytes: u64,
    /// Rows by site (`None`: answers that belong to no site, such as the
    /// installation list), then kind.
    pub sites: Vec<SiteRows>,
}

/// The rows of one site.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SiteRows {
    /// The site, or `None` for answers not tied to one.
    pub site: Option<SiteId>,
    /// Rows by kind: stats count points, diagnostics count snapshots and
    /// history rows, the others cached answers.
    pub kinds: Vec<KindRows>,
}

/// A row count of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KindRows {
    /// The kind.
    pub kind: CacheKind,
    /// Its rows.
    pub rows: u64,
}

/// What to purge: everything by default, narrowed by site, kind and age.
///
/// ```
/// use std::time::Duration;
/// use vrm::{CacheKind, Purge, SiteId};
/// let old_stats = Purge::all()
///     .site(SiteId(151734))
///     .kind(CacheKind::Stats)
///     .older_than(Duration::from_secs(90 * 86_400));
/// # let _ = old_stats;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purge {
    site: Option<SiteId>,
    kind: Option<CacheKind>,
    older_than: Option<Duration>,
}

impl Purge {
    /// Everything.
    pub fn all() -> Self {
        Purge::default()
    }

    /// Only this site's rows.
    pub fn site(mut self, site: SiteId) -> Self {
        self.site = Some(site);
        self
    }

    /// Only rows of this kind.
    pub fn kind(mut self, kind: CacheKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Only data older than `age`: answers fetched before then, stats
    /// buckets and diagnostics values from before then.
    pub fn older_than(mut self, age: Duration) -> Self {
        self.older_than = Some(age);
        self
    }

    pub(crate) fn includes(&self, kind: CacheKind) -> bool {
        self.kind.is_none_or(|k| k == kind)
    }

    /// The site, as the store keeps it.
    pub(crate) fn site_id(&self) -> Option<u64> {
        self.site.map(SiteId::get)
    }

    /// The age limit as a time (unix s), given `now` (unix s).
    pub(crate) fn cutoff(&self, now: i64) -> Option<i64> {
        self.older_than
            .map(|age| now.saturating_sub(i64::try_from(age.as_secs()).unwrap_or(i64::MAX)))
    }
}

/// Rows counted by (site, kind), grouped by site in order.
pub(crate) fn by_site(counts: Vec<(Option<u64>, CacheKind, u64)>) -> Vec<SiteRows> {
    let mut sites: BTreeMap<Option<u64>, Vec<KindRows>> = BTreeMap::new();
    for (site, kind, rows) in counts {
        sites.entry(site).or_default().push(KindRows { kind, rows });
    }
    sites
        .into_iter()
        .map(|(site, kinds)| SiteRows {
            site: site.map(SiteId),
            kinds,
        })
        .collect()
}
