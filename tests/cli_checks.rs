//! What the CLI checks before it sends anything: attribute codes against
//! the catalogue of the VRM doc.
#![cfg(feature = "cli")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::TempDir;
use common::slow::SlowVrm;

const BIN: &str = env!("CARGO_BIN_EXE_vrm");

fn vrm(server: &SlowVrm, dir: &TempDir, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .env_clear()
        .env("HOME", dir.join("home"))
        .env("VRM_TOKEN", "test-token")
        .args(["--base-url", &server.url, "--cache"])
        .arg(dir.join("cache.db"))
        .args(args)
        .output()
        .expect("vrm runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unknown_codes_are_refused_before_any_request_with_what_was_meant() {
    let server = SlowVrm::start(Duration::ZERO, None, slow_fleet());
    let dir = TempDir::new("cli-codes");
    let window = ["--from", "2025-01-01", "--to", "2025-01-02"];
    for (args, meant) in [
        (
            vec!["stats", "1", "--type", "custom", "--codes", "Pc,pc"],
            "'Pc' (PV to consumers)",
        ),
        (
            vec!["graph", "1", "--codes", "bss"],
            "'bs' (Battery State of Charge)",
        ),
        (
            vec!["overall", "1", "--type", "custom", "--codes", "gC"],
            "'Gc'",
        ),
        (
            vec!["sync", "1", "--type", "custom", "--codes", "pc"],
            "'Pc'",
        ),
    ] {
        let args = if args[0] == "overall" {
            args
        } else {
            [&args[..], &window[..]].concat()
        };
        let (code, stdout, stderr) = vrm(&server, &dir, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("unknown code"), "{stderr}");
        assert!(
            stderr.contains(&format!("did you mean {meant}")),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("--allow-unknown-codes"), "{stderr}");
    }
    assert_eq!(
        server.requests(),
        0,
        "nothing was sent: {:?}",
        server.paths()
    );
    // A code VRM added after the doc goes through when asked.
    let (code, _, stderr) = vrm(
        &server,
        &dir,
        &[
            "--allow-unknown-codes",
            "stats",
            "1",
            "--type",
            "custom",
            "--codes",
            "Zz9",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-02",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        server
            .paths()
            .iter()
            .any(|p| p.contains("attributeCodes%5B%5D=Zz9")),
        "{:?}",
        server.paths()
    );
}

fn slow_fleet() -> impl Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync + 'static {
    common::slow::fleet(1)
}
