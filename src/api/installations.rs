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
    DataDownloadResponse, DiagnosticRecord, DiagnosticsPage, DiagnosticsResponse,
    GpsDownloadResponse, GraphRecords, GraphResponse, OverallStats, OverallStatsResponse,
    SuccessResponse, SystemOverview, SystemOverviewResponse, WidgetRecords, WidgetResponse,
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

/// The file format of a data download (`format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DownloadFormat {
    /// Comma-separated values (`csv`, VRM's default).
    Csv,
    /// Excel 2003 XML (`excelxml`).
    ExcelXml,
    /// An Excel 97 workbook (`xls`).
    Xls,
    /// An Excel workbook (`xlsx`).
    Xlsx,
    /// An HTML table (`html`).
    Html,
}

impl DownloadFormat {
    /// Every format, in the spec's order.
    pub const ALL: [DownloadFormat; 5] = [
        DownloadFormat::Csv,
        DownloadFormat::ExcelXml,
        DownloadFormat::Xls,
        DownloadFormat::Xlsx,
        DownloadFormat::Html,
    ];

    /// The spec's name: `"csv"`, `"excelxml"`, `"xls"`, `"xlsx"` or `"html"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DownloadFormat::Csv => "csv",
            DownloadFormat::ExcelXml => "excelxml",
            DownloadFormat::Xls => "xls",
            DownloadFormat::Xlsx => "xlsx",
            DownloadFormat::Html => "html",
        }
    }

    /// Whether `body` looks like a file of this format sent as is (not
    /// base64 in JSON): CSV text that is neither JSON nor markup, an
    /// Office or zip signature, XML, HTML.
    fn is_raw_file(self, body: &[u8]) -> bool {
        const OLE: &[u8] = &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
        const ZIP: &[u8] = b"PK\x03\x04";
        let text = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
        let start = text
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |i| &text[i..]);
        let html = || {
            let head = String::from_utf8_lossy(&start[..start.len().min(16)]).to_ascii_lowercase();
            head.starts_with("<!doctype html") || head.starts_with("<html")
        };
        match self {
            // Text that is no JSON (a first cell may be quoted) and no markup.
            DownloadFormat::Csv => {
                !start.is_empty()
                    && !start.starts_with(b"<")
                    && std::str::from_utf8(text).is_ok()
                    && serde_json::from_slice::<serde::de::IgnoredAny>(text).is_err()
            }
            DownloadFormat::Xls => {
                body.starts_with(OLE) || body.starts_with(ZIP) || start.starts_with(b"<?xml")
            }
            DownloadFormat::Xlsx => body.starts_with(ZIP),
            DownloadFormat::ExcelXml => start.starts_with(b"<?xml") && !html(),
            DownloadFormat::Html => start.starts_with(b"<"),
        }
    }
}

impl std::fmt::Display for DownloadFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DownloadFormat {
    type Err = Error;

    /// The spec's name, any case.
    fn from_str(s: &str) -> Result<Self> {
        DownloadFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "download format {s:?}: expected csv, excelxml, xls, xlsx or html"
                ))
            })
    }
}

/// What a data download holds (`datatype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DownloadData {
    /// Every logged value of the relevant attributes (`datatype=log`, VRM's default).
    Log,
    /// Benchmark data (`datatype=benchmark`).
    Benchmark,
    /// Energy readings (`datatype=kwh`).
    Kwh,
}

impl DownloadData {
    /// Every data type, in the spec's order.
    pub const ALL: [DownloadData; 3] = [
        DownloadData::Log,
        DownloadData::Benchmark,
        DownloadData::Kwh,
    ];

    /// `"log"`, `"benchmark"` or `"kwh"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DownloadData::Log => "log",
            DownloadData::Benchmark => "benchmark",
            DownloadData::Kwh => "kwh",
        }
    }
}

impl std::fmt::Display for DownloadData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DownloadData {
    type Err = Error;

