//! Who the client is at VRM: the bearer token of a login, the user id,
//! the cache scope. Logins and `users/me` are requests of the call that
//! needs them, sent through [`Engine::send`] like any other.

use crate::auth::{ApiToken, Auth};
use crate::decode::decode;
use crate::error::{ApiError, Error, Result};
use crate::ids::UserId;
use crate::models::{LoginResponse, MeResponse};
use crate::request::Request;
use crate::store::{CacheKind, CacheMode, Store};

use super::{Call, Engine};

/// What a client learnt by logging in.
#[derive(Default)]
pub(crate) struct Session {
    pub(crate) bearer: Option<ApiToken>,
    /// Bumped on every login, so a 401 for an old token does not throw
    /// away a newer one.
    pub(crate) generation: u64,
    pub(crate) user_id: Option<UserId>,
    /// The cache scope (host + account) once known.
    pub(crate) scope: Option<i64>,
    /// The body of a `users/me` answer fetched to learn the account, to
    /// keep in the store once the scope is known.
    pub(crate) me_body: Option<Vec<u8>>,
}

impl Engine {
    /// The `X-Authorization` value, logging in first when needed; with the
    /// session generation it belongs to.
    pub(crate) fn authorization(&self, call: &mut Call) -> Result<(String, u64)> {
        match &self.auth {
            Auth::None => Err(Error::invalid(
                "no credentials: give the client a token, a username and password, or the demo account",
            )),
            Auth::Token(token) => Ok((token.header_value(), 0)),
            Auth::Credentials { .. } | Auth::Demo => {
                {
                    let session = self.session();
                    if let Some(token) = &session.bearer {
                        return Ok((token.header_value(), session.generation));
                    }
                }
                self.login_now(call, None)?;
                let session = self.session();
                match &session.bearer {
                    Some(token) => Ok((token.header_value(), session.generation)),
                    None => Err(Error::invalid("vrm's login answer held no token")),
                }
            }
        }
    }

    /// Log in unless another thread already did since `stale_generation`.
    pub(crate) fn login_now(&self, call: &mut Call, stale_generation: Option<u64>) -> Result<()> {
        let _guard = self
            .login_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        {
            let session = self.session();
            let renewed = stale_generation.is_some_and(|stale| session.generation != stale);
            if session.bearer.is_some() && (stale_generation.is_none() || renewed) {
                return Ok(());
            }
        }
        let request = match &self.auth {
            Auth::Credentials {
                username,
                password,
                sms_token,
            } => {
                let mut body = serde_json::Map::new();
                body.insert("username".into(), username.clone().into());
                body.insert("password".into(), password.expose().into());
                if let Some(code) = sms_token {
                    body.insert("sms_token".into(), code.expose().into());
                }
                let bytes = serde_json::to_vec(&body)
                    .map_err(|_| Error::invalid("could not encode the login request"))?;
                Request::post("auth/login", "auth/login".into(), bytes)
            }
            Auth::Demo => Request::get("auth/loginAsDemo", "auth/loginAsDemo".into()),
            Auth::None | Auth::Token(_) => return Ok(()),
        }
        .without_auth()
        .with_secret_answer();
        let body = self.send(call, &request).map_err(|e| match e {
            Error::Api(api) if api.status == 401 || api.status == 403 => Error::Unauthorized(api),
            other => other,
        })?;
        let answer = decode::<LoginResponse>(&request, &body)?;
        let Some(token) = answer.token.filter(|t| !t.is_empty()) else {
            // No token: a second factor only when VRM says how it verifies.
            if answer.verification_mode.is_some() || answer.verification_sent == Some(true) {
                return Err(Error::TwoFactorRequired {
                    verification_mode: answer.verification_mode,
                    verification_sent: answer.verification_sent.unwrap_or(false),
                });
            }
            return Err(Error::Unauthorized(Box::new(ApiError {
                status: 200,
                endpoint: request.template.clone(),
                error_code: None,
                errors: vec![
                    "the login answer held no token (bearer logins are deprecated \
                     by Victron since June 2026: use a personal access token)"
                        .to_owned(),
                ],
            })));
        };
        let mut session = self.session();
        session.bearer = Some(ApiToken::bearer(token));
        session.generation += 1;
        if let Some(id) = answer.id_user {
            session.user_id = Some(id);
        }
        log::info!("logged in to vrm");
        Ok(())
    }

    /// The id of the logged-in user: known from the session, from the
    /// store (no request), or learnt with a login or `users/me`.
    pub(crate) fn user_id(&self, call: &mut Call) -> Result<UserId> {
        if let Some(id) = self.session().user_id {
            return Ok(id);
        }
        if let Some(store) = self.store.as_deref()
            && let Some(user) = store.identity(&self.base_url, &self.auth.fingerprint())?
        {
            let id = UserId(user);
            self.session().user_id = Some(id);
            return Ok(id);
        }
        if self.auth.is_none()
            && let Some(store) = self.store.as_deref()
        {
            let id = UserId(self.cached_account(store)?);
            self.session().user_id = Some(id);
            return Ok(id);
        }
        if self.mode == CacheMode::Offline {
            return Err(Error::NotCached(if self.auth.is_none() {
                "the user id: no credentials and no cache".to_owned()
            } else {
                format!(
                    "the account of these credentials at {} (no run has used them online \
                     with this cache yet)",
                    self.base_url
                )
            }));
        }
        if self.auth.can_login() {
            self.login_now(call, None)?;
            if let Some(id) = self.session().user_id {
                return Ok(id);
            }
        }
        // A token (or a login answer without `idUser`): `users/me` names
        // the account; its answer is kept, so `me()` needs no second call.
        let request = Request::get("users/me", "users/me".into());
        let body = self.send(call, &request)?;
        let me = decode::<MeResponse>(&request, &body)?;
        let mut session = self.session();
        session.user_id = Some(me.user.id);
        session.me_body = Some(body);
        Ok(me.user.id)
    }

    /// Keep the `users/me` answer fetched to learn the account, if any.
    pub(crate) fn keep_me_answer(&self, store: &dyn Store, scope: i64) {
        let Some(body) = self.session().me_body.take() else {
            return;
        };
        let now = self.now().unix_timestamp();
        if let Err(e) = store.put_response(scope, "users/me", CacheKind::User, None, now, &body) {
            log::warn!("could not cache users/me: {e}");
        }
    }
}
