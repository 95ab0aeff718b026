//! VRM's error body: `{"success": false, "error_code": …, "errors": …}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de;

/// The body VRM sends with an error (and sometimes with HTTP 200).
///
/// `errors` arrives as a string, a list of strings, or an object of
/// field → message(s); all become a flat list, object entries as
/// `"field: message"`. Some endpoints say `error` instead of `errors`; both
/// are read.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(from = "RawErrorBody")]
#[non_exhaustive]
pub struct ApiErrorBody {
    /// `false` for an error; `None` when the body does not say.
    pub success: Option<bool>,
    /// VRM's machine-readable code (`"no_data"`, `"missing_parameters"`, …).
    pub error_code: Option<String>,
    /// The messages, flattened; empty when the body gives none.
    pub errors: Vec<String>,
}

impl ApiErrorBody {
    /// True when the body says `"success": false`.
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))] // tests
    pub fn is_failure(&self) -> bool {
        self.success == Some(false)
    }

    /// The messages joined with `"; "` (empty when there are none).
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))] // tests
    pub fn message(&self) -> String {
        self.errors.join("; ")
    }
}

/// The wire shape, before `errors` is flattened.
#[derive(Deserialize)]
struct RawErrorBody {
    #[serde(default, deserialize_with = "de::opt_bool")]
    success: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    error_code: Option<String>,
    #[serde(default)]
    errors: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

impl From<RawErrorBody> for ApiErrorBody {
    fn from(raw: RawErrorBody) -> Self {
        let mut errors = Vec::new();
        for value in [raw.errors, raw.error].into_iter().flatten() {
            flatten_errors(None, &value, &mut errors);
        }
        ApiErrorBody {
            success: raw.success,
            error_code: raw.error_code,
            errors,
        }
    }
}

/// Append the messages in `value` to `out`, prefixed with `field: `.
fn flatten_errors(field: Option<&str>, value: &Value, out: &mut Vec<String>) {
    let mut push = |text: String| match field {
        Some(f) => out.push(format!("{f}: {text}")),
        None => out.push(text),
    };
    match value {
        Value::Null | Value::Bool(false) => {}
        Value::String(s) if s.is_empty() => {}
        Value::String(s) => push(s.clone()),
        Value::Bool(true) => push("true".to_owned()),
        Value::Number(n) => push(n.to_string()),
        Value::Array(items) => {
            for item in items {
                flatten_errors(field, item, out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let nested = match field {
                    Some(f) => format!("{f}.{key}"),
                    None => key.clone(),
                };
                flatten_errors(Some(&nested), item, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> ApiErrorBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn live_error_bodies() {
        let e = decode(include_str!(
            "../../tests/fixtures/dynamic_ess_settings.json"
        ));
        assert!(e.is_failure());
        assert_eq!(e.error_code, None);
        assert_eq!(e.errors, ["No settings found for this site"]);

        let e = decode(include_str!(
            "../../tests/fixtures/forecasts_last_reset.json"
        ));
        assert_eq!(e.success, Some(false));
        assert_eq!(e.error_code.as_deref(), Some("missing_parameters"));
        assert_eq!(e.errors, ["ResetType em falta"]);
        assert_eq!(e.message(), "ResetType em falta");
    }

    #[test]
    fn doc_error_bodies() {
        let e = decode(include_str!("../../tests/fixtures/error_no_data.json"));
        assert_eq!(e.error_code.as_deref(), Some("no_data"));
        assert_eq!(e.errors, ["Site has no stats for this period."]);

        let e = decode(include_str!("../../tests/fixtures/error_fields.json"));
        assert_eq!(e.success, Some(false));
        assert_eq!(e.error_code.as_deref(), Some("invalid_credentials"));
        assert_eq!(
            e.errors,
            [
                "password: Password is required",
                "username: Not an e-mail address",
                "username: Unknown user"
            ]
        );
    }

    #[test]
    fn errors_shapes() {
        let e = decode(r#"{"success":false,"errors":"Token expired","error_code":null}"#);
        assert_eq!(e.errors, ["Token expired"]);
        assert_eq!(e.error_code, None);

        let e = decode(r#"{"success":false,"errors":["a","b"],"error_code":"x"}"#);
        assert_eq!(e.errors, ["a", "b"]);
        assert_eq!(e.message(), "a; b");

        let e =
            decode(r#"{"success":false,"errors":{"name":["taken"],"expiry":{"min":"too soon"}}}"#);
        assert_eq!(e.errors, ["expiry.min: too soon", "name: taken"]);

        let e = decode(r#"{"success":false}"#);
        assert!(e.errors.is_empty());
        assert!(e.is_failure());

        let e = decode(
            r#"{"success":false,"error_code":"empty_search","error":["No search string has been provided."]}"#,
        );
        assert_eq!(e.errors, ["No search string has been provided."]);

        let e = decode(r#"{"success":"0","errors":null,"error_code":42}"#);
        assert_eq!(e.success, Some(false));
        assert_eq!(e.error_code.as_deref(), Some("42"));

        // A success body is not a failure.
        let e = decode(r#"{"success":true,"records":[]}"#);
        assert!(!e.is_failure());
        assert!(serde_json::from_str::<ApiErrorBody>("\"x\"").is_err());
    }

    #[test]
    fn round_trips() {
        let e = decode(r#"{"success":false,"errors":"x","error_code":"y"}"#);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(decode(&json), e);
    }
}
