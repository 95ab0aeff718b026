//! The `vrm` commands of users and site access, run as the built binary
//! against a mock VRM on loopback: `search`, `site-id`, `sites add|unlink`,
//! `invites`, `users SITE [invite|remove|rights|invite-rights|link-groups|
//! group-level|remove-group]`, `tokens list|create|revoke`.
//!
//! Every run clears the environment (HOME inside the test's folder), passes
//! `--cache` in a temp folder and `--base-url` pointing at the mock.
//! Catch-all mocks (`expect(0)`) prove that refused input costs no request.

#![cfg(feature = "cli")]

mod common;

use std::process::Command;

use common::{TOKEN, TempDir, token_header};
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_vrm");

const ME: &str =
    r#"{"success":true,"user":{"id":22,"name":"demo demo","email":"demo@victronenergy.com"}}"#;

#[derive(Debug)]
struct Run {
    args: String,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "vrm {}: exit {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn ok(self) -> Run {
        self.code(0)
    }

    /// Stdout as the one JSON object `{"source", "requests", "data"}`.
    #[track_caller]
    fn json(&self) -> Value {
        assert_eq!(self.stdout.lines().count(), 1, "{}", self.stdout);
        let v: Value = serde_json::from_str(&self.stdout).expect("JSON");
        assert!(
            v.get("source").is_some() && v.get("requests").is_some(),
            "{v}"
        );
        v
    }

    /// The one line of stderr, with stdout empty.
    #[track_caller]
    fn error(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "vrm {}: {}", self.args, self.stderr);
        assert!(lines[0].starts_with("vrm: "), "{}", lines[0]);
        assert!(self.stdout.is_empty(), "{}", self.stdout);
        lines[0]
    }
}

struct Env {
    server: ServerGuard,
    dir: TempDir,
}

