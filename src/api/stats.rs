//! Statistics: `installations/{idSite}/stats` and `…/overallstats`.

use std::fmt;

use crate::api::installations::SiteApi;
use crate::engine::{Call, StatsCall};
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::ids::SiteId;
use crate::models::{Stats, StatsResponse};
use crate::request::Request;
use crate::store::CacheKind;
use crate::window::{Interval, TimeWindow};

/// Which attributes a stats query asks for: the spec's `type`.
///
/// Every type but [`Custom`](StatsKind::Custom) is a set of codes VRM
/// chooses, cached and stitched as a whole (like `kwh`).
/// [`Forecast`](StatsKind::Forecast) is never final history: it is cached
/// as the exact answer of its request, with a freshness of its own
/// ([`CacheKind::Forecast`](crate::CacheKind::Forecast)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatsKind {
    /// VRM's predefined kWh set (`type=kwh`).
    Kwh,
    /// The given attribute codes (`type=custom&attributeCodes[]=…`).
    Custom(Vec<String>),
    /// The GX device's own set (`type=venus`).
    Venus,
    /// The live feed's set (`type=live_feed`, VRM's default type).
    LiveFeed,
    /// Consumption (`type=consumption`).
    Consumption,
    /// Solar yield (`type=solar_yield`).
    SolarYield,
    /// Generator energy (`type=generator`).
    Generator,
    /// Generator run time (`type=generator-runtime`).
    GeneratorRuntime,
    /// Solar and consumption forecasts (`type=forecast`, `stats` only;
    /// the window may lie in the future).
    Forecast,
}

impl StatsKind {
    /// Every type whose code set is VRM's, in the spec's order.
    pub const FIXED: [StatsKind; 8] = [
        StatsKind::Venus,
        StatsKind::LiveFeed,
        StatsKind::Consumption,
        StatsKind::SolarYield,
        StatsKind::Kwh,
        StatsKind::Generator,
        StatsKind::GeneratorRuntime,
        StatsKind::Forecast,
    ];

    /// The spec's name: `"kwh"`, `"custom"`, `"live_feed"`, `"generator-runtime"`, ….
    pub fn as_str(&self) -> &'static str {
        match self {
            StatsKind::Kwh => "kwh",
            StatsKind::Custom(_) => "custom",
            StatsKind::Venus => "venus",
            StatsKind::LiveFeed => "live_feed",
            StatsKind::Consumption => "consumption",
            StatsKind::SolarYield => "solar_yield",
            StatsKind::Generator => "generator",
            StatsKind::GeneratorRuntime => "generator-runtime",
            StatsKind::Forecast => "forecast",
        }
    }

    /// The type named `name` (the spec's spelling; `-` and `_` alike),
    /// with `codes` for `custom` (ignored by the other types).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name the spec does not list.
    pub fn from_name<I, S>(name: &str, codes: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
        if wanted == "custom" {
            return Ok(StatsKind::custom(codes));
        }
        StatsKind::FIXED
            .into_iter()
            .find(|k| k.as_str().replace('-', "_") == wanted)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "stats type {name:?}: expected one of venus, live_feed, consumption, \
                     solar_yield, kwh, generator, generator-runtime, custom, forecast"
                ))
            })
    }

    /// Whether this is `type=forecast`.
    pub fn is_forecast(&self) -> bool {
        matches!(self, StatsKind::Forecast)
    }

    /// The attribute codes of a custom query (empty for the other types).
    pub fn codes(&self) -> &[String] {
        match self {
            StatsKind::Custom(codes) => codes,
            _ => &[],
        }
    }

    fn custom<I, S>(codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        StatsKind::Custom(codes.into_iter().map(Into::into).collect())
    }

    fn validate(&self) -> Result<()> {
        if let StatsKind::Custom(codes) = self {
            if codes.is_empty() {
                return Err(Error::invalid(
                    "type custom needs at least one attribute code (for example Pc or bs)",
                ));
            }
            check_codes(codes)?;
        }
        Ok(())
    }

    fn add_to(&self, mut request: Request) -> Request {
        request = request.query("type", self.as_str());
        for code in self.codes() {
            request = request.query("attributeCodes[]", code.clone());
        }
        request
    }
}

