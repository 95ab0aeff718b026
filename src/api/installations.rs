//! One installation (site): `installations/{idSite}/…`.

use base64::Engine as _;

use crate::api::stats::OverallStatsQuery;
use crate::api::widgets::{GraphQuery, Widget, WidgetQuery};
use crate::client::Client;
use crate::decode::{decode, decode_error};
use crate::engine::{Call, Plain, StoreCtx};
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::ids::SiteId;
use crate::models::{
    DataDownloadResponse, DiagnosticRecord, DiagnosticsResponse, GpsDownloadResponse, GraphRecords,
    GraphResponse, OverallStats, OverallStatsResponse, SystemOverview, SystemOverviewResponse, Tag,
    TagsResponse, WidgetRecords, WidgetResponse,
};
use crate::request::Request;
use crate::store::DiagnosticChange;
use crate::store::{CacheKind, secs};
use crate::window::TimeWindow;

/// The endpoints of one installation. Get it with [`Client::site`].
#[derive(Debug, Clone)]
pub struct SiteApi<'c> {
    client: &'c Client,
    id: SiteId,
}

/// The file format of a data download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DownloadFormat {
    /// Comma-separated values.
    Csv,
    /// An Excel workbook.
    Xls,
}

impl DownloadFormat {
    /// `"csv"` or `"xls"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DownloadFormat::Csv => "csv",
            DownloadFormat::Xls => "xls",
        }
    }
}

/// What a data download holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DownloadData {
    /// Every logged value of the relevant attributes (`datatype=log`).
    Log,
    /// Energy readings (`datatype=kwh`).
    Kwh,
}

impl DownloadData {
    /// `"log"` or `"kwh"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DownloadData::Log => "log",
            DownloadData::Kwh => "kwh",
        }
    }
}

impl Client {
    /// The endpoints of installation `id`.
    pub fn site(&self, id: SiteId) -> SiteApi<'_> {
        SiteApi { client: self, id }
    }
}

impl SiteApi<'_> {
    /// The installation's id.
    pub fn id(&self) -> SiteId {
        self.id
    }

    pub(crate) fn client(&self) -> &Client {
        self.client
    }

    /// Keep an answer of `kind` as this site's.
    fn keep(&self, kind: CacheKind) -> crate::api::Keep {
        Some((kind, Some(self.id.get())))
    }

    /// The connected devices, with their instances.
    ///
    /// `GET /installations/{idSite}/system-overview`
    ///
    /// # Errors
    /// Transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().demo().build()?;
    /// for device in &vrm.site(vrm::SiteId(151734)).system_overview()?.devices {
    ///     println!("{:?} {:?}", device.name, device.instance);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn system_overview(&self) -> Result<Fetched<SystemOverview>> {
        let request = Request::get(
            "installations/{idSite}/system-overview",
            format!("installations/{}/system-overview", self.id),
        );
        Ok(self
            .client
            .call_json::<SystemOverviewResponse>(request, self.keep(CacheKind::SystemOverview))?
            .map(|r| r.records))
    }

    /// The latest logged value of every attribute (at most `count` records).
    ///
    /// `GET /installations/{idSite}/diagnostics?count=N`. Needs full access
    /// to the installation; the demo account has none.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a count of 0; transport, API and decode errors.
    pub fn diagnostics(&self, count: u32) -> Result<Fetched<Vec<DiagnosticRecord>>> {
        if count == 0 {
            return Err(Error::invalid(
                "diagnostics count 0: expected at least 1 record",
            ));
        }
        let request = Request::get(
            "installations/{idSite}/diagnostics",
            format!("installations/{}/diagnostics", self.id),
        )
        .query("count", count.to_string());
        let site = self.id.get();
        // Each snapshot fetched also goes into the history.
        let plain = Plain::new(request, self.keep(CacheKind::Diagnostics), |r, body| {
            decode::<DiagnosticsResponse>(r, body)
        })
        .on_fetch(move |ctx: &StoreCtx<'_>, answer: &DiagnosticsResponse| {
            let retention = secs(ctx.policy.diagnostics_retention_of());
            ctx.store
                .record_diagnostics(ctx.scope, site, &answer.records, ctx.now, retention)
                .map(drop)
        });
        Ok(self
            .client
            .engine()
            .run(&mut Call::new(), plain)?
            .map(|r| r.records))
    }

    /// The installation's tags.
    ///
    /// `GET /installations/{idSite}/tags`
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn tags(&self) -> Result<Fetched<Vec<Tag>>> {
        let request = Request::get(
            "installations/{idSite}/tags",
            format!("installations/{}/tags", self.id),
        );
        Ok(self
            .client
            .call_json::<TagsResponse>(request, self.keep(CacheKind::Tags))?
            .map(|r| r.tags))
    }

    /// GPS tracks over `window`.
    ///
    /// `GET /installations/{idSite}/gps-download?start&end`
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn gps_download(&self, window: TimeWindow) -> Result<Fetched<GpsDownloadResponse>> {
        let request = Request::get(
            "installations/{idSite}/gps-download",
            format!("installations/{}/gps-download", self.id),
        )
        .query("start", window.start().to_string())
        .query("end", window.end().to_string());
        let plain = Plain::new(
            request,
            self.keep(CacheKind::GpsDownload),
            |request, body| {
                read_body(request, body, |body| {
                    GpsDownloadResponse::from_body(body)
                        .filter(|gps| !gps.kml().is_some_and(looks_like_html))
                })
            },
        );
        self.client.engine().run(&mut Call::new(), plain)
    }

    /// An export of the installation's data as a CSV or XLS file: the bytes
    /// of the file (VRM sends it base64-encoded; this decodes it).
    ///
    /// `GET /installations/{idSite}/data-download?start&end&format&datatype`
    ///
    /// # Errors
    /// [`Error::Decode`] when the body is not base64; transport and API errors.
    pub fn data_download(
        &self,
        window: TimeWindow,
        format: DownloadFormat,
        data: DownloadData,
    ) -> Result<Fetched<Vec<u8>>> {
        let request = Request::get(
            "installations/{idSite}/data-download",
            format!("installations/{}/data-download", self.id),
        )
        .query("start", window.start().to_string())
        .query("end", window.end().to_string())
        .query("format", format.as_str())
        .query("datatype", data.as_str());
        let plain = Plain::new(
            request,
            self.keep(CacheKind::DataDownload),
            |request, body| {
                let encoded = read_body(request, body, DataDownloadResponse::from_body)?;
                let text: String = encoded
                    .base64()
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|_| decode_error(request, body, None))
            },
        );
        self.client.engine().run(&mut Call::new(), plain)
    }

    /// Totals for today, this week, this month and this year.
    ///
    /// `GET /installations/{idSite}/overallstats?type&attributeCodes[]`
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for custom stats without codes; transport,
    /// API and decode errors.
    pub fn overall_stats(&self, query: &OverallStatsQuery) -> Result<Fetched<OverallStats>> {
        query.validate()?;
        Ok(self
            .client
            .call_json::<OverallStatsResponse>(
                query.request(self.id),
                self.keep(CacheKind::OverallStats),
            )?
            .map(|r| r.records))
    }

    /// Graph data points of some attributes.
    ///
    /// `GET /installations/{idSite}/widgets/Graph?attributeCodes[]&attributeIds[]&instance&start&end&width&pointsPerPixel&useMinMax`
    ///
    /// Cached as the exact answer of its request ([`CacheKind::Graph`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without codes or ids, or for a width of 0 or
    /// points per pixel that are not a positive number (before any
    /// request); transport, API and decode errors.
    pub fn graph(&self, query: &GraphQuery) -> Result<Fetched<GraphRecords>> {
        let request = query.request(self.id)?;
        Ok(self
            .client
            .call_json::<GraphResponse>(request, self.keep(CacheKind::Graph))?
            .map(|r| r.records))
    }

    /// Any widget: state changes, summaries, alarms, GPS, hours of AC (every
    /// widget of the spec is a [`Widget`] variant), or any other
    /// ([`Widget::Other`]). Cached as the exact answer of its request
    /// ([`CacheKind::Widget`]).
    ///
    /// `GET /installations/{idSite}/widgets/{widget}?instance&start&end`
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a time window on a summary widget or a
    /// malformed name; transport, API and decode errors.
    pub fn widget(&self, widget: &Widget, query: &WidgetQuery) -> Result<Fetched<WidgetRecords>> {
        let request = query.request(self.id, widget)?;
        Ok(self
            .client
            .call_json::<WidgetResponse>(request, self.keep(CacheKind::Widget))?
            .map(|r| r.records))
    }
}

