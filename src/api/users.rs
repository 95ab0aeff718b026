//! Users: their installations, what they find and are offered, the sites
//! they add, and their personal access tokens.

use std::fmt;

use time::OffsetDateTime;

use crate::client::Client;
use crate::decode::decode;
use crate::engine::{Call, Plain};
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::ids::{AccessTokenId, SiteId, UserId};
use crate::models::{
    AccessToken, CreateTokenResponse, Installation, InstallationsResponse, Invites,
    InvitesResponse, MeResponse, RevokeResponse, SearchHit, SearchResponse, SiteIdResponse,
    TokensResponse, User,
};
use crate::request::{Method, Request};
use crate::store::CacheKind;

/// The endpoints of one user. Get it with [`Client::user`] or
/// [`Client::user_me`].
#[derive(Debug, Clone)]
pub struct UserApi<'c> {
    client: &'c Client,
    who: UserRef,
}

/// Who a [`UserApi`] is about: a user id, or `me`, the account the client
/// is logged in as (VRM accepts `users/me/…` in place of
/// `users/{idUser}/…`), so a token client need not learn its id first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserRef {
    /// A user by id.
    Id(UserId),
    /// The logged-in account: `users/me/…`.
    Me,
}

impl fmt::Display for UserRef {
    /// The path segment: the id, or `me`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserRef::Id(id) => write!(f, "{id}"),
            UserRef::Me => f.write_str("me"),
        }
    }
}

impl From<UserId> for UserRef {
    fn from(id: UserId) -> Self {
        UserRef::Id(id)
    }
}

/// Which personal access tokens to revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Revoke {
    /// One token, by id.
    Id(AccessTokenId),
    /// Every token of the user (`*`).
    All,
}

impl fmt::Display for Revoke {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Revoke::Id(id) => write!(f, "{id}"),
            Revoke::All => f.write_str("*"),
        }
    }
}

/// An installation identifier as the caller gave it, checked: not blank,
/// no character a portal id never holds.
fn identifier(text: &str) -> Result<&str> {
    let t = text.trim();
    if t.is_empty() || t.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(format!(
            "installation identifier {text:?}: expected the site's VRM portal id, like \
             d41243cd7c66 (Settings → VRM online portal on the GX device)"
        )));
    }
    Ok(t)
}

impl Client {
    /// The logged-in user.
    ///
    /// `GET /users/me` — not in the doc, but the only way to learn the
    /// user id behind a personal access token.
    ///
    /// # Errors
    /// Transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// println!("{}", vrm.me()?.id);
    /// # Ok(()) }
    /// ```
    pub fn me(&self) -> Result<Fetched<User>> {
        let request = Request::get("users/me", "users/me".into());
        let me = self
            .call_json::<MeResponse>(request, Some((CacheKind::User, None)))?
            .map(|r| r.user);
        self.engine().session().user_id.get_or_insert(me.id);
        Ok(me)
    }

    /// The id of the logged-in user: from the login answer, the cache, or
    /// [`me`](Self::me) (one request, then remembered). Offline it makes
    /// no request: the cache must know the account.
    ///
    /// # Errors
    /// Those of the login or of `me`; [`Error::NotCached`] offline when the
    /// cache does not know the account.
    pub fn user_id(&self) -> Result<UserId> {
        self.engine().user_id(&mut Call::new())
    }

    /// The endpoints of user `id` (a dealer or admin may see other users).
    pub fn user(&self, id: UserId) -> UserApi<'_> {
        UserApi {
            client: self,
            who: UserRef::Id(id),
        }
    }

    /// The endpoints of the logged-in account, addressed as `users/me/…`:
    /// no `users/me` call to learn the id first.
    pub fn user_me(&self) -> UserApi<'_> {
        UserApi {
            client: self,
            who: UserRef::Me,
        }
    }

    /// The installations of the logged-in user: shorthand for
    /// `self.user(self.user_id()?).installations()`.
    ///
    /// # Errors
    /// Those of [`user_id`](Self::user_id) and [`UserApi::installations`].
    pub fn installations(&self) -> Result<Fetched<Vec<Installation>>> {
        let mut call = Call::new();
        let id = self.engine().user_id(&mut call)?;
        self.user(id).list_installations(&mut call, false)
    }
}

