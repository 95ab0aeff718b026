//! VRM's live attribute catalogue, `GET /data-attributes`, and the search
//! of installations by attribute values, `GET /installation-data-attributes`.
//! The doc's static catalogue stays in [`crate::catalog`].

use crate::client::Client;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::models::{AttributeSearch, DataAttribute, DataAttributesResponse};
use crate::request::Request;
use crate::store::CacheKind;

/// The parameters of `GET /installation-data-attributes`: up to five
/// conditions on data attributes, one page of the matches.
///
/// ```
/// use vrm::AttributeQuery;
/// let query = AttributeQuery::new("bs>=50,IV1!").page(2).count(500);
/// assert_eq!(query.conditions(), "bs>=50,IV1!");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeQuery {
    query: String,
    page: Option<u32>,
    count: Option<u32>,
}

impl AttributeQuery {
    /// The conditions, in VRM's filter syntax: comma-separated (or `AND`)
    /// conditions on attribute codes — `bs` (has data), `IV1!` (has none),
    /// `bs>=50`, `au=(1 OR 2)`, `name="x"`. Non-admins may give at most 5
    /// (VRM answers 422 to more).
    pub fn new(conditions: impl Into<String>) -> Self {
        AttributeQuery {
            query: conditions.into(),
            page: None,
            count: None,
        }
    }

    /// The page (1 is the first; VRM's default).
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Installations per page, 1 to 1000 (VRM's default 100).
    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    /// The conditions.
    pub fn conditions(&self) -> &str {
        &self.query
    }

    fn request(&self) -> Result<Request> {
        if self.query.chars().any(char::is_control) {
            return Err(Error::invalid(format!(
                "attribute search {:?}: expected printable characters only",
                self.query.chars().take(40).collect::<String>()
            )));
        }
        let query = self.query.trim();
        if query.is_empty() {
            return Err(Error::invalid(
                "attribute search without conditions: expected conditions such as bs>=50,IV1!",
            ));
        }
        if query.len() > 2000 {
            return Err(Error::invalid(format!(
                "attribute search {:?}…: expected at most 2000 characters",
                query.chars().take(40).collect::<String>()
            )));
        }
        if self.page == Some(0) {
            return Err(Error::invalid(
                "attribute search page 0: expected 1 or more (pages count from 1)",
            ));
        }
        if let Some(count) = self.count.filter(|c| !(1..=1000).contains(c)) {
            return Err(Error::invalid(format!(
                "attribute search count {count}: expected 1 to 1000"
            )));
        }
        let mut request = Request::get(
            "installation-data-attributes",
            "installation-data-attributes".to_owned(),
        )
        .query("query", query.to_owned());
        if let Some(page) = self.page {
            request = request.query("page", page.to_string());
        }
        if let Some(count) = self.count {
            request = request.query("count", count.to_string());
        }
        Ok(request)
    }
}

impl Client {
    /// VRM's live attribute catalogue: every data attribute with its code,
    /// data type, description and format, sorted by id.
    ///
    /// `GET /data-attributes`. Cached as one answer for
    /// [`CacheKind::Attributes`]'s time (24 hours by default). The doc's
    /// static table ([`crate::catalog`]) answers without VRM.
    ///
    /// # Errors
    /// [`Error::NotCached`] offline; transport, API and decode errors.
    pub fn data_attributes(&self) -> Result<Fetched<Vec<DataAttribute>>> {
        let request = Request::get("data-attributes", "data-attributes".to_owned());
        Ok(self
            .call_json::<DataAttributesResponse>(request, Some((CacheKind::Attributes, None)))?
            .map(|r| r.attributes))
    }

    /// The account's installations that match every condition of `query`,
    /// with the attributes' last values.
    ///
    /// `GET /installation-data-attributes?query&page&count`. Last values
    /// change: cached for [`CacheKind::Search`]'s time (one hour by
    /// default), not the catalogue's day.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (before any request) for empty conditions,
    /// page 0 or a count outside 1 to 1000; an API error (422) for more
    /// than 5 conditions; transport and decode errors.
    pub fn installation_data_attributes(
        &self,
        query: &AttributeQuery,
    ) -> Result<Fetched<AttributeSearch>> {
        let request = query.request()?;
        self.call_json::<AttributeSearch>(request, Some((CacheKind::Search, None)))
    }
}