/// Read a body that need not be JSON with `parse`; when it cannot, the JSON
/// decoder explains why (an API error body, or the first bytes of the body).
fn read_body<T: serde::de::DeserializeOwned>(
    request: &Request,
    body: &[u8],
    parse: impl FnOnce(&[u8]) -> Option<T>,
) -> Result<T> {
    match parse(body) {
        Some(value) => Ok(value),
        None => decode::<T>(request, body),
    }
}

/// An HTML page (a proxy's or a login page) is not a KML file. Only the
/// start counts: KML descriptions often hold HTML.
fn looks_like_html(text: &str) -> bool {
    let text = text.trim_start();
    let head = text
        .get(..text.len().min(16))
        .unwrap_or(text)
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

impl SiteApi<'_> {
    /// Every diagnostics value that changed in `window`, from the history
    /// the cache kept of earlier [`diagnostics`](Self::diagnostics) calls
    /// (a row per change, within the retention limit). Makes no request
    /// (but learning the account, the first time, may).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a client without a cache; cache errors.
    pub fn diagnostics_history(&self, window: TimeWindow) -> Result<Vec<DiagnosticChange>> {
        let mut call = Call::new();
        let ctx = self.history(&mut call)?;
        ctx.store
            .diagnostics_history(ctx.scope, self.id.get(), (window.start(), window.end()))
    }

    /// The value every attribute had at `at`, from the cached history.
    /// Makes no request (but learning the account, the first time, may).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a client without a cache; cache errors.
    pub fn diagnostics_at(&self, at: time::OffsetDateTime) -> Result<Vec<DiagnosticChange>> {
        let mut call = Call::new();
        let ctx = self.history(&mut call)?;
        ctx.store
            .diagnostics_at(ctx.scope, self.id.get(), at.unix_timestamp())
    }

    fn history<'a>(&'a self, call: &mut Call) -> Result<StoreCtx<'a>> {
        self.client.engine().store_ctx(call)?.ok_or_else(|| {
            Error::invalid("diagnostics history lives in the cache: build the client with a cache")
        })
    }
}