impl Env {
    fn new(tag: &str) -> Env {
        Env {
            server: common::server(),
            dir: TempDir::new(&format!("cli-users-{tag}")),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("HOME", &self.dir.0)
            .env("XDG_CACHE_HOME", self.dir.join("xdg-cache"))
            .current_dir(&self.dir.0)
            .env("VRM_TOKEN", TOKEN)
            .arg("--base-url")
            .arg(self.server.url())
            .arg("--cache")
            .arg(self.dir.join("c.sqlite"))
            .args(args)
            .stdin(std::process::Stdio::null());
        let out = cmd.output().expect("vrm runs");
        Run {
            args: args.join(" "),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
        }
    }

    /// Catch-alls that must never be hit (create before the real mocks).
    fn catch_all(&mut self) -> Vec<Mock> {
        ["GET", "POST", "PUT", "DELETE", "PATCH"]
            .iter()
            .map(|m| {
                self.server
                    .mock(m, Matcher::Any)
                    .match_query(Matcher::Any)
                    .with_status(418)
                    .with_body(r#"{"success":false,"errors":"unexpected"}"#)
                    .expect(0)
                    .create()
            })
            .collect()
    }

    fn me(&mut self) -> Mock {
        self.server
            .mock("GET", "/users/me")
            .match_header("x-authorization", token_header().as_str())
            .with_body(ME)
            .expect_at_least(1)
            .create()
    }

    fn get(&mut self, path: &str, query: &str, body: &str, n: usize) -> Mock {
        self.server
            .mock("GET", path)
            .match_query(Matcher::Exact(query.to_owned()))
            .match_header("x-authorization", token_header().as_str())
            .with_body(body)
            .expect(n)
            .create()
    }

    fn post(&mut self, path: &str, body: Value, answer: &str) -> Mock {
        self.server
            .mock("POST", path)
            .match_header("x-authorization", token_header().as_str())
            .match_body(Matcher::Json(body))
            .with_body(answer)
            .expect(1)
            .create()
    }
}

fn assert_all(mocks: &[Mock]) {
    for m in mocks {
        m.assert();
    }
}

/// The cells of the table lines (split on 2+ spaces).
fn rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn search_table_csv_json() {
    let mut env = Env::new("search");
    let all = env.catch_all();
    let me = env.me();
    let search = env.get(
        "/users/22/search",
        "query=foo",
        r#"{"success":true,"count":2,"results":[{"site_id":1,"site_identifier":"abcdef1234","site_name":"foo\u001bbar"},{"site_id":"2","site_name":"food"}]}"#,
        1,
    );
    let table = env.run(&["search", "foo"]).ok();
    let r = rows(&table.stdout);
    assert_eq!(r[0], ["site", "identifier", "name"]);
    assert_eq!(r[1], ["1", "abcdef1234", "foo\\u{1b}bar"], "escaped");
    assert_eq!(r[2], ["2", "food"]);
    let csv = env.run(&["search", "foo", "--format", "csv"]).ok();
    assert_eq!(csv.stdout.lines().next(), Some("site,identifier,name"));
    let json = env.run(&["search", "foo", "--format", "json"]).ok().json();
    assert_eq!(json["source"], "cache", "the search was cached");
    assert_eq!(json["data"][1]["site_id"], 2);
    let blank = env.run(&["search", " "]).code(2);
    assert!(blank.error().contains("search query"), "{}", blank.stderr);
    search.assert();
    me.assert();
    assert_all(&all);
}

#[test]
fn site_id_and_sites_add() {
    let mut env = Env::new("sites");
    let all = env.catch_all();
    let me = env.me();
    let get = env.post(
        "/users/22/get-site-id",
        json!({"installation_identifier": "d41243cd7c66"}),
        r#"{"success":true,"records":{"site_id":"151734"}}"#,
    );
    let run = env.run(&["site-id", "d41243cd7c66"]).ok();
    assert_eq!(
        rows(&run.stdout),
        [["identifier", "site"], ["d41243cd7c66", "151734"]]
    );
    let add = env.post(
        "/users/22/addsite",
        json!({"installation_identifier": "c0ffee123456"}),
        r#"{"success":true,"records":{"site_id":777}}"#,
    );
    let run = env
        .run(&["sites", "add", "c0ffee123456", "--format", "json"])
        .ok();
    assert_eq!(
        run.json()["data"],
        json!({"identifier": "c0ffee123456", "site": 777})
    );
    get.assert();
    add.assert();
    me.assert();
    assert_all(&all);
}

#[test]
fn sites_unlink_needs_yes_without_a_terminal() {
    let mut env = Env::new("unlink");
    let all = env.catch_all();
    let refused = env.run(&["sites", "unlink", "151734"]).code(2);
    let line = refused.error();
    assert!(
        line.contains("unlink installation 151734") && line.contains("--yes"),
        "{line}"
    );
    assert_all(&all);

    let me = env.me();
    let unlink = env.post(
        "/installations/151734/unlink",
        json!({}),
        r#"{"success":true,"idSite":151734}"#,
    );
    let run = env.run(&["sites", "unlink", "151734", "--yes"]).ok();
    assert_eq!(
        rows(&run.stdout)[1],
        ["151734", "unlinked from the account"]
    );
    unlink.assert();
    me.assert();
    // VRM's refusal (success: false with status 200) exits 3 and names it.
    let _refusal = env
        .server
        .mock("POST", "/installations/9/unlink")
        .with_body(r#"{"success":false,"idSite":9,"error_code":"site_not_linked","errors":["The installation is not linked"]}"#)
        .expect(1)
        .create();
    let run = env.run(&["sites", "unlink", "9", "--yes"]).code(3);
    assert!(run.error().contains("not linked"), "{}", run.stderr);
}

#[test]
fn invites_table_and_json() {
    let mut env = Env::new("invites");
    let all = env.catch_all();
    let me = env.me();
    let invites = env.get(
        "/users/22/invites",
        "",
        r#"{"success":true,"data":{"invitesSiteGroups":[{"idSiteGroup":1234,"siteGroupName":"Group 1","inviterName":"John Doe","inviteTimestamp":1752046191}],
            "invitesUserGroups":[],"requestsUserGroups":[],"requestsInstallations":[{"idSite":4321,"installationName":"Main Site","inviteeName":"Jane Doe","idUser":5678,"inviteTimestamp":1752046191}]}}"#,
        1,
    );
    let run = env.run(&["invites"]).ok();
    let r = rows(&run.stdout);
    assert_eq!(r[0], ["kind", "id", "name", "from", "when"]);
    assert_eq!(
        r[1],
        [
            "site-group invite",
            "1234",
            "Group 1",
            "John Doe",
            "2025-07-09T07:29:51Z"
        ]
    );
    assert_eq!(r[2][0], "site request");
    let json = env.run(&["invites", "--format", "json"]).ok().json();
    assert_eq!(json["source"], "cache");
    assert_eq!(json["data"]["requestsInstallations"][0]["idSite"], 4321);
    invites.assert();
    me.assert();
    assert_all(&all);
}

const USERS: &str = r#"{"success":true,
    "users":[{"idUser":1234,"name":"Andrew","email":"andrew@example.com","accessLevel":1}],
    "invites":[{"idInvite":42,"email":"new@example.com","name":"New User","accessLevel":0}],
    "pending":[],"userGroups":[{"idUserGroup":10,"name":"Ops","accessLevel":2}],
    "siteGroups":[{"idSiteGroup":3,"name":"Fleet A"}]}"#;