impl fmt::Display for StatsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Refuse empty or oddly formed attribute codes before any request.
pub(crate) fn check_codes(codes: &[String]) -> Result<()> {
    for code in codes {
        let ok = !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !ok {
            return Err(Error::invalid(format!(
                "attribute code {code:?}: expected letters, digits, '_' or '-' (see `vrm codes`)"
            )));
        }
    }
    Ok(())
}

/// The parameters of `GET /installations/{idSite}/stats`.
///
/// ```
/// use vrm::{Interval, StatsQuery, TimeWindow};
/// let window = TimeWindow::from_unix(1_700_000_000, 1_700_086_400)?;
/// let query = StatsQuery::custom(window, Interval::Hours, ["Pc", "Gc"]).show_instance(true);
/// assert_eq!(query.kind().codes(), ["Pc", "Gc"]);
/// # Ok::<(), vrm::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatsQuery {
    window: TimeWindow,
    interval: Interval,
    kind: StatsKind,
    show_instance: bool,
}

impl StatsQuery {
    /// VRM's kWh set over `window`, in buckets of `interval`.
    pub fn kwh(window: TimeWindow, interval: Interval) -> Self {
        StatsQuery {
            window,
            interval,
            kind: StatsKind::Kwh,
            show_instance: false,
        }
    }

    /// The given attribute codes over `window`, in buckets of `interval`.
    pub fn custom<I, S>(window: TimeWindow, interval: Interval, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        StatsQuery {
            window,
            interval,
            kind: StatsKind::custom(codes),
            show_instance: false,
        }
    }

    /// Any type over `window`, in buckets of `interval`.
    pub fn new(window: TimeWindow, interval: Interval, kind: StatsKind) -> Self {
        StatsQuery {
            window,
            interval,
            kind,
            show_instance: false,
        }
    }

    /// VRM's forecasts (`type=forecast`) over `window`, which may lie in
    /// the future, in buckets of `interval`.
    pub fn forecast(window: TimeWindow, interval: Interval) -> Self {
        StatsQuery::new(window, interval, StatsKind::Forecast)
    }

    /// Group the values per device instance (`show_instance=1`). Default off.
    pub fn show_instance(mut self, yes: bool) -> Self {
        self.show_instance = yes;
        self
    }

    /// The window asked for (rounded to whole hours).
    pub fn window(&self) -> TimeWindow {
        self.window
    }

    /// The bucket size.
    pub fn interval(&self) -> Interval {
        self.interval
    }

    /// Which attributes.
    pub fn kind(&self) -> &StatsKind {
        &self.kind
    }

    /// Whether values are grouped per instance.
    pub fn is_show_instance(&self) -> bool {
        self.show_instance
    }

    /// Refuse what VRM would refuse, before any request. Windows longer
    /// than one request allows are not refused: they are split.
    pub(crate) fn validate(&self) -> Result<()> {
        self.kind.validate()
    }

    #[cfg(test)]
    pub(crate) fn request(&self, site: SiteId) -> Request {
        self.request_for(site, (self.window.start(), self.window.end()))
    }

    /// The request for the part `[start, end)` of the window.
    pub(crate) fn request_for(&self, site: SiteId, (start, end): (i64, i64)) -> Request {
        let request = Request::get(
            "installations/{idSite}/stats",
            format!("installations/{site}/stats"),
        );
        let mut request = self
            .kind
            .add_to(request)
            .query("interval", self.interval.as_str())
            .query("start", start.to_string())
            .query("end", end.to_string());
        if self.show_instance {
            request = request.query("show_instance", "1");
        }
        request
    }
}

