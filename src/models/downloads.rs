//! `GET /installations/{idSite}/data-download` and `…/gps-download`.
//!
//! Neither answers with a typed JSON record: data-download sends the file
//! base64-encoded (as a JSON string), and gps-download is documented by the
//! OpenAPI as a KML file (`application/vnd.google-earth.kml+xml`), not JSON.
//! Both types therefore also offer `from_body`, for bodies that are not
//! JSON at all.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::de::LenientString;

/// The answer of `GET /installations/{idSite}/data-download`: the exported
/// file (CSV or XLSX), base64-encoded.
///
/// Decodes from a bare JSON string or from an object holding the string in
/// `data` (or `records`/`file`). An object without one, such as VRM's
/// `{"success": true}` for an export sent by e-mail, or an error body, does
/// not decode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
#[non_exhaustive]
pub struct DataDownloadResponse {
    /// The file's bytes in base64 (may contain line breaks).
    pub data: String,
}

impl DataDownloadResponse {
    /// The base64 text of the file.
    pub fn base64(&self) -> &str {
        &self.data
    }

    /// Read a body that is JSON (see the type's docs) or bare base64 text
    /// without JSON quotes. `None` for anything else.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        if let Ok(parsed) = serde_json::from_slice::<Self>(body) {
            return Some(parsed);
        }
        let text = std::str::from_utf8(body).ok()?.trim();
        let is_base64 = !text.is_empty()
            && text.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b'\n')
            });
        is_base64.then(|| DataDownloadResponse {
            data: text.to_owned(),
        })
    }
}

impl<'de> Deserialize<'de> for DataDownloadResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DataDownloadResponse;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 string, or an object with one in `data`")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DataDownloadResponse { data: v.to_owned() })
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(DataDownloadResponse { data: v })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut data = None;
                while let Some(key) = map.next_key::<super::de::MapKey>()? {
                    match key.0.as_str() {
                        "data" | "records" | "file" if data.is_none() => {
                            data = map.next_value::<LenientString>()?.0;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                data.map(|data| DataDownloadResponse { data })
                    .ok_or_else(|| {
                        de::Error::custom("no base64 `data` in the data-download answer")
                    })
            }
        }
        d.deserialize_any(V)
    }
}

/// A bare `{"success": true}` answer: an export started in the
/// background (`data-download?async=1`), an overview sent by mail.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SuccessResponse {
    /// Whether VRM accepted it (`"1"`, `1` and `true` count as yes).
    #[serde(default, deserialize_with = "super::de::opt_bool")]
    pub success: Option<bool>,
}

/// The answer of `POST /installation-overview-download`: the overview as
/// JSON (`jsonResponse: true`) or as an XLSX file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InstallationOverview {
    /// The JSON form: per site id (VRM's keys, kept as sent), per column
    /// header (`"Installation name"`, `"Battery %"`, `"Last Update"`, …)
    /// the cell as VRM sent it (text, mostly: `"50.00 V"`).
    Table(std::collections::BTreeMap<String, serde_json::Map<String, Value>>),
    /// The XLSX file's bytes.
    Xlsx(Vec<u8>),
}

impl InstallationOverview {
    /// The rows of the JSON form (empty for a file).
    pub fn rows(&self) -> impl Iterator<Item = (&str, &serde_json::Map<String, Value>)> {
        let rows = match self {
            InstallationOverview::Table(rows) => Some(rows),
            InstallationOverview::Xlsx(_) => None,
        };
        rows.into_iter()
            .flat_map(|rows| rows.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// The file's bytes, if the answer was a file.
    pub fn file(&self) -> Option<&[u8]> {
        match self {
            InstallationOverview::Xlsx(bytes) => Some(bytes),
            InstallationOverview::Table(_) => None,
        }
    }
}

/// The JSON body of `POST /installation-overview-download`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct OverviewResponse {
    /// Rows by site; `false`, `[]` or `null` → none. A row that is not an
    /// object is passed over.
    #[serde(deserialize_with = "overview_rows")]
    pub data: std::collections::BTreeMap<String, serde_json::Map<String, Value>>,
}

fn overview_rows<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, serde_json::Map<String, Value>>, D::Error> {
    let raw: std::collections::BTreeMap<String, Value> = super::de::map_or_empty(d)?;
    Ok(raw
        .into_iter()
        .filter_map(|(site, row)| match row {
            Value::Object(map) => Some((site, map)),
            _ => None,
        })
        .collect())
}

/// The answer of `GET /installations/{idSite}/gps-download`.
///
/// The OpenAPI documents a KML file; the client may also meet it wrapped in
/// JSON. [`from_body`](Self::from_body) reads either.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GpsDownloadResponse {
    /// The tracks as KML (XML) text.
    Kml(String),
    /// A JSON `records` value, kept as sent (shape undocumented).
    Records(Value),
}

