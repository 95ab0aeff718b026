//! The commands of one endpoint family each, in a module of their own:
//! its arguments, its run and its output. What they share (the client,
//! the output forms, times) is in `commands`, `output` and `times`.

pub mod account;
pub mod admin;
pub mod alarms;
pub mod attributes;
pub mod call;
pub mod codes;
pub mod demo;
pub mod dess;
pub mod downloads;
pub mod forecast;
pub mod report;
pub mod search;
pub mod settings;
pub mod site;
pub mod sites;
pub mod stats;
pub mod sync;
pub mod tags;
pub mod tokens;
pub mod users;
pub mod widgets;

use std::io::{BufRead, IsTerminal, Write};

use serde_json::Value;

use crate::Failure;
use crate::commands::{Result, usage};

/// Ask before a destructive action: `--yes` says yes; on a terminal the
/// user is asked; anything else is refused before any request.
pub fn confirm(yes: bool, what: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(usage(format!(
            "{what}: this cannot be undone; pass --yes to do it without a terminal to ask on"
        )));
    }
    eprint!("vrm: {what}? This cannot be undone. [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Io(format!("reading the answer: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(usage(format!("{what}: not confirmed; nothing was sent")))
    }
}

/// A JSON body given as `--body`: the JSON text itself, `@FILE`, or `@-`
/// for standard input.
pub fn json_body(text: &str) -> Result<Value> {
    let (source, json) = match text.strip_prefix('@') {
        Some("-") => {
            let mut json = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut json)
                .map_err(|e| Failure::Io(format!("--body @-: reading standard input: {e}")))?;
            ("standard input".to_owned(), json)
        }
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .map_err(|e| usage(format!("--body @{path}: cannot read the file: {e}")))?;
            (format!("file {path:?}"), json)
        }
        None => ("--body".to_owned(), text.to_owned()),
    };
    serde_json::from_str(&json).map_err(|e| {
        usage(format!(
            "{source}: not JSON ({e}); expected a JSON value like {{\"name\": \"x\"}}, @FILE or @-"
        ))
    })
}

/// `KEY=VALUE` pairs, in order.
pub fn pairs(items: &[String], option: &str) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), value.to_owned()))
            }
            _ => Err(usage(format!(
                "{option} {item:?}: expected KEY=VALUE, like count=10"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_text_or_a_file() {
        assert_eq!(
            json_body("{\"a\":1}").ok(),
            Some(serde_json::json!({"a": 1}))
        );
        let Err(Failure::Usage(e)) = json_body("{a") else {
            panic!("a usage error");
        };
        assert!(e.starts_with("--body: not JSON"), "{e}");
        let Err(Failure::Usage(e)) = json_body("@/no/such/file.json") else {
            panic!("a usage error");
        };
        assert!(e.contains("cannot read the file"), "{e}");
    }

    #[test]
    fn pairs_need_a_key() {
        let got = pairs(&["a=1".into(), "b==2".into()], "--query").ok();
        assert_eq!(
            got,
            Some(vec![("a".into(), "1".into()), ("b".into(), "=2".into())])
        );
        assert!(pairs(&["=1".into()], "--query").is_err());
        assert!(pairs(&["x".into()], "--query").is_err());
    }
}