/// The parameters of `GET /installations/{idSite}/overallstats`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OverallStatsQuery {
    kind: Option<StatsKind>,
}

impl OverallStatsQuery {
    /// No `type`: the totals VRM's live feed shows.
    pub fn new() -> Self {
        OverallStatsQuery { kind: None }
    }

    /// `type=kwh`.
    pub fn kwh() -> Self {
        OverallStatsQuery {
            kind: Some(StatsKind::Kwh),
        }
    }

    /// Any type but `forecast` (which overallstats does not take).
    pub fn of(kind: StatsKind) -> Self {
        OverallStatsQuery { kind: Some(kind) }
    }

    /// `type=custom` with the given codes.
    pub fn custom<I, S>(codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        OverallStatsQuery {
            kind: Some(StatsKind::custom(codes)),
        }
    }

    /// Which attributes, if a type was given.
    pub fn kind(&self) -> Option<&StatsKind> {
        self.kind.as_ref()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.kind.as_ref().is_some_and(StatsKind::is_forecast) {
            return Err(Error::invalid(
                "overallstats type forecast: expected venus, live_feed, consumption, solar_yield, \
                 kwh, generator, generator-runtime or custom (forecasts are stats only)",
            ));
        }
        self.kind.as_ref().map_or(Ok(()), StatsKind::validate)
    }

    pub(crate) fn request(&self, site: SiteId) -> Request {
        let request = Request::get(
            "installations/{idSite}/overallstats",
            format!("installations/{site}/overallstats"),
        );
        match &self.kind {
            Some(kind) => kind.add_to(request),
            None => request,
        }
    }
}

/// Called after each request of a stats fetch with (done, total).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

impl SiteApi<'_> {
    /// Energy readings over a window, in buckets.
    ///
    /// `GET /installations/{idSite}/stats?type&attributeCodes[]&interval&start&end&show_instance`
    ///
    /// A window longer than VRM serves in one request for the interval
    /// (31 days of hours, 180 of days, …) is split into allowed chunks and
    /// stitched. With a cache, only the parts it lacks are fetched. The
    /// answer is the same however it was served: fresh, stitched, from the
    /// cache or mixed (see the README's "The cache").
    ///
    /// Totals follow what a code means: energy codes sum their buckets;
    /// codes whose points carry a mean, min and max (`bs`, `bv`, …) average
    /// the means ([`Stats::minimums`](crate::models::Stats::minimums) and
    /// [`maximums`](crate::models::Stats::maximums) hold their extremes).
    /// `type=kwh` adds `kwh`, the sum of the codes. A single request that
    /// answered the whole window keeps VRM's own totals.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (before any request) for custom stats without
    /// codes; [`Error::NotCached`] offline; transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// use vrm::{Interval, StatsQuery, TimeWindow};
    /// let vrm = vrm::Client::builder().demo().build()?;
    /// let week = TimeWindow::from_unix(1_700_000_000, 1_700_604_800)?;
    /// let stats = vrm.site(vrm::SiteId(151734)).stats(&StatsQuery::kwh(week, Interval::Days))?;
    /// println!("{:?}", stats.totals);
    /// # Ok(()) }
    /// ```
    pub fn stats(&self, query: &StatsQuery) -> Result<Fetched<Stats>> {
        self.stats_with_progress(query, &mut |_, _| {})
    }

    /// [`stats`](Self::stats), calling `progress(done, total)` after each
    /// request (for a progress bar over long windows).
    ///
    /// # Errors
    /// Those of [`stats`](Self::stats).
    pub fn stats_with_progress(
        &self,
        query: &StatsQuery,
        progress: Progress<'_>,
    ) -> Result<Fetched<Stats>> {
        query.validate()?;
        if query.kind().is_forecast() {
            let answer = self.forecast_of(query)?;
            progress(1, 1);
            return Ok(answer);
        }
        let site = self.id();
        let window = query.window();
        let call = StatsCall::new(
            site.get(),
            query.kind().as_str(),
            query.kind().codes(),
            query.interval(),
            (window.start(), window.end()),
            query.is_show_instance(),
            |part| query.request_for(site, part),
            progress,
        );
        self.client().engine().run(&mut Call::new(), call)
    }
}

