//! Who may see a site: `GET /installations/{idSite}/users` and the writes
//! `invite`, `unlink-user`, `unlink`, `user-rights`, `invite-rights`,
//! `link-user-groups` and `user-group-access-level`.
//!
//! Each write: the exact request (method, path, JSON body, token), its typed
//! answer, the cached answers it drops (a cached GET goes to VRM again), a
//! body with a missing field refused with no request, VRM's
//! `success: false` (sent with status 200) as an API error that drops
//! nothing, and one offline refusal.

mod common;

use common::{TempDir, assert_no_request, expect_get, expect_write, no_request, server};
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::{Value, json};
use vrm::models::AccessLevel;
use vrm::{
    Cache, CacheMode, Client, Error, Fetched, GroupAccess, Invite, InviteRights, SiteId, Source,
    UserGroupId, UserId, UserRights,
};

const SITE: SiteId = SiteId(60);

const USERS: &str = r#"{"success":true,
    "users":[{"idUser":1234,"name":"Andrew","email":"andrew@example.com","accessLevel":1},
             {"idUser":"5678","name":false,"email":"bob@example.com","accessLevel":"2","avatar":"x"}],
    "invites":[{"idInvite":42,"email":"newuser@example.com","name":"New User","accessLevel":0,"created":1698415280}],
    "pending":[{"idUser":5678,"name":"Pending User","email":"pending@example.com"}],
    "userGroups":[{"idUserGroup":10,"name":"Operations Team","accessLevel":0}],
    "siteGroups":[{"idSiteGroup":3,"name":"Fleet A","idOwner":1234,"adminName":"Andrew"}]}"#;

const OK: &str = r#"{"success":true}"#;

fn cache(dir: &TempDir) -> Cache {
    Cache::open(dir.join("cache.db")).expect("cache opens")
}

/// `GET /installations/60/users`, expected `n` times.
fn mock_users(server: &mut ServerGuard, n: usize) -> Mock {
    server
        .mock("GET", "/installations/60/users")
        .match_query(Matcher::Exact(String::new()))
        .match_header("x-authorization", common::token_header().as_str())
        .with_body(USERS)
        .expect(n)
        .create()
}

/// `GET /users/22/installations`, expected `n` times.
fn mock_list(server: &mut ServerGuard, n: usize) -> Mock {
    server
        .mock("GET", "/users/22/installations")
        .match_query(Matcher::Exact(String::new()))
        .with_body(r#"{"success":true,"records":[{"idSite":60}]}"#)
        .expect(n)
        .create()
}

#[test]
fn site_users_are_read_typed_and_cached() {
    let dir = TempDir::new("access-users");
    let cache = cache(&dir);
    let mut server = server();
    let me = common::mock_me(&mut server, 22);
    let users = mock_users(&mut server, 1);
    let (client, _) = common::cached_client(&server, &cache);
    let got = client.site(SITE).users().unwrap();
    assert_eq!(got.source(), Source::Network);
    assert_eq!(got.users.len(), 2);
    assert_eq!(got.users[0].id_user, Some(UserId(1234)));
    assert_eq!(got.users[0].level(), Some(AccessLevel::FullControl));
    assert_eq!(got.users[1].id_user, Some(UserId(5678)));
    assert_eq!(got.users[1].name, None);
    assert_eq!(got.users[1].level(), Some(AccessLevel::Technician));
    assert_eq!(got.users[1].extra.get("avatar"), Some(&Value::from("x")));
    assert_eq!(got.invites[0].email.as_deref(), Some("newuser@example.com"));
    assert_eq!(got.pending[0].name.as_deref(), Some("Pending User"));
    assert_eq!(got.user_groups[0].id_user_group, Some(UserGroupId(10)));
    assert_eq!(got.site_groups[0].name.as_deref(), Some("Fleet A"));
    let again = client.site(SITE).users().unwrap();
    assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
    assert_eq!(again.value(), got.value());
    users.assert();
    me.assert();
}

#[test]
fn site_users_forbidden_is_an_api_error() {
    let mut server = server();
    let _m = server
        .mock("GET", "/installations/60/users")
        .with_status(403)
        .with_body(r#"{"success":false,"errors":"Access denied","error_code":"forbidden"}"#)
        .create();
    let (client, _) = common::client(&server);
    let e = client.site(SITE).users().unwrap_err();
    assert!(
        e.is_auth() || matches!(&e, Error::Api(a) if a.status == 403),
        "{e:?}"
    );
}

/// Run `write` on a cached client: the site's users (and, with `account`,
/// the installation list) cached before, asked again after; `mock` is the
/// write's own mock.
fn drops_what_it_made_stale<T>(
    mut server: ServerGuard,
    account: bool,
    mock: Mock,
    write: impl FnOnce(&Client) -> vrm::Result<Fetched<T>>,
) -> T {
    let dir = TempDir::new("access-stale");
    let cache = cache(&dir);
    let me = common::mock_me(&mut server, 22);
    let users = mock_users(&mut server, 2);
    let list = mock_list(&mut server, if account { 2 } else { 1 });
    let (client, _) = common::cached_client(&server, &cache);
    client.site(SITE).users().unwrap();
    client.user(UserId(22)).installations().unwrap();
    assert_eq!(client.site(SITE).users().unwrap().source(), Source::Cache);
    let done = write(&client).expect("the write");
    assert_eq!((done.source(), done.requests()), (Source::Network, 1));
    assert_eq!(
        client.site(SITE).users().unwrap().source(),
        Source::Network,
        "the write made the site's users stale"
    );
    let after = client.user(UserId(22)).installations().unwrap().source();
    if account {
        assert_eq!(after, Source::Network, "and the account's installations");
    } else {
        assert_eq!(after, Source::Cache, "the installations stay");
    }
    mock.assert();
    users.assert();
    list.assert();
    me.assert();
    done.into_value()
}

#[test]
fn invite_posts_name_email_level_and_drops_the_site_users() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/60/invite",
        json!({"name": "Andrew", "email": "andrew@example.com", "accessLevel": 1}),
        r#"{"success":true,"user":false,"data":{"idUser":1,"idSite":60,"created":1698415280,
            "name":"Andrew","email":"andrew@example.com","accessLevel":1,"idInvite":"0"}}"#,
    );
    let invited = drops_what_it_made_stale(server, false, post, |c| {
        c.site(SITE).invite(&Invite::new(
            " Andrew ",
            "andrew@example.com",
            AccessLevel::FullControl,
        ))
    })
    .expect("the invitation");
    assert_eq!(invited.id_site, Some(SITE));
    assert_eq!(invited.created, Some(1_698_415_280));
    assert_eq!(invited.level(), Some(AccessLevel::FullControl));
    assert_eq!(invited.id_invite, Some(vrm::InviteId(0)));
}