#[test]
fn users_list_and_writes() {
    let mut env = Env::new("users");
    let all = env.catch_all();
    let me = env.me();
    let list = env.get("/installations/60/users", "", USERS, 2);
    let table = env.run(&["users", "60"]).ok();
    let r = rows(&table.stdout);
    assert_eq!(r[0], ["kind", "id", "name", "email", "level"]);
    assert_eq!(
        r[1],
        [
            "user",
            "1234",
            "Andrew",
            "andrew@example.com",
            "full-control"
        ]
    );
    assert_eq!(
        r[2],
        ["invite", "42", "New User", "new@example.com", "monitoring"]
    );
    assert_eq!(r[3], ["user-group", "10", "Ops", "technician"]);
    assert_eq!(r[4], ["site-group", "3", "Fleet A"]);
    let csv = env.run(&["users", "60", "--format", "csv"]).ok();
    assert_eq!(csv.stdout.lines().count(), 5);

    let invite = env.post(
        "/installations/60/invite",
        json!({"name": "Bob", "email": "bob@example.com", "accessLevel": 2}),
        r#"{"success":true,"data":{"idUser":0,"idSite":60,"name":"Bob","email":"bob@example.com","accessLevel":2,"idInvite":43}}"#,
    );
    let run = env
        .run(&[
            "users",
            "60",
            "invite",
            "Bob",
            "bob@example.com",
            "--level",
            "technician",
        ])
        .ok();
    assert_eq!(
        rows(&run.stdout)[1],
        ["43", "0", "Bob", "bob@example.com", "technician"]
    );
    // The invite made the cached list stale: the next list asks VRM again.
    let json = env.run(&["users", "60", "--format", "json"]).ok().json();
    assert_eq!(json["source"], "network");
    list.assert();

    let rights = env.post(
        "/installations/60/user-rights",
        json!({"idUser": [1234, 5678], "accessLevel": [1, 0]}),
        r#"{"success":true}"#,
    );
    let run = env
        .run(&["users", "60", "rights", "1234=full-control", "5678=0"])
        .ok();
    assert_eq!(
        rows(&run.stdout)[1],
        ["60", "user 1234: full-control, user 5678: monitoring"]
    );
    let invite_rights = env.post(
        "/installations/60/invite-rights",
        json!({"email": ["new@example.com"], "accessLevel": [1]}),
        r#"{"success":true,"records":{"new@example.com":true}}"#,
    );
    let run = env
        .run(&["users", "60", "invite-rights", "new@example.com=1"])
        .ok();
    assert_eq!(
        rows(&run.stdout)[1],
        ["new@example.com", "full-control", "yes"]
    );
    let link = env.post(
        "/installations/60/link-user-groups",
        json!({"userGroups": [{"idUserGroup": 10, "accessLevel": 0}]}),
        r#"{"success":true}"#,
    );
    env.run(&["users", "60", "link-groups", "10=monitoring"])
        .ok();
    let level = env.post(
        "/installations/60/user-group-access-level",
        json!({"idUserGroup": 10, "accessLevel": 2}),
        r#"{"success":true}"#,
    );
    let run = env
        .run(&["users", "60", "group-level", "10", "2", "--format", "json"])
        .ok();
    assert_eq!(
        run.json()["data"],
        json!({"site": 60, "idUserGroup": 10, "accessLevel": 2})
    );
    let remove_group = env.post(
        "/installations/60/user-group-access-level",
        json!({"idUserGroup": 10, "accessLevel": null}),
        r#"{"success":true}"#,
    );
    env.run(&["users", "60", "remove-group", "10", "--yes"])
        .ok();
    let remove = env.post(
        "/installations/60/unlink-user",
        json!({"idUser": 1234}),
        r#"{"success":true,"idSite":60}"#,
    );
    let run = env.run(&["users", "60", "remove", "1234", "--yes"]).ok();
    assert_eq!(rows(&run.stdout)[1], ["60", "removed user 1234"]);
    for m in [
        invite,
        rights,
        invite_rights,
        link,
        level,
        remove_group,
        remove,
    ] {
        m.assert();
    }
    me.assert();
    assert_all(&all);
}

#[test]
fn users_bad_input_and_destructive_actions_send_nothing() {
    let mut env = Env::new("users-refused");
    let all = env.catch_all();
    for (args, says) in [
        (&["users", "sixty"][..], "site \"sixty\""),
        (
            &["users", "60", "invite", "Bob", "bob", "--level", "1"],
            "e-mail address",
        ),
        (
            &[
                "users",
                "60",
                "invite",
                "Bob",
                "bob@example.com",
                "--level",
                "boss",
            ],
            "access level \"boss\"",
        ),
        (&["users", "60", "rights", "1234"], "USER=LEVEL"),
        (&["users", "60", "rights", "x=1"], "user id \"x\""),
        (
            &["users", "60", "invite-rights", "nope=1"],
            "e-mail address",
        ),
        (
            &["users", "60", "link-groups", "10=7"],
            "access level \"7\"",
        ),
        (&["users", "60", "group-level", "ten", "1"], "user group id"),
        (&["users", "60", "remove", "1234"], "--yes"),
        (&["users", "60", "remove-group", "10"], "--yes"),
    ] {
        let run = env.run(args).code(2);
        let line = run.error();
        assert!(line.contains(says), "vrm {}: {line}", args.join(" "));
    }
    assert_all(&all);
}

