//! The answers of the VRM API, one module per endpoint family: what the
//! endpoint methods return, inside their [`Fetched`](crate::Fetched).
//!
//! The whole JSON body of each endpoint is read by a type of the crate's
//! own that requires its main field (`records`, `user`, `tokens`, …), so an
//! error body such as `{"success": false, "errors": …}` never decodes as an
//! answer: it becomes [`Error::Api`](crate::Error::Api).
//!
//! The types tolerate what the live service sends: numbers as strings,
//! `false` or `null` where a value is documented, missing and extra fields.
//! Small records keep unknown fields in `extra`; the raw body stays in the
//! cache, so nothing is lost. Timestamps keep VRM's unit in their name
//! (`timestamp_ms` in stats, `timestamp_s` in graphs; plain `timestamp`,
//! `last_timestamp` … are unix seconds) and have `OffsetDateTime` helpers.

pub(crate) mod de;

pub(crate) mod access;
pub(crate) mod alarms;
pub(crate) mod attributes;
pub(crate) mod auth;
pub(crate) mod dess;
pub(crate) mod devices;
pub(crate) mod diagnostics;
pub(crate) mod downloads;
pub(crate) mod error_body;
pub(crate) mod installations;
pub(crate) mod settings;
pub(crate) mod stats;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod widgets;

pub use access::{
    AccessLevel, InvitedUser, PendingUser, SiteGroup, SiteInvite, SiteUser, SiteUserGroup,
    SiteUsers,
};
pub use alarms::{Alarm, AlarmAttribute, AlarmDevice, AlarmLog, AlarmLogEntry, AlarmUser, Alarms};
pub use attributes::{AttributeSearch, AttributeSite, DataAttribute};
pub use dess::{DynamicEssSchedule, DynamicEssSettings};
pub use devices::{Device, SystemOverview};
pub use diagnostics::DiagnosticRecord;
pub use diagnostics::DiagnosticsPage;
pub use downloads::GpsDownloadResponse;
pub use downloads::InstallationOverview;
pub use installations::{EnumValue, ExtendedAttribute, Installation, InstanceValue, Tag};
pub use settings::CustomWidget;
pub use stats::{OverallPeriod, OverallStats, Point, Series, Stats, Total};
pub use tokens::{AccessToken, CreateTokenResponse, RevokeData};
pub use users::User;
pub use users::{AccessRequest, Invites, SearchHit, SiteGroupInvite, UserGroupInvite};
pub use widgets::{
    AttributeMeta, GraphPoint, GraphRecords, SecondsAgo, StateChange, StateData, SummaryAttribute,
    SummaryData, WidgetRecords,
};

// The whole bodies of the endpoints: the methods return what is inside
// them, so they are the crate's own (and, for its tests and benches, the
// private feature `internals` shows them as `vrm::wire`).
pub(crate) use access::{AckResponse, InviteResponse, InviteRightsResponse, SiteUsersResponse};
pub(crate) use attributes::DataAttributesResponse;
pub(crate) use auth::LoginResponse;
pub(crate) use devices::SystemOverviewResponse;
pub(crate) use diagnostics::DiagnosticsResponse;
pub(crate) use downloads::DataDownloadResponse;
pub(crate) use downloads::OverviewResponse;
pub(crate) use downloads::SuccessResponse;
pub(crate) use error_body::ApiErrorBody;
pub(crate) use installations::{InstallationsResponse, TagsResponse};
pub(crate) use stats::{OverallStatsResponse, StatsResponse};
pub(crate) use tokens::{RevokeResponse, TokensResponse};
pub(crate) use users::MeResponse;
pub(crate) use users::{InvitesResponse, SearchResponse, SiteIdResponse};
pub(crate) use widgets::{GraphResponse, WidgetResponse};
