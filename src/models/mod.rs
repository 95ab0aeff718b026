//! Response types of the VRM API, one module per endpoint family.
//!
//! Each `…Response` type is the whole JSON body of one endpoint and requires
//! its main field (`records`, `user`, `tokens`, …), so an error body such as
//! `{"success": false, "errors": …}` never decodes as one: it decodes as
//! [`ApiErrorBody`] instead.
//!
//! The types tolerate what the live service sends: numbers as strings,
//! `false` or `null` where a value is documented, missing and extra fields.
//! Small records keep unknown fields in `extra`; the raw body stays in the
//! cache, so nothing is lost. Timestamps keep VRM's unit in their name
//! (`timestamp_ms` in stats, `timestamp_s` in graphs; plain `timestamp`,
//! `last_timestamp` … are unix seconds) and have `OffsetDateTime` helpers.

pub(crate) mod de;

mod auth;
mod devices;
mod diagnostics;
mod downloads;
mod error_body;
mod installations;
mod stats;
mod tokens;
mod users;
mod widgets;

pub use auth::LoginResponse;
pub use devices::{Device, SystemOverview, SystemOverviewResponse};
pub use diagnostics::{DiagnosticRecord, DiagnosticsResponse};
pub use downloads::{DataDownloadResponse, GpsDownloadResponse};
pub use error_body::ApiErrorBody;
pub use installations::{
    EnumValue, ExtendedAttribute, Installation, InstallationsResponse, InstanceValue, Tag,
    TagsResponse,
};
pub use stats::{
    OverallPeriod, OverallStats, OverallStatsResponse, Point, Series, Stats, StatsResponse, Total,
};
pub use tokens::{AccessToken, CreateTokenResponse, RevokeData, RevokeResponse, TokensResponse};
pub use users::{MeResponse, User};
pub use widgets::{
    AttributeMeta, GraphPoint, GraphRecords, GraphResponse, SecondsAgo, StateChange, StateData,
    SummaryAttribute, SummaryData, WidgetRecords, WidgetResponse,
};