#[test]
fn tokens_create_with_expiry_and_revoke() {
    let mut env = Env::new("tokens");
    let all = env.catch_all();
    let me = env.me();
    let create = env.post(
        "/users/22/accesstokens/create",
        json!({"name": "ci", "expiry": 1_893_456_000}),
        r#"{"success":true,"token":"t0k-secret","idAccessToken":125}"#,
    );
    let run = env
        .run(&[
            "tokens",
            "create",
            "ci",
            "--expiry",
            "2030-01-01",
            "--format",
            "json",
        ])
        .ok();
    assert_eq!(
        run.json()["data"],
        json!({"idAccessToken": 125, "name": "ci", "expires": 1_893_456_000, "token": "t0k-secret"})
    );
    let bad = env
        .run(&["tokens", "create", "ci", "--expiry", "someday"])
        .code(2);
    assert!(
        bad.error().contains("--expiry \"someday\""),
        "{}",
        bad.stderr
    );
    let past = env
        .run(&["tokens", "create", "ci", "--expiry", "-1h"])
        .code(2);
    assert!(past.error().contains("in the future"), "{}", past.stderr);

    let delete = env
        .server
        .mock("DELETE", "/users/22/accesstokens/51")
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":true,"data":{"removed":1}}"#)
        .expect(1)
        .create();
    let run = env.run(&["tokens", "revoke", "51"]).ok();
    assert_eq!(rows(&run.stdout), [["revoked"], ["1"]]);
    // An id VRM does not know: it answers removed 0; the CLI exits 3.
    let unknown = env
        .server
        .mock("DELETE", "/users/22/accesstokens/999")
        .with_body(r#"{"success":true,"data":{"removed":0}}"#)
        .expect(1)
        .create();
    let run = env.run(&["tokens", "revoke", "999"]).code(3);
    let line = run.error();
    assert!(
        line.contains("token 999") && line.contains("removed: 0"),
        "{line}"
    );
    // Revoking every token needs --yes without a terminal; nothing is sent.
    let refused = env.run(&["tokens", "revoke", "*"]).code(2);
    assert!(refused.error().contains("--yes"), "{}", refused.stderr);
    // A server without the DELETE (405): the old GET.
    let old_delete = env
        .server
        .mock(
            "DELETE",
            Matcher::Regex(r"^/users/22/accesstokens/(\*|%2A)$".into()),
        )
        .with_status(405)
        .with_body(r#"{"success":false,"errors":"Method not allowed"}"#)
        .expect(1)
        .create();
    let old_get = env
        .server
        .mock(
            "GET",
            Matcher::Regex(r"^/users/22/accesstokens/(\*|%2A)/revoke$".into()),
        )
        .with_body(r#"{"success":true,"data":{"removed":3}}"#)
        .expect(1)
        .create();
    let run = env
        .run(&["tokens", "revoke", "*", "--yes", "--format", "json"])
        .ok();
    let v = run.json();
    assert_eq!(
        (v["data"]["removed"].clone(), v["requests"].clone()),
        (json!(3), json!(2))
    );
    for m in [create, delete, unknown, old_delete, old_get] {
        m.assert();
    }
    me.assert();
    assert_all(&all);
}

#[test]
fn every_new_command_offline_on_an_empty_cache_sends_nothing() {
    let mut env = Env::new("offline");
    let all = env.catch_all();
    for args in [
        &["search", "foo"][..],
        &["site-id", "d41243cd7c66"],
        &["sites", "add", "d41243cd7c66"],
        &["sites", "unlink", "60", "--yes"],
        &["invites"],
        &["users", "60"],
        &[
            "users",
            "60",
            "invite",
            "Bob",
            "bob@example.com",
            "--level",
            "0",
        ],
        &["users", "60", "remove", "1", "--yes"],
        &["users", "60", "rights", "1=0"],
        &["users", "60", "invite-rights", "a@example.com=0"],
        &["users", "60", "link-groups", "1=0"],
        &["users", "60", "group-level", "1", "0"],
        &["users", "60", "remove-group", "1", "--yes"],
        &["tokens", "list"],
        &["tokens", "create", "x", "--expiry", "+1d"],
        &["tokens", "revoke", "5"],
        &["tokens", "revoke", "*", "--yes"],
    ] {
        let mut with = vec!["--offline"];
        with.extend_from_slice(args);
        let run = env.run(&with).code(5);
        assert!(
            run.error().contains("offline"),
            "vrm {}: {}",
            with.join(" "),
            run.stderr
        );
    }
    assert_all(&all);
}
