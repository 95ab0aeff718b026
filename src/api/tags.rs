//! A site's tags: `installations/{idSite}/tags`.

use serde_json::json;

use crate::api::installations::SiteApi;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::models::settings::Ack;
use crate::models::{Tag, TagsResponse};
use crate::request::{Method, Request};
use crate::store::CacheKind;

/// Where a tag comes from: VRM's `source` (the `filter` of the tags
/// list, and a tag write's `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TagSource {
    /// The user's own tags.
    User,
    /// The team's tags.
    Team,
    /// The group's tags.
    Group,
    /// Tags VRM sets itself (`"No alarm"`).
    Predefined,
}

impl TagSource {
    /// Every source.
    pub const ALL: [TagSource; 4] = [
        TagSource::User,
        TagSource::Team,
        TagSource::Group,
        TagSource::Predefined,
    ];

    /// `"user"`, `"team"`, `"group"` or `"predefined"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TagSource::User => "user",
            TagSource::Team => "team",
            TagSource::Group => "group",
            TagSource::Predefined => "predefined",
        }
    }
}

impl std::fmt::Display for TagSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TagSource {
    type Err = Error;

    /// `user`, `team`, `group` or `predefined`, in any case.
    fn from_str(text: &str) -> Result<Self> {
        let lower = text.trim().to_ascii_lowercase();
        TagSource::ALL
            .into_iter()
            .find(|s| s.as_str() == lower)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "tag source {text:?}: expected user, team, group or predefined"
                ))
            })
    }
}

/// A tag name checked: not blank, no control characters.
fn checked_tag(name: &str) -> Result<&str> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "tag {name:?}: expected a name that is not blank and has no control characters"
        )));
    }
    Ok(trimmed)
}

impl SiteApi<'_> {
    fn tags_request(&self, method: Method) -> Request {
        Request::new(
            method,
            "installations/{idSite}/tags",
            format!("installations/{}/tags", self.id()),
        )
    }

    /// The installation's tags, of every source.
    ///
    /// `GET /installations/{idSite}/tags`, cached as [`CacheKind::Tags`].
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn tags(&self) -> Result<Fetched<Vec<Tag>>> {
        self.tags_of(None)
    }

    /// The installation's tags from one source.
    ///
    /// `GET /installations/{idSite}/tags?filter=…`, cached as
    /// [`CacheKind::Tags`].
    ///
    /// # Errors
    /// Transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// let mine = vrm.site(vrm::SiteId(123)).tags_from(vrm::TagSource::User)?;
    /// # let _ = mine;
    /// # Ok(()) }
    /// ```
    pub fn tags_from(&self, source: TagSource) -> Result<Fetched<Vec<Tag>>> {
        self.tags_of(Some(source))
    }

    fn tags_of(&self, filter: Option<TagSource>) -> Result<Fetched<Vec<Tag>>> {
        let mut request = self.tags_request(Method::Get);
        if let Some(source) = filter {
            request = request.query("filter", source.as_str());
        }
        Ok(self
            .client()
            .call_json::<TagsResponse>(request, Some((CacheKind::Tags, Some(self.id().get()))))?
            .map(|r| r.tags))
    }

    /// Add the tag `name` (from `source`, usually [`TagSource::User`]).
    ///
    /// `PUT /installations/{idSite}/tags` with body `{tag, source}`. A
    /// write: never cached, refused offline; drops the site's cached tags
    /// and the account's installations (the extended list holds tags).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a blank name, with no request sent;
    /// transport and API errors.
    pub fn add_tag(&self, name: &str, source: TagSource) -> Result<Fetched<()>> {
        self.write_tag(Method::Put, name, source)
    }

    /// Remove the tag `name` of `source`.
    ///
    /// `DELETE /installations/{idSite}/tags` with body `{tag, source}`. A
    /// write, as [`add_tag`](Self::add_tag).
    ///
    /// # Errors
    /// As [`add_tag`](Self::add_tag).
    pub fn remove_tag(&self, name: &str, source: TagSource) -> Result<Fetched<()>> {
        self.write_tag(Method::Delete, name, source)
    }

    fn write_tag(&self, method: Method, name: &str, source: TagSource) -> Result<Fetched<()>> {
        let name = checked_tag(name)?;
        let request = self
            .tags_request(method)
            .json(&json!({"tag": name, "source": source.as_str()}))?;
        let stale = [
            (CacheKind::Tags, Some(self.id().get())),
            (CacheKind::Installations, None),
        ];
        Ok(self.client().write_json::<Ack>(request, &stale)?.map(drop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_names_are_checked() {
        assert_eq!("Team".parse::<TagSource>().ok(), Some(TagSource::Team));
        assert!("x".parse::<TagSource>().is_err());
        assert_eq!(checked_tag(" a ").ok(), Some("a"));
        assert!(checked_tag("  ").is_err());
        assert!(checked_tag("a\nb").is_err());
    }
}
