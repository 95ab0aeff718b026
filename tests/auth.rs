//! Each way of logging in, two-factor, re-login on expiry, logout, and
//! secrets kept out of Debug, Display, errors and logs.

mod common;

use common::{builder, capture_logs, clock, logged, server, token_header};
use mockito::Matcher;
use serde_json::json;
use vrm::{ApiToken, Client, Error};

const ME: &str = r#"{"success":true,"user":{"id":22,"name":"demo demo","email":"demo@victronenergy.com","country":"NL","idAccessToken":null,"accessLevel":0}}"#;
const PASSWORD: &str = "correct-horse-battery-9";
const BEARER: &str = "eyJhbGciOi.bearer-from-login.sig";

fn login_ok(token: &str) -> String {
    json!({"token": token, "idUser": 22, "verification_mode": "password", "verification_sent": false})
        .to_string()
}

#[test]
fn personal_token_goes_in_x_authorization() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .match_header("x-authorization", token_header().as_str())
        .match_header("user-agent", Matcher::Regex("^vrm-rs/".into()))
        .with_body(ME)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let user = client.me().unwrap();
    assert_eq!(user.id, vrm::UserId(22));
    assert_eq!(user.requests(), 1);
    assert_eq!(client.user_id().unwrap(), vrm::UserId(22)); // remembered
    me.assert();
}

#[test]
fn bearer_token_is_sent_as_bearer() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .match_header("x-authorization", "Bearer abc.def")
        .with_body(ME)
        .create();
    let client = builder(&server, &clock())
        .token(ApiToken::bearer("abc.def"))
        .build()
        .unwrap();
    client.me().unwrap();
    me.assert();
}

#[test]
fn credentials_log_in_once_then_use_the_bearer() {
    let mut server = server();
    let login = server
        .mock("POST", "/auth/login")
        .match_header("x-authorization", Matcher::Missing)
        .match_body(Matcher::Json(
            json!({"username": "me@example.com", "password": PASSWORD}),
        ))
        .with_body(login_ok(BEARER))
        .expect(1)
        .create();
    let me = server
        .mock("GET", "/users/me")
        .match_header("x-authorization", format!("Bearer {BEARER}").as_str())
        .with_body(ME)
        .expect(2)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .build()
        .unwrap();
    let first = client.me().unwrap();
    assert_eq!(first.requests(), 2, "login + me");
    client.me().unwrap();
    assert_eq!(client.user_id().unwrap(), vrm::UserId(22));
    login.assert();
    me.assert();
}

#[test]
fn two_factor_flow() {
    let mut server = server();
    // Without the code: VRM answers with no token and sends an SMS.
    let ask = server
        .mock("POST", "/auth/login")
        .match_body(Matcher::Json(
            json!({"username": "me@example.com", "password": PASSWORD}),
        ))
        .with_body(
            json!({"token": null, "idUser": 0, "verification_mode": "sms", "verification_sent": true})
                .to_string(),
        )
        .expect(1)
        .create();
    let me = server
        .mock("GET", "/users/me")
        .with_body(ME)
        .expect(1)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .build()
        .unwrap();
    let err = client.me().unwrap_err();
    match &err {
        Error::TwoFactorRequired {
            verification_mode,
            verification_sent,
        } => {
            assert_eq!(verification_mode.as_deref(), Some("sms"));
            assert!(*verification_sent);
        }
        other => panic!("expected TwoFactorRequired, got {other:?}"),
    }
    assert!(err.is_auth());
    ask.assert();

    // With the code.
    let with_code = server
        .mock("POST", "/auth/login")
        .match_body(Matcher::Json(
            json!({"username": "me@example.com", "password": PASSWORD, "sms_token": "123456"}),
        ))
        .with_body(login_ok(BEARER))
        .expect(1)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .sms_token("123456")
        .build()
        .unwrap();
    client.me().unwrap();
    with_code.assert();
    me.assert();
}

