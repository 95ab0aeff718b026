//! What one installation is set to: `installations/{idSite}/settings`,
//! `…/favorite`, `…/reset-forecasts` and `…/custom-widget`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::api::installations::SiteApi;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::models::CustomWidget;
use crate::models::de;
use crate::models::settings::{
    Ack, CustomWidgetCreated, CustomWidgetResponse, ForecastsResetResponse, SettingsResponse,
};
use crate::request::{Method, Request};
use crate::store::CacheKind;

/// Settings of an installation to change
/// (`POST /installations/{idSite}/settings`), with the spec's field names:
/// set the ones to change (at least one); the others stay out of the body.
///
/// ```
/// let mut change = vrm::SiteSettings::new();
/// change.description = Some("Boat".into());
/// change.realtime_updates = Some(true);
/// # let _ = change;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SiteSettings {
    /// The installation's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The phone number of the installation.
    #[serde(rename = "phonenumber", skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Timeout of the no-data alarm, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_data_alarm_timeout: Option<u64>,
    /// Whether the no-data alarm is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_data_alarm_active: Option<bool>,
    /// Geofence settings (a JSON object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geofence: Option<Map<String, Value>>,
    /// Whether the geofence is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geofence_enabled: Option<bool>,
    /// Whether alarm monitoring is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_monitoring: Option<bool>,
    /// Whether real-time updates are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_updates: Option<bool>,
    /// Whether Node-RED access is restricted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrict_node_red: Option<bool>,
    /// Whether inverter/charger control is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inverter_charger_control: Option<bool>,
    /// 1 to mark the installation a favorite of the current user, 0 not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favorite: Option<u8>,
}

impl SiteSettings {
    /// Nothing set yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn validate(&self) -> Result<()> {
        if *self == SiteSettings::default() {
            return Err(Error::invalid(
                "installation settings: nothing to change; expected at least one field \
                 (description, notes, phonenumber, …)",
            ));
        }
        if let Some(name) = &self.description
            && name.trim().is_empty()
        {
            return Err(Error::invalid(
                "installation description \"\": expected a name that is not blank",
            ));
        }
        if let Some(f) = self.favorite
            && f > 1
        {
            return Err(Error::invalid(format!(
                "installation favorite {f}: expected 0 or 1"
            )));
        }
        Ok(())
    }
}

/// A custom widget to add or change (`POST`/`PATCH
/// /installations/{idSite}/custom-widget`): its name, y-axis scaling and
/// parameters are required.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomWidgetSpec {
    name: String,
    y_axis_scaling: i64,
    parameters: Map<String, Value>,
    only_admins: Option<bool>,
}

impl CustomWidgetSpec {
    /// A widget `name` with VRM's `yAxisScaling` and its `parameters`
    /// (a JSON object: the attributes it shows, …).
    pub fn new(
        name: impl Into<String>,
        y_axis_scaling: i64,
        parameters: Map<String, Value>,
    ) -> Self {
        CustomWidgetSpec {
            name: name.into(),
            y_axis_scaling,
            parameters,
            only_admins: None,
        }
    }

    /// Only admins see it (`onlyAdmins`; default: VRM's).
    pub fn only_admins(mut self, only: bool) -> Self {
        self.only_admins = Some(only);
        self
    }

    fn body(&self, id: Option<u64>) -> Result<Value> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid(
                "custom widget name \"\": expected a name that is not blank",
            ));
        }
        let mut body = json!({
            "name": self.name,
            "yAxisScaling": self.y_axis_scaling,
            "parameters": self.parameters,
        });
        if let Some(only) = self.only_admins {
            body["onlyAdmins"] = json!(u8::from(only));
        }
        if let Some(id) = id {
            body["idCustomWidget"] = json!(id);
        }
        Ok(body)
    }
}