#[test]
fn unlink_user_posts_the_user_and_drops_users_and_installations() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/60/unlink-user",
        json!({"idUser": 1234}),
        r#"{"success":true,"idSite":60}"#,
    );
    drops_what_it_made_stale(server, true, post, |c| {
        c.site(SITE).unlink_user(UserId(1234))
    });
}

#[test]
fn unlink_posts_an_empty_body_and_drops_users_and_installations() {
    let mut server = server();
    let post = server
        .mock("POST", "/installations/60/unlink")
        .match_query(Matcher::Exact(String::new()))
        .match_header("x-authorization", common::token_header().as_str())
        .match_body(Matcher::Json(json!({})))
        .with_body(r#"{"success":true,"idSite":60}"#)
        .expect(1)
        .create();
    drops_what_it_made_stale(server, true, post, |c| c.site(SITE).unlink());
}

#[test]
fn user_rights_post_matching_arrays_and_drop_users_and_installations() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/60/user-rights",
        json!({"idUser": [1234, 5678], "accessLevel": [1, 0]}),
        OK,
    );
    drops_what_it_made_stale(server, true, post, |c| {
        c.site(SITE).set_user_rights(
            &UserRights::new()
                .set(UserId(1234), AccessLevel::FullControl)
                .set(UserId(5678), AccessLevel::Monitoring),
        )
    });
}

#[test]
fn invite_rights_post_matching_arrays_and_return_per_address() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/60/invite-rights",
        json!({"email": ["andrew@example.com", "bob@example.com"], "accessLevel": [1, 0]}),
        r#"{"success":true,"records":{"andrew@example.com":true,"bob@example.com":false}}"#,
    );
    let records = drops_what_it_made_stale(server, false, post, |c| {
        c.site(SITE).set_invite_rights(
            &InviteRights::new()
                .set("andrew@example.com", AccessLevel::FullControl)
                .set("bob@example.com", AccessLevel::Monitoring),
        )
    });
    assert_eq!(records.get("andrew@example.com"), Some(&true));
    assert_eq!(records.get("bob@example.com"), Some(&false));
}

#[test]
fn link_user_groups_posts_the_groups() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/60/link-user-groups",
        json!({"userGroups": [{"idUserGroup": 10, "accessLevel": 0}, {"idUserGroup": 11, "accessLevel": 2}]}),
        OK,
    );
    drops_what_it_made_stale(server, true, post, |c| {
        c.site(SITE).link_user_groups(&[
            GroupAccess::new(UserGroupId(10), AccessLevel::Monitoring),
            GroupAccess::new(UserGroupId(11), AccessLevel::Technician),
        ])
    });
}

