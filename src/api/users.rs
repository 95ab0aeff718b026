//! Users, their installations and their personal access tokens.

use std::fmt;

use crate::client::Client;
use crate::engine::Call;
use crate::error::{Error, Result};
use crate::fetched::Fetched;
use crate::ids::{AccessTokenId, UserId};
use crate::models::{
    AccessToken, CreateTokenResponse, Installation, InstallationsResponse, MeResponse,
    RevokeResponse, TokensResponse, User,
};
use crate::request::Request;
use crate::store::CacheKind;

/// The endpoints of one user. Get it with [`Client::user`].
#[derive(Debug, Clone)]
pub struct UserApi<'c> {
    client: &'c Client,
    id: UserId,
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
        UserApi { client: self, id }
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
    /// The user's id.
    pub fn id(&self) -> UserId {
        self.id
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
        let mut request = Request::get(
            "users/{idUser}/installations",
            format!("users/{}/installations", self.id),
        );
        if extended {
            request = request.query("extended", "1");
        }
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
            format!("users/{}/accesstokens/list", self.id),
        );
        Ok(self
            .client
            .call_json::<TokensResponse>(request, None)?
            .map(|r| r.tokens))
    }

    /// Create a personal access token named `name` (unique per user). The
    /// answer holds the token's value, which VRM never shows again.
    ///
    /// `POST /users/{idUser}/accesstokens/create`. Never retried, never cached.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty name; transport, API and decode errors.
    pub fn create_access_token(&self, name: &str) -> Result<Fetched<CreateTokenResponse>> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid(
                "access token name \"\": expected a non-empty name, unique for the user",
            ));
        }
        let body = serde_json::to_vec(&serde_json::json!({ "name": name }))
            .map_err(|_| Error::invalid("could not encode the token name"))?;
        let request = Request::post(
            "users/{idUser}/accesstokens/create",
            format!("users/{}/accesstokens/create", self.id),
            body,
        )
        .with_secret_answer();
        self.client.call_json(request, None)
    }

    /// Revoke one personal access token, or all of them; returns how many
    /// VRM removed.
    ///
    /// `GET /users/{idUser}/accesstokens/{idAccessToken}/revoke`. Never cached.
    ///
    /// # Errors
    /// Transport, API and decode errors.
    pub fn revoke_access_token(&self, which: Revoke) -> Result<Fetched<u64>> {
        let request = Request::get(
            "users/{idUser}/accesstokens/{idAccessToken}/revoke",
            format!("users/{}/accesstokens/{which}/revoke", self.id),
        );
        Ok(self
            .client
            .call_json::<RevokeResponse>(request, None)?
            .map(|r| r.data.removed))
    }
}
