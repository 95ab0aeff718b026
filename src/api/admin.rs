//! Admin and firmware operations: `admin/devices`,
//! `admin/installation-data-attributes-count`, `admin/search-download`,
//! `firmwares` and `systems/add-system`.
//!
//! Both OpenAPI files name these paths only by unresolved `$ref`s and the
//! text doc does not mention them, so their parameters and answers are
//! not documented: parameters go as given ([`AdminQuery`]) and answers are
//! the JSON VRM sends ([`serde_json::Value`]), or the file's bytes. The
//! `admin/…` paths answer 403 ([`Error::Api`] with status 403) to an
//! account that is not a VRM (restricted) admin. Reads are cached as the
//! exact answer of their request ([`CacheKind::Admin`]).

use serde_json::Value;

use crate::client::Client;
use crate::decode::{api_error, decode};
use crate::engine::{Call, Plain};
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::request::{Method, Request};
use crate::store::CacheKind;

/// Query parameters of an admin or firmware read, passed as given (the
/// spec documents none of them).
///
/// ```
/// use vrm::AdminQuery;
/// let query = AdminQuery::new().param("page", "2").param("search", "Cerbo");
/// assert_eq!(query.params().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AdminQuery {
    params: Vec<(String, String)>,
}

impl AdminQuery {
    /// No parameters.
    pub fn new() -> Self {
        AdminQuery::default()
    }

    /// Add `key=value` (a key may repeat, like `ids[]`).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((key.into(), value.into()));
        self
    }

    /// The parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    fn request(&self, template: &'static str) -> Result<Request> {
        let mut request = Request::get(template, template.to_owned());
        for (key, value) in &self.params {
            let key = key.trim();
            if key.is_empty() || key.chars().any(char::is_control) {
                return Err(Error::invalid(format!(
                    "query key {key:?}: expected a non-empty parameter name"
                )));
            }
            request = request.query(key.to_owned(), value.clone());
        }
        Ok(request)
    }
}

/// Any JSON answer but `{"success": false, …}`, which does not decode (so
/// the decoder makes it VRM's error, and a refused write drops nothing).
struct Accepted(Value);

impl<'de> serde::Deserialize<'de> for Accepted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        if value.get("success") == Some(&Value::Bool(false)) {
            return Err(serde::de::Error::custom("success: false"));
        }
        Ok(Accepted(value))
    }
}

fn loose(request: &Request, body: &[u8]) -> Result<Value> {
    decode::<Accepted>(request, body).map(|a| a.0)
}

impl Client {
    fn admin_read(&self, template: &'static str, query: &AdminQuery) -> Result<Fetched<Value>> {
        let request = query.request(template)?;
        let plain = Plain::new(request, Some((CacheKind::Admin, None)), loose);
        self.engine().run(&mut Call::new(), plain)
    }

    /// Devices across installations, for VRM admins: the JSON VRM sends
    /// (undocumented: the spec's `$ref` is unresolved).
    ///
    /// `GET /admin/devices`. Answers 403 to non-admins. Cached
    /// ([`CacheKind::Admin`]).
    ///
    /// # Errors
    /// [`Error::Api`] (403) for a non-admin; [`Error::InvalidInput`] for an
    /// empty parameter name; transport and decode errors.
    pub fn admin_devices(&self, query: &AdminQuery) -> Result<Fetched<Value>> {
        self.admin_read("admin/devices", query)
    }

    /// How many installations log each data attribute, for VRM admins:
    /// the JSON VRM sends (undocumented).
    ///
    /// `GET /admin/installation-data-attributes-count`. Answers 403 to
    /// non-admins. Cached ([`CacheKind::Admin`]).
    ///
    /// # Errors
    /// Those of [`admin_devices`](Self::admin_devices).
    pub fn admin_installation_data_attributes_count(
        &self,
        query: &AdminQuery,
    ) -> Result<Fetched<Value>> {
        self.admin_read("admin/installation-data-attributes-count", query)
    }

    /// An export of an installation search, for VRM admins: the body as
    /// VRM sends it (a file, or JSON; undocumented).
    ///
    /// `GET /admin/search-download`. Answers 403 to non-admins. Cached
    /// ([`CacheKind::Admin`]).
    ///
    /// # Errors
    /// Those of [`admin_devices`](Self::admin_devices); a JSON body with
    /// `success: false` is VRM's error.
    pub fn admin_search_download(&self, query: &AdminQuery) -> Result<Fetched<Vec<u8>>> {
        let request = query.request("admin/search-download")?;
        let plain = Plain::new(request, Some((CacheKind::Admin, None)), |request, body| {
            if let Ok(value) = serde_json::from_slice::<Value>(body)
                && value.get("success") == Some(&Value::Bool(false))
            {
                return Err(api_error(request, 200, body));
            }
            Ok(body.to_vec())
        });
        self.engine().run(&mut Call::new(), plain)
    }

    /// The firmware library: the JSON VRM sends (undocumented: the 2026
    /// spec's `$ref` is unresolved, the 2025 spec lacks the path).
    ///
    /// `GET /firmwares`. Cached ([`CacheKind::Admin`]).
    ///
    /// # Errors
    /// Those of [`admin_devices`](Self::admin_devices) (VRM decides who may
    /// read it).
    pub fn firmwares(&self, query: &AdminQuery) -> Result<Fetched<Value>> {
        self.admin_read("firmwares", query)
    }

    /// Add a system (a GX device) to the account: `body` is sent as given,
    /// as the spec documents none of it (a JSON object is required).
    ///
    /// `POST /systems/add-system`. A write: never cached, refused offline
    /// with no request, sent again only after a 429; once VRM accepts it,
    /// the cached installation lists are dropped (the new site is in the
    /// next list).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (before any request) for a body that is not
    /// a non-empty JSON object; [`Error::NotCached`] offline; API,
    /// transport and decode errors.
    pub fn add_system(&self, body: &Value) -> Result<Fetched<Value>> {
        if body.as_object().is_none_or(|o| o.is_empty()) {
            let kind = match body {
                Value::Object(_) => "{}",
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                Value::Null => "null",
            };
            return Err(Error::invalid(format!(
                "add-system body {kind}: expected a JSON object with the system's fields"
            )));
        }
        let request = Request::new(
            Method::Post,
            "systems/add-system",
            "systems/add-system".to_owned(),
        )
        .json(body)?;
        Ok(self
            .write_json::<Accepted>(request, &[(CacheKind::Installations, None)])?
            .map(|a| a.0))
    }
}