#[test]
fn user_group_access_level_posts_the_level() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/60/user-group-access-level",
        json!({"idUserGroup": 10, "accessLevel": 2}),
        OK,
    );
    drops_what_it_made_stale(server, true, post, |c| {
        c.site(SITE)
            .set_user_group_access_level(UserGroupId(10), AccessLevel::Technician)
    });
}

#[test]
fn unlink_user_group_posts_a_null_level() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/60/user-group-access-level",
        json!({"idUserGroup": 10, "accessLevel": null}),
        OK,
    );
    drops_what_it_made_stale(server, true, post, |c| {
        c.site(SITE).unlink_user_group(UserGroupId(10))
    });
}

#[test]
fn success_false_with_status_200_is_an_api_error_and_drops_nothing() {
    let dir = TempDir::new("access-refused");
    let cache = cache(&dir);
    let mut server = server();
    let me = common::mock_me(&mut server, 22);
    let users = mock_users(&mut server, 1);
    let post = server
        .mock("POST", "/installations/60/unlink-user")
        .with_body(
            r#"{"success":false,"idSite":60,"error_code":"min_one_admin_required","errors":["Cannot remove the last admin"]}"#,
        )
        .expect(1)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    client.site(SITE).users().unwrap();
    let e = client.site(SITE).unlink_user(UserId(1234)).unwrap_err();
    match &e {
        Error::Api(a) => {
            assert_eq!(a.status, 200);
            assert_eq!(a.error_code.as_deref(), Some("min_one_admin_required"));
            assert_eq!(a.errors, ["Cannot remove the last admin"]);
        }
        other => panic!("an api error, got {other:?}"),
    }
    assert_eq!(client.site(SITE).users().unwrap().source(), Source::Cache);
    post.assert();
    users.assert();
    me.assert();
}

#[test]
fn missing_fields_are_refused_with_no_request() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    let errors = [
        site.invite(&Invite::new("", "a@example.com", AccessLevel::Monitoring))
            .map(|_| ())
            .unwrap_err(),
        site.invite(&Invite::new("A", "", AccessLevel::Monitoring))
            .map(|_| ())
            .unwrap_err(),
        site.invite(&Invite::new("A", "not-an-address", AccessLevel::Monitoring))
            .map(|_| ())
            .unwrap_err(),
        site.set_user_rights(&UserRights::new())
            .map(|_| ())
            .unwrap_err(),
        site.set_invite_rights(&InviteRights::new())
            .map(|_| ())
            .unwrap_err(),
        site.set_invite_rights(&InviteRights::new().set(" ", AccessLevel::Monitoring))
            .map(|_| ())
            .unwrap_err(),
        site.link_user_groups(&[]).map(|_| ()).unwrap_err(),
    ];
    for e in errors {
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("expected"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
    assert_no_request(&none);
}

#[test]
fn access_writes_are_refused_offline_with_no_request() {
    let dir = TempDir::new("access-offline");
    let cache = cache(&dir);
    let mut server = server();
    let none = no_request(&mut server);
    let client = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(cache)
        .cache_mode(CacheMode::Offline)
        .build()
        .unwrap();
    let site = client.site(SITE);
    let errors = [
        site.invite(&Invite::new("A", "a@example.com", AccessLevel::Monitoring))
            .map(|_| ())
            .unwrap_err(),
        site.unlink_user(UserId(1)).map(|_| ()).unwrap_err(),
        site.unlink().map(|_| ()).unwrap_err(),
        site.set_user_rights(&UserRights::new().set(UserId(1), AccessLevel::Monitoring))
            .map(|_| ())
            .unwrap_err(),
        site.set_invite_rights(&InviteRights::new().set("a@example.com", AccessLevel::Monitoring))
            .map(|_| ())
            .unwrap_err(),
        site.link_user_groups(&[GroupAccess::new(UserGroupId(1), AccessLevel::Monitoring)])
            .map(|_| ())
            .unwrap_err(),
        site.unlink_user_group(UserGroupId(1))
            .map(|_| ())
            .unwrap_err(),
    ];
    for e in errors {
        assert!(matches!(e, Error::NotCached(_)), "{e:?}");
        assert!(
            e.to_string().contains("offline mode sends no request"),
            "{e}"
        );
    }
    // A read offline on an empty cache: not cached, no request either.
    assert!(site.users().unwrap_err().is_not_cached());
    assert_no_request(&none);
}

#[test]
fn site_users_get_pins_the_request() {
    let mut server = server();
    let users = expect_get(&mut server, "/installations/60/users", "", USERS);
    let (client, _) = common::client(&server);
    assert_eq!(client.site(SITE).users().unwrap().users.len(), 2);
    users.assert();
}