#[test]
fn wrong_password_is_unauthorized_without_retry() {
    let mut server = server();
    let login = server
        .mock("POST", "/auth/login")
        .with_status(401)
        .with_body(r#"{"success":false,"errors":"Invalid credentials","error_code":"invalid_credentials"}"#)
        .expect(1)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .build()
        .unwrap();
    let err = client.me().unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    let api = err.api_error().unwrap();
    assert_eq!(api.error_code.as_deref(), Some("invalid_credentials"));
    assert_eq!(api.errors, ["Invalid credentials"]);
    login.assert();
}

#[test]
fn demo_account_logs_in_with_a_get() {
    let mut server = server();
    let login = server
        .mock("GET", "/auth/loginAsDemo")
        .match_header("x-authorization", Matcher::Missing)
        .with_body(login_ok("demo-bearer"))
        .expect(1)
        .create();
    let me = server
        .mock("GET", "/users/me")
        .match_header("x-authorization", "Bearer demo-bearer")
        .with_body(ME)
        .create();
    let client = builder(&server, &clock()).demo().build().unwrap();
    assert_eq!(client.login().unwrap(), vrm::UserId(22));
    client.me().unwrap();
    login.assert();
    me.assert();
}

#[test]
fn expired_bearer_logs_in_again_once() {
    let mut server = server();
    let login_old = server
        .mock("POST", "/auth/login")
        .with_body(login_ok("old-token"))
        .expect(1)
        .create();
    let expired = server
        .mock("GET", "/users/me")
        .match_header("x-authorization", "Bearer old-token")
        .with_status(401)
        .with_body(r#"{"success":false,"errors":"Token is expired","error_code":"invalid_token"}"#)
        .expect(1)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .build()
        .unwrap();
    client.login().unwrap();
    login_old.assert();
    login_old.remove();

    let login_new = server
        .mock("POST", "/auth/login")
        .with_body(login_ok("new-token"))
        .expect(1)
        .create();
    let fresh = server
        .mock("GET", "/users/me")
        .match_header("x-authorization", "Bearer new-token")
        .with_body(ME)
        .expect(1)
        .create();
    let user = client.me().unwrap();
    assert_eq!(user.requests(), 3, "401, login, retry");
    expired.assert();
    login_new.assert();
    fresh.assert();
}

#[test]
fn second_401_after_relogin_is_a_clear_error() {
    let mut server = server();
    let login = server
        .mock("POST", "/auth/login")
        .with_body(login_ok(BEARER))
        .expect(2)
        .create();
    let me = server
        .mock("GET", "/users/me")
        .with_status(401)
        .with_body(r#"{"success":false,"errors":"Token is invalid","error_code":"invalid_token"}"#)
        .expect(2)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .build()
        .unwrap();
    let err = client.me().unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert!(err.to_string().contains("invalid_token"), "{err}");
    login.assert();
    me.assert();
}

#[test]
fn a_personal_token_refused_is_unauthorized_at_once() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .with_status(401)
        .with_body(r#"{"success":false,"errors":"Invalid token","error_code":"invalid_token"}"#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    assert!(matches!(client.me(), Err(Error::Unauthorized(_))));
    me.assert();
}

#[test]
fn logout_ends_the_bearer_and_the_next_call_logs_in_again() {
    let mut server = server();
    let login = server
        .mock("POST", "/auth/login")
        .with_body(login_ok(BEARER))
        .expect(2)
        .create();
    let logout = server
        .mock("POST", "/auth/logout")
        .match_header("x-authorization", format!("Bearer {BEARER}").as_str())
        .with_body(r#"{"success":true}"#)
        .expect(1)
        .create();
    let me = server
        .mock("GET", "/users/me")
        .with_body(ME)
        .expect(2)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .build()
        .unwrap();
    client.me().unwrap();
    client.logout().unwrap();
    client.me().unwrap();
    login.assert();
    logout.assert();
    me.assert();
}

#[test]
fn no_credentials_over_plain_http_to_other_hosts() {
    for build in [
        Client::builder()
            .base_url("http://vrm.example.com/v2/")
            .personal_token("t")
            .build(),
        Client::builder()
            .base_url("http://10.0.0.5/v2/")
            .credentials("u", "p")
            .build(),
        Client::builder()
            .base_url("http://example.org")
            .demo()
            .build(),
    ] {
        let err = build.unwrap_err();
        assert!(err.is_invalid_input(), "{err:?}");
        assert!(err.to_string().contains("https"), "{err}");
    }
    assert!(
        Client::builder()
            .base_url("http://127.0.0.1:9/v2/")
            .personal_token("t")
            .build()
            .is_ok()
    );
}

#[test]
fn secrets_never_show_in_debug_display_errors_or_logs() {
    capture_logs();
    let secret_token = "tok-SECRET-7f3a";
    let mut server = server();
    let _login = server
        .mock("POST", "/auth/login")
        .with_body(login_ok(secret_token))
        .create();
    let _me = server
        .mock("GET", "/users/me")
        .with_status(500)
        .with_body("<html>oops</html>")
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .sms_token("246810")
        .max_retries(1)
        .build()
        .unwrap();
    let err = client.me().unwrap_err();
    let personal = ApiToken::personal(secret_token);
    let undecodable = {
        // A login answer that cannot be read must not quote the token.
        let mut s2 = common::server();
        let _bad = s2
            .mock("POST", "/auth/login")
            .with_body(format!(r#"{{"token": "{secret_token}", "idUser": "#))
            .create();
        builder(&s2, &clock())
            .credentials("me@example.com", PASSWORD)
            .build()
            .unwrap()
            .me()
            .unwrap_err()
    };
    assert!(matches!(undecodable, Error::Decode(_)), "{undecodable:?}");
    let shown = [
        format!("{client:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{personal:?}"),
        format!("{undecodable:?}"),
        undecodable.to_string(),
        logged(),
    ]
    .join("\n");
    for secret in [secret_token, PASSWORD, "246810"] {
        assert!(!shown.contains(secret), "{secret} leaked in:\n{shown}");
    }
    assert!(logged().contains("users/me"), "requests are logged");
}

#[test]
fn a_demo_login_that_answers_only_a_token_learns_the_id_from_users_me() {
    let mut server = server();
    let login = server
        .mock("GET", "/auth/loginAsDemo")
        .with_body(r#"{"token":"demo-bearer"}"#)
        .expect(1)
        .create();
    let me = server
        .mock("GET", "/users/me")
        .match_header("x-authorization", "Bearer demo-bearer")
        .with_body(ME)
        .expect(1)
        .create();
    let client = builder(&server, &clock()).demo().build().unwrap();
    let sites = server
        .mock("GET", "/users/22/installations")
        .with_body(r#"{"success":true,"records":[]}"#)
        .expect(1)
        .create();
    let list = client.installations().unwrap();
    assert_eq!(list.requests(), 3); // login, users/me, the list
    assert_eq!(client.account(), Some(vrm::UserId(22)));
    login.assert();
    me.assert();
    sites.assert();
}

#[test]
fn a_login_answer_with_a_null_token_is_two_factor_only_when_vrm_says_so() {
    let mut server = server();
    let _demo = server
        .mock("GET", "/auth/loginAsDemo")
        .with_body(r#"{"token":null}"#)
        .create();
    let client = builder(&server, &clock()).demo().build().unwrap();
    let err = client.login().unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert!(err.to_string().contains("personal access token"), "{err}");

    let _sms = server
        .mock("POST", "/auth/login")
        .with_body(r#"{"token":null,"verification_mode":"sms","verification_sent":true}"#)
        .create();
    let client = builder(&server, &clock())
        .credentials("me@example.com", PASSWORD)
        .build()
        .unwrap();
    let err = client.login().unwrap_err();
    assert!(
        matches!(&err, Error::TwoFactorRequired { verification_mode: Some(m), verification_sent: true } if m == "sms"),
        "{err:?}"
    );
}

#[test]
fn logout_ends_a_bearer_token_given_by_the_caller() {
    let mut server = server();
    let logout = server
        .mock("POST", "/auth/logout")
        .match_header("x-authorization", "Bearer given-bearer")
        .with_body(r#"{"success":true}"#)
        .expect(1)
        .create();
    let client = builder(&server, &clock())
        .token(ApiToken::bearer("given-bearer"))
        .build()
        .unwrap();
    client.logout().unwrap();
    logout.assert();
    // A personal token has nothing to end: no request.
    let client = builder(&server, &clock())
        .personal_token("personal")
        .build()
        .unwrap();
    client.logout().unwrap();
    logout.assert();
}

#[test]
fn logout_falls_back_to_the_spec_s_get_only_when_post_is_not_there() {
    for status in [404, 405] {
        let mut server = server();
        let post = server
            .mock("POST", "/auth/logout")
            .with_status(status)
            .with_body(r#"{"success":false,"errors":"no such method"}"#)
            .expect(1)
            .create();
        let get = server
            .mock("GET", "/auth/logout")
            .match_header("x-authorization", "Bearer given-bearer")
            .with_body(r#"{"token":""}"#)
            .expect(1)
            .create();
        let client = builder(&server, &clock())
            .token(ApiToken::bearer("given-bearer"))
            .build()
            .unwrap();
        client.logout().unwrap();
        post.assert();
        get.assert();
    }
    // Another refusal is the answer: no GET.
    let mut server = server();
    let post = server
        .mock("POST", "/auth/logout")
        .with_status(403)
        .with_body(r#"{"success":false,"errors":"nope"}"#)
        .expect(1)
        .create();
    let get = server.mock("GET", "/auth/logout").expect(0).create();
    let client = builder(&server, &clock())
        .token(ApiToken::bearer("given-bearer"))
        .build()
        .unwrap();
    assert!(client.logout().is_err());
    post.assert();
    get.assert();
}