impl SiteApi<'_> {
    fn site_request(&self, method: Method, template: &'static str, tail: &str) -> Request {
        Request::new(
            method,
            template,
            format!("installations/{}/{tail}", self.id()),
        )
    }

    /// Change settings of the installation (name, notes, alarms, …);
    /// answers the settings as VRM stored them.
    ///
    /// `POST /installations/{idSite}/settings`. A write: never cached,
    /// refused offline; drops the account's cached installations (the name
    /// and settings appear there).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when nothing is set, for a blank name or a
    /// favorite not 0/1, with no request sent; transport and API errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// let mut change = vrm::SiteSettings::new();
    /// change.description = Some("Boat".into());
    /// vrm.site(vrm::SiteId(123)).set_settings(&change)?;
    /// # Ok(()) }
    /// ```
    pub fn set_settings(
        &self,
        settings: &SiteSettings,
    ) -> Result<Fetched<std::collections::BTreeMap<String, Value>>> {
        settings.validate()?;
        let request = self
            .site_request(Method::Post, "installations/{idSite}/settings", "settings")
            .json(settings)?;
        let stale = [(CacheKind::Installations, None)];
        Ok(self
            .client()
            .write_json::<SettingsResponse>(request, &stale)?
            .map(|r| r.data))
    }

    /// Mark the installation a favorite of the current user, or unmark it.
    ///
    /// `POST /installations/{idSite}/favorite` with body `{favorite: 1|0}`.
    /// A write: drops the account's cached installations.
    ///
    /// # Errors
    /// Transport and API errors.
    pub fn set_favorite(&self, favorite: bool) -> Result<Fetched<()>> {
        let request = self
            .site_request(Method::Post, "installations/{idSite}/favorite", "favorite")
            .json(&json!({ "favorite": u8::from(favorite) }))?;
        let stale = [(CacheKind::Installations, None)];
        Ok(self.client().write_json::<Ack>(request, &stale)?.map(drop))
    }

    /// When the forecasts of `reset_type` were last reset (`None`: never).
    ///
    /// `GET /installations/{idSite}/reset-forecasts?resetType=N`, cached as
    /// [`CacheKind::Forecast`]. The spec lists no parameter, but the live
    /// service refuses the call without `resetType`
    /// (`missing_parameters`); 0 is the spec's example type.
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn forecasts_last_reset(&self, reset_type: u32) -> Result<Fetched<Option<OffsetDateTime>>> {
        let request = self
            .site_request(
                Method::Get,
                "installations/{idSite}/reset-forecasts",
                "reset-forecasts",
            )
            .query("resetType", reset_type.to_string());
        Ok(self
            .client()
            .call_json::<ForecastsResetResponse>(
                request,
                Some((CacheKind::Forecast, Some(self.id().get()))),
            )?
            .map(|r| r.last_reset.filter(|&t| t > 0).and_then(de::unix_s)))
    }

    /// Reset the forecasts: the forecasting model ignores the data before
    /// now, as for a new installation.
    ///
    /// `POST /installations/{idSite}/reset-forecasts` with body
    /// `{resetType}`. A write: drops the site's cached forecast answers.
    ///
    /// # Errors
    /// Transport and API errors.
    pub fn reset_forecasts(&self, reset_type: u32) -> Result<Fetched<()>> {
        let request = self
            .site_request(
                Method::Post,
                "installations/{idSite}/reset-forecasts",
                "reset-forecasts",
            )
            .json(&json!({ "resetType": reset_type }))?;
        let stale = [(CacheKind::Forecast, Some(self.id().get()))];
        Ok(self.client().write_json::<Ack>(request, &stale)?.map(drop))
    }

    fn custom_widget_request(&self, method: Method) -> Request {
        self.site_request(
            method,
            "installations/{idSite}/custom-widget",
            "custom-widget",
        )
    }

    fn custom_widget_writes(&self) -> [(CacheKind, Option<u64>); 1] {
        [(CacheKind::CustomWidget, Some(self.id().get()))]
    }

    /// The custom widget `id`.
    ///
    /// `GET /installations/{idSite}/custom-widget?idCustomWidget=N`, cached
    /// as [`CacheKind::CustomWidget`].
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn custom_widget(&self, id: u64) -> Result<Fetched<CustomWidget>> {
        let request = self
            .custom_widget_request(Method::Get)
            .query("idCustomWidget", id.to_string());
        Ok(self
            .client()
            .call_json::<CustomWidgetResponse>(
                request,
                Some((CacheKind::CustomWidget, Some(self.id().get()))),
            )?
            .map(|r| r.widget))
    }

    /// Add a custom widget; answers its id, when VRM says.
    ///
    /// `POST /installations/{idSite}/custom-widget`. A write: drops the
    /// site's cached custom widgets.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a blank name, with no request sent;
    /// transport and API errors.
    pub fn add_custom_widget(&self, widget: &CustomWidgetSpec) -> Result<Fetched<Option<u64>>> {
        let request = self
            .custom_widget_request(Method::Post)
            .json(&widget.body(None)?)?;
        Ok(self
            .client()
            .write_json::<CustomWidgetCreated>(request, &self.custom_widget_writes())?
            .map(|r| r.id))
    }

    /// Change the custom widget `id`.
    ///
    /// `PATCH /installations/{idSite}/custom-widget`. A write, as
    /// [`add_custom_widget`](Self::add_custom_widget).
    ///
    /// # Errors
    /// As [`add_custom_widget`](Self::add_custom_widget).
    pub fn edit_custom_widget(&self, id: u64, widget: &CustomWidgetSpec) -> Result<Fetched<()>> {
        let request = self
            .custom_widget_request(Method::Patch)
            .json(&widget.body(Some(id))?)?;
        Ok(self
            .client()
            .write_json::<Ack>(request, &self.custom_widget_writes())?
            .map(drop))
    }

    /// Remove the custom widget `id`.
    ///
    /// `DELETE /installations/{idSite}/custom-widget` with body
    /// `{idCustomWidget}`. A write, as
    /// [`add_custom_widget`](Self::add_custom_widget).
    ///
    /// # Errors
    /// Transport and API errors.
    pub fn remove_custom_widget(&self, id: u64) -> Result<Fetched<()>> {
        let request = self
            .custom_widget_request(Method::Delete)
            .json(&json!({ "idCustomWidget": id }))?;
        Ok(self
            .client()
            .write_json::<Ack>(request, &self.custom_widget_writes())?
            .map(drop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_need_one_field_and_use_the_spec_names() {
        assert!(SiteSettings::new().validate().is_err());
        let mut s = SiteSettings::new();
        s.phone_number = Some("+31".into());
        s.no_data_alarm_timeout = Some(3600);
        s.restrict_node_red = Some(true);
        assert!(s.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"phonenumber":"+31","noDataAlarmTimeout":3600,"restrictNodeRed":true})
        );
        s.favorite = Some(2);
        assert!(s.validate().is_err());
    }

    #[test]
    fn widget_bodies() {
        let w = CustomWidgetSpec::new("PV", 0, Map::new()).only_admins(true);
        assert_eq!(
            w.body(Some(4)).unwrap(),
            json!({"name":"PV","yAxisScaling":0,"parameters":{},"onlyAdmins":1,"idCustomWidget":4})
        );
        assert!(
            CustomWidgetSpec::new(" ", 0, Map::new())
                .body(None)
                .is_err()
        );
    }
}
