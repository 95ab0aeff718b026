//! The answers of a site's settings, favorite, forecasts reset and custom
//! widget calls, and the bare acknowledgement many writes answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::de;

/// A write's bare answer, `{"success": true, …}`: `success` is required
/// (a body without it is not VRM's acknowledgement).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Ack {
    /// True when VRM did it (`false` bodies are API errors before this).
    #[serde(deserialize_with = "de::opt_bool")]
    pub success: Option<bool>,
}

/// The answer of `POST /installations/{idSite}/settings`: `{success, idSite, data}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SettingsResponse {
    /// Required, as in [`Ack`].
    #[serde(deserialize_with = "de::opt_bool")]
    pub success: Option<bool>,
    /// The settings as VRM stored them (`description`, …).
    #[serde(default, deserialize_with = "de::map_or_empty")]
    pub data: std::collections::BTreeMap<String, Value>,
}

/// The answer of `GET /installations/{idSite}/reset-forecasts`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ForecastsResetResponse {
    /// Unix seconds of the last reset, 0 when never (required).
    #[serde(deserialize_with = "de::opt_i64")]
    pub last_reset: Option<i64>,
}

/// The answer of `GET /installations/{idSite}/custom-widget`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct CustomWidgetResponse {
    /// The widget (required).
    pub widget: CustomWidget,
}

/// A custom widget of an installation: a graph the user put together.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct CustomWidget {
    /// VRM's `idCustomWidget`.
    #[serde(rename = "idCustomWidget", default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    /// The widget's name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    /// Whether only admins see it.
    #[serde(rename = "onlyAdmins", default, deserialize_with = "de::opt_bool")]
    pub only_admins: Option<bool>,
    /// VRM's y-axis scaling setting.
    #[serde(rename = "yAxisScaling", default, deserialize_with = "de::opt_i64")]
    pub y_axis_scaling: Option<i64>,
    /// The widget's parameters (attributes, instances, …), as sent.
    #[serde(default)]
    pub parameters: Option<Value>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of `POST /installations/{idSite}/custom-widget`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct CustomWidgetCreated {
    /// Required, as in [`Ack`].
    #[serde(deserialize_with = "de::opt_bool")]
    pub success: Option<bool>,
    /// The new widget's id, when VRM says.
    #[serde(rename = "idCustomWidget", default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_need_their_main_field() {
        assert!(serde_json::from_str::<Ack>("{}").is_err());
        assert!(serde_json::from_str::<ForecastsResetResponse>(r#"{"success":false}"#).is_err());
        let r: ForecastsResetResponse =
            serde_json::from_str(r#"{"success":true,"last_reset":"1700000000"}"#).unwrap();
        assert_eq!(r.last_reset, Some(1_700_000_000));
        let w: CustomWidgetResponse = serde_json::from_str(
            r#"{"success":true,"widget":{"idCustomWidget":"4","name":"PV","onlyAdmins":0,"parameters":{"a":1},"z":2}}"#,
        )
        .unwrap();
        assert_eq!(w.widget.id, Some(4));
        assert_eq!(w.widget.only_admins, Some(false));
        assert_eq!(w.widget.extra["z"], 2);
    }
}