impl GpsDownloadResponse {
    /// The KML text, if the answer was KML.
    pub fn kml(&self) -> Option<&str> {
        match self {
            GpsDownloadResponse::Kml(text) => Some(text),
            GpsDownloadResponse::Records(_) => None,
        }
    }

    /// Read a body: JSON as described for `Deserialize` (a string, or an
    /// object with `data`/`kml`/`records`), or raw KML/XML text. `None` for
    /// anything else (an error body, for instance).
    pub fn from_body(body: &[u8]) -> Option<Self> {
        if let Ok(parsed) = serde_json::from_slice::<Self>(body) {
            return Some(parsed);
        }
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim_start_matches('\u{feff}').trim();
        trimmed
            .starts_with('<')
            .then(|| GpsDownloadResponse::Kml(trimmed.to_owned()))
    }
}

impl Serialize for GpsDownloadResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            GpsDownloadResponse::Kml(text) => s.serialize_str(text),
            GpsDownloadResponse::Records(value) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("records", value)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for GpsDownloadResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GpsDownloadResponse;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("KML text, or an object with `data`, `kml` or `records`")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(GpsDownloadResponse::Kml(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<super::de::MapKey>()? {
                    match key.0.as_str() {
                        "data" | "kml" | "records" if found.is_none() => {
                            found = match map.next_value::<Value>()? {
                                Value::String(text) => Some(GpsDownloadResponse::Kml(text)),
                                Value::Null | Value::Bool(false) => None,
                                other => Some(GpsDownloadResponse::Records(other)),
                            };
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                found.ok_or_else(|| de::Error::custom("no GPS data in the gps-download answer"))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_download_shapes() {
        let r: DataDownloadResponse = serde_json::from_str(r#""dGltZSxidg0KMSwxMy4y""#).unwrap();
        assert_eq!(r.base64(), "dGltZSxidg0KMSwxMy4y");
        let r: DataDownloadResponse =
            serde_json::from_str(include_str!("../../tests/fixtures/data_download.json")).unwrap();
        assert_eq!(r.base64(), "dGltZXN0YW1wLGJ2CjE0NDEwNjYyMTYsMTMuMzgK");
        assert!(serde_json::from_str::<DataDownloadResponse>(r#"{"success":true}"#).is_err());
        assert!(
            serde_json::from_str::<DataDownloadResponse>(r#"{"success":false,"errors":"x"}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<DataDownloadResponse>("42").is_err());
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#""dGltZXN0YW1wLGJ2CjE0NDEwNjYyMTYsMTMuMzgK""#
        );
    }

    #[test]
    fn data_download_from_body() {
        assert_eq!(
            DataDownloadResponse::from_body(b"\"QUJD\"").map(|r| r.data),
            Some("QUJD".to_owned())
        );
        assert_eq!(
            DataDownloadResponse::from_body(b"QUJD\r\nREVG==\n").map(|r| r.data),
            Some("QUJD\r\nREVG==".to_owned())
        );
        assert_eq!(DataDownloadResponse::from_body(b"<html>"), None);
        assert_eq!(DataDownloadResponse::from_body(b""), None);
        assert_eq!(
            DataDownloadResponse::from_body(br#"{"success":false}"#),
            None
        );
    }

    #[test]
    fn gps_download_shapes() {
        let kml = include_str!("../../tests/fixtures/gps_download.kml");
        let r = GpsDownloadResponse::from_body(kml.as_bytes()).unwrap();
        assert!(r.kml().unwrap().contains("<coordinates>"));
        assert!(r.kml().unwrap().starts_with("<?xml"));

        let r: GpsDownloadResponse =
            serde_json::from_str(r#"{"success":true,"data":"<kml/>"}"#).unwrap();
        assert_eq!(r.kml(), Some("<kml/>"));
        let r: GpsDownloadResponse =
            serde_json::from_str(r#"{"success":true,"records":[{"lat":52.1,"lng":5.2}]}"#).unwrap();
        assert_eq!(
            r,
            GpsDownloadResponse::Records(serde_json::json!([{"lat":52.1,"lng":5.2}]))
        );
        assert_eq!(r.kml(), None);
        let back: GpsDownloadResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert!(
            serde_json::from_str::<GpsDownloadResponse>(r#"{"success":false,"errors":"x"}"#)
                .is_err()
        );
        assert_eq!(
            GpsDownloadResponse::from_body(br#"{"success":false,"errors":"x"}"#),
            None
        );
        assert_eq!(GpsDownloadResponse::from_body(b"not kml"), None);
    }
}
