//! `GET /installations/{idSite}/diagnostics?count=N`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::de;
use super::installations::{EnumValue, enum_name};
use crate::ids::SiteId;

/// The answer of `GET /installations/{idSite}/diagnostics`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DiagnosticsResponse {
    /// The latest logged value of each attribute (`false` → empty).
    #[serde(deserialize_with = "de::list_or_empty")]
    pub records: Vec<DiagnosticRecord>,
    /// How many records exist in all (for paging).
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub num_records: Option<u64>,
}

/// One page of `GET /installations/{idSite}/diagnostics?count&page`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DiagnosticsPage {
    /// The records of the page.
    pub records: Vec<DiagnosticRecord>,
    /// How many records VRM holds in all (`num_records`), if it said.
    pub num_records: Option<u64>,
    /// The page asked for (1 is the first).
    pub page: u32,
}

impl DiagnosticsPage {
    pub(crate) fn new(records: Vec<DiagnosticRecord>, num_records: Option<u64>, page: u32) -> Self {
        DiagnosticsPage {
            records,
            num_records,
            page,
        }
    }

    /// Whether pages follow this one (`page × count < num_records`, with
    /// `count` the records asked for per page). Unknown totals say no.
    pub fn has_more(&self, count: u32) -> bool {
        self.num_records
            .is_some_and(|n| u64::from(self.page).saturating_mul(u64::from(count)) < n)
    }
}

/// The latest logged value of one attribute of one device.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DiagnosticRecord {
    /// The installation.
    #[serde(rename = "idSite", default, deserialize_with = "de::opt_id")]
    pub id_site: Option<SiteId>,
    /// When the value was logged, unix seconds.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub timestamp: Option<i64>,
    /// The device's name (`"Gateway"`, `"Battery Monitor"`; JSON key `Device`).
    #[serde(rename = "Device", default, deserialize_with = "de::opt_string")]
    pub device: Option<String>,
    /// The device instance.
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub instance: Option<u32>,
    /// The data attribute id.
    #[serde(rename = "idDataAttribute", default, deserialize_with = "de::opt_u64")]
    pub id_data_attribute: Option<u64>,
    /// Human description (`"Voltage"`).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// printf-style format with unit (`"%.2F V"`).
    #[serde(
        rename = "formatWithUnit",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub format_with_unit: Option<String>,
    /// D-Bus service type.
    #[serde(
        rename = "dbusServiceType",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub dbus_service_type: Option<String>,
    /// D-Bus path.
    #[serde(rename = "dbusPath", default, deserialize_with = "de::opt_string")]
    pub dbus_path: Option<String>,
    /// The attribute code (`"bv"`, `"SOC"`, …).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
    /// True when the attribute is a bitmask (`1`/`0`).
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub bitmask: Option<bool>,
    /// The raw value: number, numeric string or text. See
    /// [`raw_f64`](Self::raw_f64).
    #[serde(rename = "rawValue", default)]
    pub raw_value: Option<Value>,
    /// The value formatted with its unit.
    #[serde(
        rename = "formattedValue",
        default,
        deserialize_with = "de::opt_string"
    )]
    pub formatted_value: Option<String>,
    /// For enums: the possible values.
    #[serde(
        rename = "dataAttributeEnumValues",
        default,
        deserialize_with = "de::list_or_empty"
    )]
    pub data_attribute_enum_values: Vec<EnumValue>,
    /// The log record's id.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DiagnosticRecord {
    /// The raw value as a number, when it is one or a numeric string.
    pub fn raw_f64(&self) -> Option<f64> {
        self.raw_value.as_ref().and_then(de::value_f64)
    }

    /// When the value was logged.
    pub fn time(&self) -> Option<OffsetDateTime> {
        self.timestamp.and_then(de::unix_s)
    }

    /// For enums: the name of the current raw value.
    pub fn enum_text(&self) -> Option<&str> {
        let value = self.raw_f64()?;
        if value.fract() != 0.0 {
            return None;
        }
        enum_name(&self.data_attribute_enum_values, value as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_diagnostics() {
        let r: DiagnosticsResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/diagnostics.json")).unwrap();
        assert_eq!(r.num_records, Some(3));
        assert_eq!(r.records.len(), 3);
        let gw = &r.records[0];
        assert_eq!(gw.id_site, Some(SiteId(1495)));
        assert_eq!(gw.timestamp, Some(1_497_056_046));
        assert_eq!(gw.time().map(|t| t.unix_timestamp()), Some(1_497_056_046));
        assert_eq!(gw.device.as_deref(), Some("Gateway"));
        assert_eq!(gw.instance, Some(0));
        assert_eq!(gw.id_data_attribute, Some(1));
        assert_eq!(gw.description.as_deref(), Some("gatewayID"));
        assert_eq!(gw.code.as_deref(), Some("d"));
        assert_eq!(gw.formatted_value.as_deref(), Some("Venus"));
        assert_eq!(gw.data_attribute_enum_values.len(), 3);
        assert_eq!(gw.enum_text(), Some("Venus"));
        assert_eq!(gw.id, Some(1));
        assert_eq!(gw.bitmask, Some(false));

        let bv = &r.records[1];
        assert_eq!(bv.raw_f64(), Some(13.38));
        assert_eq!(bv.dbus_path.as_deref(), Some("/Dc/Battery/Voltage"));
        assert!(bv.data_attribute_enum_values.is_empty());
        assert_eq!(bv.extra.get("unknownField"), Some(&Value::from("kept")));

        let text = &r.records[2];
        assert_eq!(text.raw_value, Some(Value::from("v2.80")));
        assert_eq!(text.raw_f64(), None);
        assert_eq!(text.id_site, Some(SiteId(1495))); // sent as "1495"
        assert_eq!(text.instance, Some(0));

        let back: DiagnosticsResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn quirks() {
        let r: DiagnosticsResponse =
            serde_json::from_str(r#"{"success":true,"records":false}"#).unwrap();
        assert!(r.records.is_empty());
        assert_eq!(r.num_records, None);
        let r: DiagnosticsResponse =
            serde_json::from_str(r#"{"records":[{"rawValue":null,"dataAttributeEnumValues":false,"num":"x"}],"num_records":"1"}"#)
                .unwrap();
        assert_eq!(r.num_records, Some(1));
        assert_eq!(r.records[0].raw_value, None);
        assert_eq!(r.records[0].enum_text(), None);
        let err = r#"{"success":false,"errors":"No access","error_code":"forbidden"}"#;
        assert!(serde_json::from_str::<DiagnosticsResponse>(err).is_err());
    }
}