    /// The spec's name, any case.
    fn from_str(s: &str) -> Result<Self> {
        DownloadData::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "download datatype {s:?}: expected log, benchmark or kwh"
                ))
            })
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
        Ok(self.diagnostics_request(count, None)?.map(|r| r.records))
    }

    /// One page of [`diagnostics`](Self::diagnostics): `count` records from
    /// page `page` (1 is the first), with how many VRM holds in all.
    /// Cached as the exact answer of its request; each page fetched also
    /// goes into the diagnostics history.
    ///
    /// `GET /installations/{idSite}/diagnostics?count=N&page=P`
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a count or page of 0 (before any
    /// request); transport, API and decode errors.
    pub fn diagnostics_page(&self, count: u32, page: u32) -> Result<Fetched<DiagnosticsPage>> {
        if page == 0 {
            return Err(Error::invalid(
                "diagnostics page 0: expected 1 or more (pages count from 1)",
            ));
        }
        Ok(self
            .diagnostics_request(count, Some(page))?
            .map(|r| DiagnosticsPage::new(r.records, r.num_records, page)))
    }

    fn diagnostics_request(
        &self,
        count: u32,
        page: Option<u32>,
    ) -> Result<Fetched<DiagnosticsResponse>> {
        if count == 0 {
            return Err(Error::invalid(
                "diagnostics count 0: expected at least 1 record",
            ));
        }
        let mut request = Request::get(
            "installations/{idSite}/diagnostics",
            format!("installations/{}/diagnostics", self.id),
        )
        .query("count", count.to_string());
        if let Some(page) = page {
            request = request.query("page", page.to_string());
        }
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
        self.client.engine().run(&mut Call::new(), plain)
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

    /// An export of the installation's data as a file (CSV, Excel XML,
    /// XLS, XLSX or HTML): its bytes. VRM sends the file base64-encoded in
    /// JSON, or (as the 2026 spec documents, `text/csv`,
    /// `application/vnd.ms-excel`, …) the file itself: both are read.
    /// Cached as the exact answer of its request ([`CacheKind::DataDownload`]).
    ///
    /// `GET /installations/{idSite}/data-download?start&end&format&datatype`
    /// (marked deprecated in the 2026 spec).
    ///
    /// # Errors
    /// [`Error::Decode`] when the body is neither base64 nor a file of the
    /// format asked for (an HTML error page for a CSV, `{"success":true}`
    /// of an e-mailed export); transport and API errors.
    pub fn data_download(
        &self,
        window: TimeWindow,
        format: DownloadFormat,
        data: DownloadData,
    ) -> Result<Fetched<Vec<u8>>> {
        let request = self.data_download_request(window, format, data);
        let plain = Plain::new(
            request,
            self.keep(CacheKind::DataDownload),
            move |request, body| {
                if let Some(encoded) = DataDownloadResponse::from_body(body) {
                    let text: String = encoded
                        .base64()
                        .chars()
                        .filter(|c| !c.is_ascii_whitespace())
                        .collect();
                    if let Ok(bytes) =
                        base64::engine::general_purpose::STANDARD.decode(text.as_bytes())
                    {
                        return Ok(bytes);
                    }
                }
                if format.is_raw_file(body) {
                    return Ok(body.to_vec());
                }
                // An API error body says so; anything else is a decode error.
                decode::<DataDownloadResponse>(request, body)?;
                Err(decode_error(request, body, None))
            },
        );
        self.client.engine().run(&mut Call::new(), plain)
    }

    /// The same export, made by VRM in the background and sent to the
    /// account's e-mail address (`async=1`); `true` when VRM started it.
    /// Never cached (each call sends a mail).
    ///
    /// `GET /installations/{idSite}/data-download?start&end&format&datatype&async=1`
    ///
    /// # Errors
    /// [`Error::NotCached`] offline; transport, API and decode errors.
    pub fn data_download_by_email(
        &self,
        window: TimeWindow,
        format: DownloadFormat,
        data: DownloadData,
    ) -> Result<Fetched<bool>> {
        let request = self
            .data_download_request(window, format, data)
            .query("async", "1");
        let plain = Plain::new(request, None, |request, body| {
            match decode::<SuccessResponse>(request, body)?.success {
                Some(true) => Ok(true),
                _ => Err(crate::decode::api_error(request, 200, body)),
            }
        });
        self.client.engine().run(&mut Call::new(), plain)
    }

    fn data_download_request(
        &self,
        window: TimeWindow,
        format: DownloadFormat,
        data: DownloadData,
    ) -> Request {
        Request::get(
            "installations/{idSite}/data-download",
            format!("installations/{}/data-download", self.id),
        )
        .query("start", window.start().to_string())
        .query("end", window.end().to_string())
        .query("format", format.as_str())
        .query("datatype", data.as_str())
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

/// One column of an installation overview: its header text, whether it is
/// in the overview, and whether it is hidden.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OverviewColumn {
    header: String,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hide: Option<bool>,
}

impl OverviewColumn {
    /// A column titled `header`, enabled or not.
    pub fn new(header: impl Into<String>, enabled: bool) -> Self {
        OverviewColumn {
            header: header.into(),
            enabled,
            hide: None,
        }
    }

    /// Hide it (`hide`; optional in the spec).
    pub fn hide(mut self, yes: bool) -> Self {
        self.hide = Some(yes);
        self
    }
}

/// The body of `POST /installation-overview-download`: which columns, of
/// which sites, as JSON or as an XLSX file.
///
/// ```
/// use vrm::{OverviewColumn, OverviewDownload, SiteId};
/// let body = OverviewDownload::new([SiteId(151734)])
///     .column("name", OverviewColumn::new("Installation name", true))
///     .json(true);
/// assert_eq!(body.site_ids(), [151734]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OverviewDownload {
    columns: std::collections::BTreeMap<String, OverviewColumn>,
    #[serde(rename = "siteIds")]
    site_ids: Vec<u64>,
    #[serde(rename = "onlyVisible")]
    only_visible: bool,
    #[serde(rename = "jsonResponse")]
    json_response: bool,
}

impl OverviewDownload {
    /// An overview of `sites`: no columns yet, every item, as an XLSX file.
    pub fn new<I: IntoIterator<Item = SiteId>>(sites: I) -> Self {
        OverviewDownload {
            columns: std::collections::BTreeMap::new(),
            site_ids: sites.into_iter().map(SiteId::get).collect(),
            only_visible: false,
            json_response: false,
        }
    }

    /// Add (or replace) the column `key` (VRM's column key).
    pub fn column(mut self, key: impl Into<String>, column: OverviewColumn) -> Self {
        self.columns.insert(key.into(), column);
        self
    }

    /// Only the visible items (`onlyVisible`). Default off.
    pub fn only_visible(mut self, yes: bool) -> Self {
        self.only_visible = yes;
        self
    }

    /// The answer as JSON (`jsonResponse: true`) rather than an XLSX file.
    pub fn json(mut self, yes: bool) -> Self {
        self.json_response = yes;
        self
    }

    /// The site ids of the overview.
    pub fn site_ids(&self) -> &[u64] {
        &self.site_ids
    }

    fn validate(&self) -> Result<()> {
        if self.site_ids.is_empty() {
            return Err(Error::invalid(
                "installation overview without sites: expected at least one site id",
            ));
        }
        if self.columns.is_empty() {
            return Err(Error::invalid(
                "installation overview without columns: expected at least one column",
            ));
        }
        if let Some(key) = self.columns.keys().find(|k| k.trim().is_empty()) {
            return Err(Error::invalid(format!(
                "overview column key {key:?}: expected a non-empty key"
            )));
        }
        Ok(())
    }
}

impl Client {
    /// An overview of some installations with the chosen columns: JSON
    /// rows, or an XLSX file (as [`OverviewDownload::json`] asks).
    ///
    /// `POST /installation-overview-download`. It changes nothing, but as
    /// a POST it is never cached, refused offline with no request, and
    /// sent again only after a 429.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without sites or columns (before any
    /// request); [`Error::NotCached`] offline; an API error (403) for
    /// sites the account may not see; transport and decode errors.
    pub fn installation_overview_download(
        &self,
        body: &OverviewDownload,
    ) -> Result<Fetched<crate::models::InstallationOverview>> {
        body.validate()?;
        let request = Request::new(
            crate::request::Method::Post,
            "installation-overview-download",
            "installation-overview-download".to_owned(),
        )
        .json(body)?;
        let engine = self.engine();
        engine.refuse_offline(&request)?;
        let plain = Plain::new(request, None, |request, body| {
            use crate::models::InstallationOverview;
            if body.starts_with(b"PK\x03\x04") {
                return Ok(InstallationOverview::Xlsx(body.to_vec()));
            }
            let answer = decode::<crate::models::OverviewResponse>(request, body)?;
            Ok(InstallationOverview::Table(answer.data))
        });
        engine.run(&mut Call::new(), plain)
    }
}