impl UserApi<'_> {
    /// The user's id; `None` for [`Client::user_me`], which addresses
    /// `users/me/…`.
    pub fn id(&self) -> Option<UserId> {
        match self.who {
            UserRef::Id(id) => Some(id),
            UserRef::Me => None,
        }
    }

    /// Who the endpoints are about: an id or `me`.
    pub fn user_ref(&self) -> UserRef {
        self.who
    }

    /// The installations the user sees, filtered to site `site`: the
    /// installation, or `None` when the user does not see it.
    ///
    /// `GET /users/{idUser}/installations?idSite={site}`. Cached like the
    /// list (as [`CacheKind::Installations`]).
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn installation(&self, site: SiteId) -> Result<Fetched<Option<Installation>>> {
        self.one_installation(site, false)
    }

    /// [`installation`](Self::installation) with the extra data of VRM's
    /// overview (`extended=1`).
    ///
    /// `GET /users/{idUser}/installations?extended=1&idSite={site}`.
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn installation_extended(&self, site: SiteId) -> Result<Fetched<Option<Installation>>> {
        self.one_installation(site, true)
    }

    fn one_installation(
        &self,
        site: SiteId,
        extended: bool,
    ) -> Result<Fetched<Option<Installation>>> {
        let mut request = self.installations_request(extended);
        request = request.query("idSite", site.to_string());
        Ok(self
            .client
            .call_json::<InstallationsResponse>(request, Some((CacheKind::Installations, None)))?
            .map(|r| {
                // The filtered list holds the site alone; should VRM ignore
                // the filter, the site is still picked out of the list.
                r.records.into_iter().find(|i| i.id_site == site)
            }))
    }

    fn installations_request(&self, extended: bool) -> Request {
        let mut request = Request::get(
            "users/{idUser}/installations",
            format!("users/{}/installations", self.who),
        );
        if extended {
            request = request.query("extended", "1");
        }
        request
    }

    /// The sites the user may see that match `query`: a site id, a user's
    /// e-mail or name, a device serial number, a site identifier or an
    /// e-mail domain.
    ///
    /// `GET /users/{idUser}/search?query=…`. Cached as [`CacheKind::Search`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a blank query, with no request sent;
    /// transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// let vrm = vrm::Client::builder().personal_token("…").build()?;
    /// for hit in vrm.user_me().search("garage")?.iter() {
    ///     println!("{:?} {:?}", hit.site_id, hit.site_name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search(&self, query: &str) -> Result<Fetched<Vec<SearchHit>>> {
        let q = query.trim();
        if q.is_empty() {
            return Err(Error::invalid(
                "search query \"\": expected a site id, e-mail, name, serial number or identifier",
            ));
        }
        let request = Request::get(
            "users/{idUser}/search",
            format!("users/{}/search", self.who),
        )
        .query("query", q);
        Ok(self
            .client
            .call_json::<SearchResponse>(request, Some((CacheKind::Search, None)))?
            .map(|r| r.results))
    }

    /// The user's pending invitations (to installation groups and teams)
    /// and the access requests waiting for the user's approval.
    ///
    /// `GET /users/{idUser}/invites`. Cached as [`CacheKind::Invites`].
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn invites(&self) -> Result<Fetched<Invites>> {
        let request = Request::get(
            "users/{idUser}/invites",
            format!("users/{}/invites", self.who),
        );
        Ok(self
            .client
            .call_json::<InvitesResponse>(request, Some((CacheKind::Invites, None)))?
            .map(|r| r.data))
    }

    /// The site id of the installation whose identifier (the VRM portal id
    /// the GX device shows) is `identifier`, among the user's sites (any
    /// site for an admin).
    ///
    /// `POST /users/{idUser}/get-site-id` with
    /// `{"installation_identifier": …}`. It only reads, but is a `POST`:
    /// never cached, refused offline, and sent again only after a 429 (the
    /// engine's rule for a `POST`). Asking again is harmless: a caller may
    /// retry it after any failure.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a blank identifier, with no request sent;
    /// transport, API and decode errors (VRM's 4xx for an unknown one).
    pub fn site_id(&self, identifier: &str) -> Result<Fetched<SiteId>> {
        let body = serde_json::json!({ "installation_identifier": self::identifier(identifier)? });
        let request = Request::new(
            Method::Post,
            "users/{idUser}/get-site-id",
            format!("users/{}/get-site-id", self.who),
        )
        .json(&body)?;
        self.client.engine().refuse_offline(&request)?;
        Ok(self
            .client
            .call_json::<SiteIdResponse>(request, None)?
            .map(|r| r.records.site_id))
    }

    /// Add the installation whose identifier is `identifier` to the user's
    /// sites; VRM sends an e-mail when it is done. Returns the new site's id.
    ///
    /// `POST /users/{idUser}/addsite` with `{"installation_identifier": …}`.
    /// A write: refused offline, sent again only after a 429; once VRM
    /// accepts it, the cached installation lists and searches are dropped.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a blank identifier, with no request sent;
    /// transport, API and decode errors.
    pub fn add_site(&self, identifier: &str) -> Result<Fetched<SiteId>> {
        let body = serde_json::json!({ "installation_identifier": self::identifier(identifier)? });
        let request = Request::new(
            Method::Post,
            "users/{idUser}/addsite",
            format!("users/{}/addsite", self.who),
        )
        .json(&body)?;
        Ok(self
            .client
            .write_json::<SiteIdResponse>(
                request,
                &[(CacheKind::Installations, None), (CacheKind::Search, None)],
            )?
            .map(|r| r.records.site_id))
    }

    /// The user's installations.
    ///
    /// `GET /users/{idUser}/installations`
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn installations(&self) -> Result<Fetched<Vec<Installation>>> {
        self.list_installations(&mut Call::new(), false)
    }

    /// The user's installations with the extra data of VRM's overview
    /// (alarms, tags, latest values, timezone offset).
    ///
    /// `GET /users/{idUser}/installations?extended=1`
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn installations_extended(&self) -> Result<Fetched<Vec<Installation>>> {
        self.list_installations(&mut Call::new(), true)
    }

    fn list_installations(
        &self,
        call: &mut Call,
        extended: bool,
    ) -> Result<Fetched<Vec<Installation>>> {
        let request = self.installations_request(extended);
        Ok(self
            .client
            .call_json_in::<InstallationsResponse>(
                call,
                request,
                Some((CacheKind::Installations, None)),
            )?
            .map(|r| r.records))
    }

    /// The user's personal access tokens (names and ids; never the values).
    ///
    /// `GET /users/{idUser}/accesstokens/list`. Never cached.
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn access_tokens(&self) -> Result<Fetched<Vec<AccessToken>>> {
        let request = Request::get(
            "users/{idUser}/accesstokens/list",
            format!("users/{}/accesstokens/list", self.who),
        );
        Ok(self
            .client
            .call_json::<TokensResponse>(request, None)?
            .map(|r| r.tokens))
    }

    /// Create a personal access token named `name` (unique per user) that
    /// never expires. The answer holds the token's value, which VRM never
    /// shows again.
    ///
    /// `POST /users/{idUser}/accesstokens/create` with `{"name": …}`. A
    /// write: never cached, refused offline, sent again only after a 429.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty name; transport, API and decode errors.
    pub fn create_access_token(&self, name: &str) -> Result<Fetched<CreateTokenResponse>> {
        self.create_token(name, None)
    }

    /// [`create_access_token`](Self::create_access_token) for a token that
    /// expires at `expiry` (sent as unix seconds in `expiry`).
    ///
    /// `POST /users/{idUser}/accesstokens/create` with `{"name": …, "expiry": …}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty name or an expiry that is not
    /// in the future (by the client's clock), with no request sent;
    /// transport, API and decode errors.
    pub fn create_access_token_expiring(
        &self,
        name: &str,
        expiry: OffsetDateTime,
    ) -> Result<Fetched<CreateTokenResponse>> {
        let now = self.client.engine().now();
        if expiry <= now {
            return Err(Error::invalid(format!(
                "token expiry {}: expected a time in the future",
                expiry.unix_timestamp()
            )));
        }
        self.create_token(name, Some(expiry.unix_timestamp()))
    }

    fn create_token(
        &self,
        name: &str,
        expiry: Option<i64>,
    ) -> Result<Fetched<CreateTokenResponse>> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid(
                "access token name \"\": expected a non-empty name, unique for the user",
            ));
        }
        let body = match expiry {
            Some(expiry) => serde_json::json!({ "name": name, "expiry": expiry }),
            None => serde_json::json!({ "name": name }),
        };
        let request = Request::new(
            Method::Post,
            "users/{idUser}/accesstokens/create",
            format!("users/{}/accesstokens/create", self.who),
        )
        .json(&body)?
        .with_secret_answer();
        self.client.write_json(request, &[])
    }

    /// Revoke one personal access token, or all of them; returns how many
    /// VRM removed. **An id VRM does not know is not an error:** VRM
    /// answers `success` with `removed: 0`, and so does this method — check
    /// for `0` (the CLI exits 3 on it).
    ///
    /// `DELETE /users/{idUser}/accesstokens/{idAccessToken}` (the 2026
    /// way); only when VRM answers that with 404 or 405 (a server without
    /// it), the old `GET /users/{idUser}/accesstokens/{idAccessToken}/revoke`.
    /// Any other failure of the `DELETE` is returned as it is. Never cached,
    /// refused offline with no request; the count of requests covers both.
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn revoke_access_token(&self, which: Revoke) -> Result<Fetched<u64>> {
        let engine = self.client.engine();
        let delete = Request::new(
            Method::Delete,
            "users/{idUser}/accesstokens/{idAccessToken}",
            format!("users/{}/accesstokens/{which}", self.who),
        );
        engine.refuse_offline(&delete)?;
        let mut call = Call::new();
        let answer = engine.run(
            &mut call,
            Plain::new(delete, None, decode::<RevokeResponse>),
        );
        let answer = match answer {
            Err(Error::Api(e)) if matches!(e.status, 404 | 405) => {
                log::debug!(
                    "DELETE users/{{idUser}}/accesstokens/{{idAccessToken}}: http {}; \
                     revoking the old way (GET …/revoke)",
                    e.status
                );
                let old = Request::get(
                    "users/{idUser}/accesstokens/{idAccessToken}/revoke",
                    format!("users/{}/accesstokens/{which}/revoke", self.who),
                );
                self.client
                    .call_json_in::<RevokeResponse>(&mut call, old, None)?
            }
            other => other?,
        };
        Ok(answer.map(|r| r.data.removed))
    }
}