impl SiteApi<'_> {
    /// VRM's solar and consumption forecasts over `window` (which may lie
    /// in the future), in buckets of `interval`.
    ///
    /// `GET /installations/{idSite}/stats?type=forecast&interval&start&end`
    ///
    /// A forecast is never final history: it is cached as the exact answer
    /// of its request (never in the stats points, never settled), fresh
    /// for [`CacheKind::Forecast`]'s time (one hour by default), then
    /// asked for again. [`Fetched::fetched_at`] says when VRM made it.
    /// [`stats`](Self::stats) with [`StatsKind::Forecast`] comes here.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (before any request) for a window longer
    /// than one request serves for the interval (31 days of hours, …);
    /// [`Error::NotCached`] offline; transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// use vrm::{Interval, TimeWindow};
    /// let vrm = vrm::Client::builder().demo().build()?;
    /// let now = time::OffsetDateTime::now_utc().unix_timestamp();
    /// let next = TimeWindow::from_unix(now, now + 48 * 3600)?;
    /// let forecast = vrm.site(vrm::SiteId(151734)).forecast(next, Interval::Hours)?;
    /// println!("fetched at {}: {:?}", forecast.fetched_at(), forecast.totals);
    /// # Ok(()) }
    /// ```
    pub fn forecast(&self, window: TimeWindow, interval: Interval) -> Result<Fetched<Stats>> {
        self.forecast_of(&StatsQuery::forecast(window, interval))
    }

    /// A `type=forecast` query (its window, interval and `show_instance`)
    /// as one request, cached as its exact answer.
    fn forecast_of(&self, query: &StatsQuery) -> Result<Fetched<Stats>> {
        let (window, interval) = (query.window(), query.interval());
        if window.end() > interval.max_end(window.start()) {
            return Err(Error::invalid(format!(
                "forecast window {window}: expected at most {} for interval {interval} \
                 (a forecast is one request)",
                interval.max_period_text()
            )));
        }
        let request = query.request_for(self.id(), (window.start(), window.end()));
        Ok(self
            .client()
            .call_json::<StatsResponse>(
                request,
                Some((CacheKind::Forecast, Some(self.id().get()))),
            )?
            .map(StatsResponse::into_stats))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_request_has_every_parameter() {
        let w = TimeWindow::from_unix(1_441_066_216, 1_442_067_216).unwrap();
        let q = StatsQuery::custom(w, Interval::Days, ["Gb", "Gc"]).show_instance(true);
        q.validate().unwrap();
        assert_eq!(
            q.request(SiteId(975)).target(),
            "installations/975/stats?type=custom&attributeCodes%5B%5D=Gb&attributeCodes%5B%5D=Gc\
             &interval=days&start=1441065600&end=1442070000&show_instance=1"
        );
    }

    #[test]
    fn invalid_queries_are_refused() {
        let w = TimeWindow::from_unix(0, 3600).unwrap();
        let none: [&str; 0] = [];
        let e = StatsQuery::custom(w, Interval::Hours, none)
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("custom"), "{e}");
        let e = StatsQuery::custom(w, Interval::Hours, ["Pc", "x&y"])
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("x&y"), "{e}");
        // Long windows are split, not refused.
        let long = TimeWindow::from_unix(0, 40 * 86_400).unwrap();
        assert!(StatsQuery::kwh(long, Interval::Hours).validate().is_ok());
        assert!(OverallStatsQuery::custom(none).validate().is_err());
        assert!(OverallStatsQuery::new().validate().is_ok());
    }
}
