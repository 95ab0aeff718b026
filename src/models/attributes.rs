//! VRM's live attribute catalogue (`GET /data-attributes`) and the search
//! of installations by attribute values (`GET /installation-data-attributes`).
//! The static catalogue of the doc is [`crate::catalog`]; these are what
//! VRM serves today.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::de;
use crate::ids::SiteId;

/// One attribute of VRM's live catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DataAttribute {
    /// The attribute's id (`idDataAttribute`): the key VRM files it under.
    #[serde(default, rename = "idDataAttribute", deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    /// Its code (`bs`, `Pc`, …).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
    /// Its data type (`float`, `enum`, `string`, …), as sent.
    #[serde(default, rename = "dataType", deserialize_with = "de::opt_string")]
    pub data_type: Option<String>,
    /// What it is.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// Its printf-style format with unit (`%.1F %%`).
    #[serde(
        default,
        rename = "formatWithUnit",
        deserialize_with = "de::opt_string"
    )]
    pub format_with_unit: Option<String>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of `GET /data-attributes`: an object of attributes keyed by
/// `idDataAttribute` (or a list, as PHP sends a 0-based map). Sorted by id;
/// an entry that is no object is passed over.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DataAttributesResponse {
    /// The attributes, by id.
    pub attributes: Vec<DataAttribute>,
}

impl<'de> Deserialize<'de> for DataAttributesResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        // The spec documents the bare object; a `{"success", "records"|"data"}`
        // envelope is read too.
        let body = match raw {
            Value::Object(mut map)
                if map.contains_key("success")
                    && (map.contains_key("records") || map.contains_key("data")) =>
            {
                map.remove("records")
                    .or_else(|| map.remove("data"))
                    .unwrap_or(Value::Null)
            }
            Value::Object(map) if map.get("success") == Some(&Value::Bool(false)) => {
                return Err(serde::de::Error::custom("an error body"));
            }
            other => other,
        };
        let entries: Vec<(Option<u64>, Value)> = match body {
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| (k.trim().parse().ok(), v))
                .collect(),
            Value::Array(list) => list.into_iter().map(|v| (None, v)).collect(),
            Value::Null | Value::Bool(false) => Vec::new(),
            _ => return Err(serde::de::Error::custom("expected an object of attributes")),
        };
        let mut attributes: Vec<DataAttribute> = entries
            .into_iter()
            .filter_map(|(key, value)| {
                let mut attribute: DataAttribute = match value {
                    Value::Object(_) => serde_json::from_value(value).ok()?,
                    _ => return None,
                };
                if attribute.id.is_none() {
                    attribute.id = key;
                }
                Some(attribute)
            })
            .collect();
        attributes.sort_by_key(|a| a.id.unwrap_or(u64::MAX));
        Ok(DataAttributesResponse { attributes })
    }
}

/// The answer of `GET /installation-data-attributes`: the installations
/// matching every condition, with the attributes' last values.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AttributeSearch {
    /// The matching installations (`records`: required, so an error body
    /// never decodes as an empty answer).
    #[serde(rename = "records", deserialize_with = "de::list_or_empty")]
    pub sites: Vec<AttributeSite>,
    /// The attributes of the query.
    #[serde(default, deserialize_with = "de::list_or_empty")]
    pub attributes: Vec<DataAttribute>,
    /// How many installations match in all (for paging), if VRM said.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub num_records: Option<u64>,
}

impl AttributeSearch {
    /// The attribute of the query with this code.
    pub fn attribute(&self, code: &str) -> Option<&DataAttribute> {
        self.attributes
            .iter()
            .find(|a| a.code.as_deref() == Some(code))
    }
}

/// One installation matching an attribute search.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct AttributeSite {
    /// The installation.
    #[serde(default, rename = "idSite", deserialize_with = "de::opt_id")]
    pub id_site: Option<SiteId>,
    /// Its name.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// The unix time (s) of its latest data point.
    #[serde(default, rename = "lastTimestamp", deserialize_with = "de::opt_i64")]
    pub last_timestamp: Option<i64>,
    /// The values, as `value_{code}` keys, and any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AttributeSite {
    /// The last value of attribute `code` (`value_{code}`), as sent
    /// (`null`, text or a number).
    pub fn value(&self, code: &str) -> Option<&Value> {
        self.extra.get(&format!("value_{code}"))
    }

    /// The value of `code` as a number (numbers sent as text included).
    pub fn value_f64(&self, code: &str) -> Option<f64> {
        self.value(code).and_then(de::value_f64)
    }

    /// The values by code.
    pub fn values(&self) -> BTreeMap<&str, &Value> {
        self.extra
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("value_").map(|code| (code, v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_object_list_and_odd_entries() {
        let r: DataAttributesResponse = serde_json::from_str(
            r#"{"81":{"code":"V","dataType":"float","description":"Voltage","formatWithUnit":"%.2F V"},
                "5":{"code":"lt","dataType":"float","description":"Latitude","formatWithUnit":false,"x":1},
                "9":"odd","12":{"code":3}}"#,
        )
        .unwrap();
        let ids: Vec<_> = r.attributes.iter().map(|a| a.id).collect();
        assert_eq!(ids, [Some(5), Some(12), Some(81)]);
        assert_eq!(r.attributes[0].format_with_unit, None);
        assert_eq!(r.attributes[0].extra["x"], Value::from(1));
        assert_eq!(r.attributes[1].code.as_deref(), Some("3"));
        let r: DataAttributesResponse = serde_json::from_str(
            r#"{"success":true,"records":[{"idDataAttribute":"2","code":"a"}]}"#,
        )
        .unwrap();
        assert_eq!(r.attributes[0].id, Some(2));
        assert!(
            serde_json::from_str::<DataAttributesResponse>(r#"{"success":false,"errors":"x"}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<DataAttributesResponse>("7").is_err());
    }

    #[test]
    fn search_values_and_error_bodies() {
        let s: AttributeSearch = serde_json::from_str(
            r#"{"success":true,"records":[{"idSite":"151734","description":"Boat","lastTimestamp":"1795600000",
                "value_bs":"55.5","value_IV1":null}],"attributes":false,"num_records":"1"}"#,
        )
        .unwrap();
        assert_eq!(s.sites[0].id_site, Some(SiteId(151_734)));
        assert_eq!(s.sites[0].value_f64("bs"), Some(55.5));
        assert_eq!(s.sites[0].value("IV1"), Some(&Value::Null));
        assert_eq!(s.sites[0].values().len(), 2);
        assert_eq!(s.num_records, Some(1));
        assert!(
            serde_json::from_str::<AttributeSearch>(r#"{"success":false,"errors":["x"]}"#).is_err()
        );
    }
}
