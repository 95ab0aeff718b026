//! Fuzzing every decoder: whatever the bytes, decoding gives a value or a
//! typed error — never a panic, a stack overflow or a hang.
//!
//! The inputs are the fixtures (and the live samples, when
//! `/work/shared/reference/live-samples` or `FUZZ_SEED_DIR` holds them),
//! mutated: values replaced by values of another type, huge numbers, `NaN`
//! and deep nests; keys dropped, added and duplicated; subtrees swapped;
//! then bytes set, cut, repeated or made invalid UTF-8. Plain arbitrary
//! bytes too. The decoders are reached directly — `serde_json` on the model
//! types and on the whole bodies (`vrm::wire`, the private `internals`
//! feature), from bytes and from a `Value`, and `from_body` for the
//! downloads — and through the whole client against a loopback server, for
//! `Retry-After` values and for installations and stats bodies that go
//! through the cache.
//!
//! `cargo test --test fuzz` runs 10,000 cases per decoder. The long run,
//! `cargo test --release --test fuzz -- --ignored --nocapture`, runs
//! `FUZZ_CASES` cases per decoder (default 1,000,000), stops a decoder after
//! `FUZZ_SECONDS` seconds when set, and prints its figures. A failure
//! prints the minimal input found, as escaped bytes.

use std::borrow::Cow;
use std::fmt::Debug;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use vrm::models::{CreateTokenResponse, GpsDownloadResponse, Point, Series, Stats, Tag, Total};
use vrm::wire::{
    AckResponse, AlarmLogResponse, AlarmWriteResponse, AlarmsResponse, ApiErrorBody,
    CustomWidgetResponse, DataAttributesResponse, DataDownloadResponse, DiagnosticsResponse,
    DynamicEssResponse, DynamicEssScheduleResponse, ForecastsResetResponse, GraphResponse,
    InstallationsResponse, InviteResponse, InviteRightsResponse, InvitesResponse, LoginResponse,
    MeResponse, OverallStatsResponse, OverviewResponse, RevokeResponse, SearchResponse,
    SiteIdResponse, SiteUsersResponse, StatsResponse, SystemOverviewResponse, TagsResponse,
    TokensResponse, WidgetResponse,
};
use vrm::{Cache, Client, Error, Interval, ManualClock, SiteId, StatsQuery, TimeWindow, UserId};

// ---- how long to run ---------------------------------------------------------------

/// Cases per decoder in the normal run.
const QUICK_CASES: u64 = 10_000;

/// Cases per decoder in the long run, unless `FUZZ_CASES` says otherwise.
const LONG_CASES: u64 = 1_000_000;

/// Cases of one `TestRunner` in the long run (each batch has its own seed).
const LONG_BATCH: u64 = 20_000;

#[derive(Debug, Clone, Copy)]
enum Run {
    Quick,
    Long,
}

impl Run {
    /// Cases, and the time after which the run stops early.
    fn budget(self, quick: u64) -> (u64, Option<Duration>) {
        let env = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        match self {
            Run::Quick => (quick, None),
            Run::Long => (
                env("FUZZ_CASES").unwrap_or(LONG_CASES),
                env("FUZZ_SECONDS").map(Duration::from_secs),
            ),
        }
    }
}

/// Run `test` on cases of `strategy`, in batches for the long run; panics
/// with the minimal failing case.
fn drive<S: Strategy>(
    name: &str,
    run: Run,
    quick: u64,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let (total, limit) = run.budget(quick);
    let batch = match run {
        Run::Quick => total,
        Run::Long => LONG_BATCH,
    };
    let started = Instant::now();
    let mut done = 0;
    while done < total && limit.is_none_or(|l| started.elapsed() < l) {
        let cases = (total - done).min(batch);
        let mut runner = TestRunner::new(Config {
            cases: u32::try_from(cases).unwrap_or(u32::MAX),
            failure_persistence: None,
            max_shrink_iters: 10_000,
            // ChaCha costs more than the decoding in a debug build.
            rng_algorithm: RngAlgorithm::XorShift,
            ..Config::default()
        });
        if let Err(failure) = runner.run(strategy, &test) {
            panic!("{name}: {failure}");
        }
        done += cases;
    }
    if let Run::Long = run {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "fuzz {name}: {done} cases in {secs:.1} s ({:.0} cases/s)",
            done as f64 / secs.max(1e-9)
        );
    }
}

/// Bytes as text a failure message can show: escaped, cut at 3,000.
fn show(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(3_000)];
    let more = if bytes.len() > cut.len() { "…" } else { "" };
    format!("{} bytes: b\"{}\"{more}", bytes.len(), cut.escape_ascii())
}

// ---- seeds: the fixtures as trees --------------------------------------------------

/// A JSON document that keeps its scalars' text and its keys' order
/// (`serde_json::Value` sorts keys and rounds numbers).
#[derive(Debug, Clone)]
enum Tree {
    /// A number, string (with its quotes), `true`, `false` or `null`.
    Scalar(String),
    Array(Vec<Tree>),
    /// Keys with their quotes.
    Object(Vec<(String, Tree)>),
}

/// A parser for the seeds, which are valid JSON.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn parse(text: &[u8]) -> Option<Tree> {
        serde_json::from_slice::<serde::de::IgnoredAny>(text).ok()?;
        let mut parser = Parser { text, at: 0 };
        let tree = parser.value()?;
        parser.ws();
        (parser.at == text.len()).then_some(tree)
    }

    fn ws(&mut self) {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.ws();
        let found = self.text.get(self.at) == Some(&byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn value(&mut self) -> Option<Tree> {
        self.ws();
        match *self.text.get(self.at)? {
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Some(Tree::Object(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    members.push((key, self.value()?));
                    if self.eat(b'}') {
                        return Some(Tree::Object(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Tree::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b']') {
                        return Some(Tree::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Tree::Scalar),
            _ => {
                let start = self.at;
                while let Some(b) = self.text.get(self.at) {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.text[start..self.at]).ok()?;
                (!text.is_empty()).then(|| Tree::Scalar(text.to_owned()))
            }
        }
    }

    /// A string with its quotes, as written.
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        if self.text.get(self.at) != Some(&b'"') {
            return None;
        }
        self.at += 1;
        loop {
            match self.text.get(self.at)? {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        std::str::from_utf8(&self.text[start..self.at])
            .ok()
            .map(str::to_owned)
    }
}

/// Items of an array a windowed variant keeps (one for big documents).
const WINDOW: usize = 3;

/// Documents larger than this are windowed one item at a time.
const BIG_BYTES: usize = 16_384;

/// At most this many windowed variants per document.
const MAX_VARIANTS: usize = 24;

/// Documents up to this size are also seeds whole.
const WHOLE_BYTES: usize = 8_192;

/// How many variants `tree` has, keeping `window` items of each array:
/// every item is in one.
fn variants(tree: &Tree, window: usize) -> usize {
    match tree {
        Tree::Scalar(_) => 1,
        Tree::Array(items) => items
            .iter()
            .map(|t| variants(t, window))
            .chain([items.len().div_ceil(window)])
            .max()
            .unwrap_or(1),
        Tree::Object(members) => members
            .iter()
            .map(|(_, t)| variants(t, window))
            .max()
            .unwrap_or(1),
    }
}

/// Variant `k` of `tree`: each long array keeps one group of `window`
/// items, so the seeds stay small and mutations cheap.
fn windowed(tree: &Tree, k: usize, window: usize) -> Tree {
    match tree {
        Tree::Scalar(s) => Tree::Scalar(s.clone()),
        Tree::Array(items) if items.len() > window => {
            let group = k % items.len().div_ceil(window);
            Tree::Array(
                items
                    .iter()
                    .skip(group * window)
                    .take(window)
                    .map(|t| windowed(t, k, window))
                    .collect(),
            )
        }
        Tree::Array(items) => Tree::Array(items.iter().map(|t| windowed(t, k, window)).collect()),
        Tree::Object(members) => Tree::Object(
            members
                .iter()
                .map(|(key, t)| (key.clone(), windowed(t, k, window)))
                .collect(),
        ),
    }
}

/// A node of a seed, its children by index (pre-order: the root is 0).
#[derive(Debug)]
enum Node {
    Scalar(String),
    Array(Vec<usize>),
    Object(Vec<(String, usize)>),
}

/// One seed: a JSON document as numbered nodes, or bytes that are not JSON.
#[derive(Debug)]
struct Doc {
    name: String,
    nodes: Vec<Node>,
    /// The object nodes (where keys can be added).
    objects: Vec<usize>,
    /// The document as written without edits.
    raw: Vec<u8>,
}

impl Doc {
    fn json(name: String, tree: &Tree) -> Doc {
        fn flatten(tree: &Tree, nodes: &mut Vec<Node>) -> usize {
            let at = nodes.len();
            nodes.push(Node::Scalar(String::new()));
            nodes[at] = match tree {
                Tree::Scalar(s) => Node::Scalar(s.clone()),
                Tree::Array(items) => {
                    Node::Array(items.iter().map(|t| flatten(t, nodes)).collect())
                }
                Tree::Object(members) => Node::Object(
                    members
                        .iter()
                        .map(|(k, t)| (k.clone(), flatten(t, nodes)))
                        .collect(),
                ),
            };
            at
        }
        let mut nodes = Vec::new();
        flatten(tree, &mut nodes);
        let objects = (0..nodes.len())
            .filter(|&i| matches!(nodes[i], Node::Object(_)))
            .collect();
        let mut doc = Doc {
            name,
            nodes,
            objects,
            raw: Vec::new(),
        };
        doc.raw = doc.render(&[]);
        doc
    }

    fn bytes(name: String, raw: Vec<u8>) -> Doc {
        Doc {
            name,
            nodes: Vec::new(),
            objects: Vec::new(),
            raw,
        }
    }
}

/// Every seed, and the keys found in them.
struct Seeds {
    docs: Vec<Doc>,
    /// Object keys, with their quotes: the seeds' own and some VRM uses.
    keys: Vec<String>,
}

/// Seeds written here: shapes the fixtures lack.
const EXTRA_SEEDS: &[(&str, &str)] = &[
    ("gps_data", r#"{"success":true,"data":"<kml/>"}"#),
    (
        "gps_records",
        r#"{"success":true,"records":[{"lat":52.1,"lng":5.2}]}"#,
    ),
    ("data_download_string", r#""dGltZSxidg0KMSwxMy4y""#),
    ("data_download_text", "QUJD\r\nREVG==\n"),
    (
        "stats_list_form",
        r#"{"success":true,"records":[{"instance":"3","stats":{"Pc":[[1441066216000,1.5]]}},{"stats":{"Pc":[[1441066216000,2.5]],"Pb":false}}],"totals":[{"instance":3,"totals":{"Pc":1.5}},{"totals":{"Pc":"2.5","Pb":false}}]}"#,
    ),
    (
        "stats_holes",
        r#"{"records":{"Pc":{"0":[1441066216000,1],"2":[1441073416000,3]},"Pb":{"0":[[1441066216000,1]],"1":false}},"totals":{"Pc":4,"Pb":{"0":1,"1":"2"}}}"#,
    ),
    (
        "stats_false",
        r#"{"success":true,"records":false,"totals":false}"#,
    ),
    (
        "tags_list",
        r#"{"success":true,"tags":[{"idTag":41,"name":"ok","automatic":true,"color":"red"},"plain",null]}"#,
    ),
    ("tags_single", r#"{"tags":{"user":"solo","team":false}}"#),
    (
        "error_list",
        r#"{"success":false,"errors":["a","b"],"error_code":"x"}"#,
    ),
    (
        "error_nested",
        r#"{"success":false,"errors":{"name":["taken"],"expiry":{"min":"too soon"}},"error":["x"]}"#,
    ),
    (
        "login_demo",
        r#"{"token":"abc","idUser":"22","verification_sent":0}"#,
    ),
];

/// Keys worth adding anywhere: the fields the decoders look for.
const EXTRA_KEYS: &[&str] = &[
    "records",
    "success",
    "errors",
    "error",
    "error_code",
    "instance",
    "stats",
    "totals",
    "data",
    "kml",
    "file",
    "0",
    "1",
    "2",
    "4294967296",
    "-1",
    "",
    "idSite",
    "user",
    "tokens",
    "token",
    "idAccessToken",
    "meta",
    "enums",
    "attributeOrder",
    "extended",
    "tags",
    "rawValue",
    "instances",
    "series",
    "removed",
    "periods",
    "devices",
    "unconfigured_devices",
    "id",
];

/// Where the live samples are, unless `FUZZ_SEED_DIR` names another place.
const LIVE_SAMPLES: &str = "/work/shared/reference/live-samples";

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(load_seeds)
}

fn load_seeds() -> Seeds {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let live = std::env::var("FUZZ_SEED_DIR").unwrap_or_else(|_| LIVE_SAMPLES.to_owned());
    for (dir, prefix) in [(fixtures.as_path(), ""), (Path::new(&live), "live_")] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
            if let Ok(bytes) = std::fs::read(&path) {
                files.push((format!("{prefix}{stem}"), bytes));
            }
        }
    }
    assert!(files.len() > 20, "the fixtures are missing");
    files.extend(
        EXTRA_SEEDS
            .iter()
            .map(|(name, text)| ((*name).to_owned(), text.as_bytes().to_vec())),
    );
    files.extend(own_shapes());

    let mut docs = Vec::new();
    for (name, bytes) in files {
        let Some(tree) = Parser::parse(&bytes) else {
            docs.push(Doc::bytes(name, bytes));
            continue;
        };
        if bytes.len() <= WHOLE_BYTES {
            docs.push(Doc::json(name.clone(), &tree));
        }
        let window = if bytes.len() > BIG_BYTES { 1 } else { WINDOW };
        let count = variants(&tree, window);
        if count > 1 || bytes.len() > WHOLE_BYTES {
            for k in 0..count.min(MAX_VARIANTS) {
                docs.push(Doc::json(
                    format!("{name}#{k}"),
                    &windowed(&tree, k, window),
                ));
            }
        }
    }
    let mut keys: Vec<String> = EXTRA_KEYS.iter().map(|k| format!("{k:?}")).collect();
    for doc in &docs {
        for node in &doc.nodes {
            if let Node::Object(members) = node {
                keys.extend(members.iter().map(|(k, _)| k.clone()));
            }
        }
    }
    keys.sort();
    keys.dedup();
    Seeds { docs, keys }
}

/// This crate's own serialized shapes (`Stats`, `Series`, `Total`,
/// `Point`), from the stats fixtures.
fn own_shapes() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in [
        "stats_kwh_days",
        "stats_show_instance",
        "stats_custom_min_max",
    ] {
        let bytes = std::fs::read(dir.join(format!("{name}.json"))).expect("stats fixture");
        let response: StatsResponse = serde_json::from_slice(&bytes).expect("fixture decodes");
        let stats = response.clone().into_stats();
        out.push((format!("own_stats_{name}"), encode(&stats)));
        for (code, series) in &response.records {
            out.push((format!("own_series_{name}_{code}"), encode(series)));
            if let Some(point) = series.iter().next().map(|(_, p)| *p) {
                out.push((format!("own_point_{name}_{code}"), encode(&point)));
            }
        }
        for (code, total) in &response.totals {
            out.push((format!("own_total_{name}_{code}"), encode(total)));
        }
    }
    out
}

// ---- mutations ---------------------------------------------------------------------

/// Values of other types, huge numbers, `NaN`, bad escapes: text put in
/// place of a value. Some are not JSON at all.
const SNIPPETS: &[&str] = &[
    "null",
    "false",
    "true",
    "0",
    "-1",
    "1",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "4294967296",
    "100000000000000000000",
    "1e400",
    "-1e400",
    "0.5",
    "-0.0",
    "1E2",
    "1.0",
    "NaN",
    "-Infinity",
    "\"NaN\"",
    "\"nan\"",
    "\"inf\"",
    "\"-inf\"",
    "\"Infinity\"",
    "\"1e400\"",
    "\"18446744073709551616\"",
    "\"-9223372036854775809\"",
    "\"100000000000000000000\"",
    "\"1e20\"",
    "\"-1\"",
    "\" 42 \"",
    "\"0x10\"",
    "\"1_000\"",
    "\"\"",
    "\"x\"",
    "\"true\"",
    "\"false\"",
    "\"0\"",
    "\"1\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\udbff\\udfff\"",
    "\"é漢🦀\"",
    "\"\\\"\"",
    "[]",
    "{}",
    "[null]",
    "[[]]",
    "[false]",
    "{\"\":null}",
    "[1,2]",
    "[1,2,3,4,5]",
    "[[1,2]]",
    "[[\"1\",\"2\"]]",
    "[[1e400,1]]",
    "[[-9223372036854775809,1]]",
    "[[18446744073709551616,1]]",
    "[[9.3e18,1]]",
    "[[-1e300,1,2,3]]",
    "{\"0\":[1,2]}",
    "{\"0\":[[1,2]]}",
    "{\"99999999999\":[[1,2]]}",
    "{\"instance\":1,\"stats\":{}}",
    "{\"instance\":\"x\",\"stats\":{\"Pc\":false}}",
    "{\"instance\":4294967296,\"totals\":{}}",
    "{\"stats\":[[[1,2]]]}",
    "{\"data\":false}",
    "{\"records\":null}",
    "[\"a\",1,null,false,{}]",
];

/// Nests put in place of a value: (depth, opening, closing).
const NESTS: &[(usize, &str, &str)] = &[
    (64, "[", "]"),
    (126, "[", "]"),
    (127, "{\"0\":", "}"),
    (129, "[", "]"),
    (200, "[{\"stats\":", "}]"),
    (10_000, "[", "]"),
];

fn snippet(i: usize) -> Cow<'static, str> {
    let i = i % (SNIPPETS.len() + NESTS.len() + 1);
    if let Some(s) = SNIPPETS.get(i) {
        return Cow::Borrowed(s);
    }
    match NESTS.get(i - SNIPPETS.len()) {
        Some(&(depth, open, close)) => {
            Cow::Owned(format!("{}0{}", open.repeat(depth), close.repeat(depth)))
        }
        None => Cow::Owned(format!("\"{}\"", "x".repeat(1_000))),
    }
}

/// Wrappers put around a value, and how deep.
const WRAPS: &[(&str, &str)] = &[
    ("[", "]"),
    ("{\"a\":", "}"),
    ("[{\"0\":", "}]"),
    ("{\"records\":[", "]}"),
    ("{\"data\":", "}"),
    ("{\"instance\":0,\"stats\":", "}"),
];
const WRAP_DEPTHS: &[usize] = &[1, 1, 2, 3, 16, 100, 126, 127, 128, 129, 1_000];

/// One edit of a seed's tree; indices are taken modulo what they index.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Write snippet `.1` in place of node `.0`.
    Replace(usize, usize),
    /// Write node `.1` (as it was) in place of node `.0`.
    Swap(usize, usize),
    /// Leave node `.0` out (with its key).
    Drop(usize),
    /// Write node `.0` (with its key) twice; the second time as snippet `.1`.
    Duplicate(usize, Option<usize>),
    /// Add key `.1` with snippet `.2` to object `.0`.
    AddKey(usize, usize, usize),
    /// Wrap node `.0` in wrapper `.1`, `.2` deep.
    Wrap(usize, usize, usize),
}

impl Edit {
    /// The edit with its indices in range for `doc`.
    fn fit(self, doc: &Doc, keys: usize) -> Edit {
        let n = doc.nodes.len().max(1);
        match self {
            Edit::Replace(a, s) => Edit::Replace(a % n, s),
            Edit::Swap(a, b) => Edit::Swap(a % n, b % n),
            Edit::Drop(a) => Edit::Drop(a % n),
            Edit::Duplicate(a, s) => Edit::Duplicate(a % n, s),
            Edit::AddKey(o, k, s) => Edit::AddKey(
                doc.objects
                    .get(o % doc.objects.len().max(1))
                    .copied()
                    .unwrap_or(0),
                k % keys.max(1),
                s,
            ),
            Edit::Wrap(a, w, d) => Edit::Wrap(a % n, w % WRAPS.len(), d % WRAP_DEPTHS.len()),
        }
    }
}

impl Doc {
    /// The document with `edits` (already [`fit`](Edit::fit)) applied.
    fn render(&self, edits: &[Edit]) -> Vec<u8> {
        self.render_with(edits, &[])
    }

    fn render_with(&self, edits: &[Edit], keys: &[String]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.raw.len() + 64);
        if !edits.iter().any(|e| matches!(e, Edit::Drop(0))) {
            self.write(0, Some(edits), keys, &mut out);
        }
        out
    }

    fn write(&self, at: usize, edits: Option<&[Edit]>, keys: &[String], out: &mut Vec<u8>) {
        for edit in edits.unwrap_or(&[]) {
            match *edit {
                Edit::Replace(n, s) if n == at => {
                    out.extend_from_slice(snippet(s).as_bytes());
                    return;
                }
                Edit::Swap(n, other) if n == at => {
                    self.write(other, None, keys, out);
                    return;
                }
                Edit::Wrap(n, w, d) if n == at => {
                    let (open, close) = WRAPS[w];
                    let depth = WRAP_DEPTHS[d];
                    out.extend_from_slice(open.repeat(depth).as_bytes());
                    self.write_body(at, edits, keys, out);
                    out.extend_from_slice(close.repeat(depth).as_bytes());
                    return;
                }
                _ => {}
            }
        }
        self.write_body(at, edits, keys, out);
    }

    fn write_body(&self, at: usize, edits: Option<&[Edit]>, keys: &[String], out: &mut Vec<u8>) {
        let list = edits.unwrap_or(&[]);
        // How often a child is written, and the snippet of its second copy.
        let copies = |child: usize| {
            let mut copies = (1, None);
            for edit in list {
                match *edit {
                    Edit::Drop(n) if n == child => copies = (0, None),
                    Edit::Duplicate(n, s) if n == child && copies.0 == 1 => copies = (2, s),
                    _ => {}
                }
            }
            copies
        };
        match &self.nodes[at] {
            Node::Scalar(s) => out.extend_from_slice(s.as_bytes()),
            Node::Array(items) => {
                out.push(b'[');
                let mut first = true;
                for &child in items {
                    let (times, second) = copies(child);
                    for copy in 0..times {
                        if !std::mem::take(&mut first) {
                            out.push(b',');
                        }
                        match second {
                            Some(s) if copy == 1 => out.extend_from_slice(snippet(s).as_bytes()),
                            _ => self.write(child, edits, keys, out),
                        }
                    }
                }
                out.push(b']');
            }
            Node::Object(members) => {
                out.push(b'{');
                let mut first = true;
                for (key, child) in members {
                    let (times, second) = copies(*child);
                    for copy in 0..times {
                        if !std::mem::take(&mut first) {
                            out.push(b',');
                        }
                        out.extend_from_slice(key.as_bytes());
                        out.push(b':');
                        match second {
                            Some(s) if copy == 1 => out.extend_from_slice(snippet(s).as_bytes()),
                            _ => self.write(*child, edits, keys, out),
                        }
                    }
                }
                for edit in list {
                    if let Edit::AddKey(n, k, s) = *edit
                        && n == at
                        && let Some(key) = keys.get(k)
                    {
                        if !std::mem::take(&mut first) {
                            out.push(b',');
                        }
                        out.extend_from_slice(key.as_bytes());
                        out.push(b':');
                        out.extend_from_slice(snippet(s).as_bytes());
                    }
                }
                out.push(b'}');
            }
        }
    }
}

/// Byte sequences that are not UTF-8, or that break a string or escape.
const BAD_BYTES: &[&[u8]] = &[
    b"\xff",
    b"\xc0\x80",
    b"\x80",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xf0\x9f\xa6",
    b"\x00",
    b"\\",
    b"\"",
    b"\\u",
    b"\\ud800",
    b",",
    b":",
    b"]",
    b"}",
];

/// One edit of the bytes after rendering; positions are taken modulo the
/// length.
#[derive(Debug, Clone, Copy)]
enum ByteEdit {
    Set(usize, u8),
    Insert(usize, usize),
    Truncate(usize),
    Remove(usize),
    /// Repeat `.1` bytes from `.0` (duplicated keys, tokens, halves).
    Repeat(usize, u8),
}

impl ByteEdit {
    fn apply(self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        if len == 0 {
            if let ByteEdit::Insert(_, s) = self {
                bytes.extend_from_slice(BAD_BYTES[s % BAD_BYTES.len()]);
            }
            return;
        }
        match self {
            ByteEdit::Set(at, b) => bytes[at % len] = b,
            ByteEdit::Insert(at, s) => {
                let at = at % (len + 1);
                bytes.splice(at..at, BAD_BYTES[s % BAD_BYTES.len()].iter().copied());
            }
            ByteEdit::Truncate(at) => bytes.truncate(at % len),
            ByteEdit::Remove(at) => {
                bytes.remove(at % len);
            }
            ByteEdit::Repeat(at, n) => {
                let at = at % len;
                let end = (at + usize::from(n)).min(len);
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
}

/// One fuzz input, before rendering.
#[derive(Debug, Clone)]
enum Case {
    /// Seed `seed` with edits of its tree, then of its bytes.
    Mutated {
        seed: usize,
        edits: Vec<Edit>,
        bytes: Vec<ByteEdit>,
    },
    /// Arbitrary bytes.
    Bytes(Vec<u8>),
}

impl Case {
    fn render(&self, seeds: &Seeds) -> Vec<u8> {
        match self {
            Case::Bytes(bytes) => bytes.clone(),
            Case::Mutated { seed, edits, bytes } => {
                let doc = &seeds.docs[seed % seeds.docs.len()];
                let mut out = if doc.nodes.is_empty() {
                    doc.raw.clone()
                } else {
                    let edits: Vec<Edit> =
                        edits.iter().map(|e| e.fit(doc, seeds.keys.len())).collect();
                    doc.render_with(&edits, &seeds.keys)
                };
                for edit in bytes {
                    edit.apply(&mut out);
                }
                out
            }
        }
    }
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let i = || any::<usize>();
    prop_oneof![
        6 => (i(), i()).prop_map(|(a, s)| Edit::Replace(a, s)),
        2 => (i(), i()).prop_map(|(a, b)| Edit::Swap(a, b)),
        3 => i().prop_map(Edit::Drop),
        2 => (i(), proptest::option::of(i())).prop_map(|(a, s)| Edit::Duplicate(a, s)),
        3 => (i(), i(), i()).prop_map(|(o, k, s)| Edit::AddKey(o, k, s)),
        1 => (i(), i(), i()).prop_map(|(a, w, d)| Edit::Wrap(a, w, d)),
    ]
}

fn byte_edit_strategy() -> impl Strategy<Value = ByteEdit> {
    let i = || any::<usize>();
    prop_oneof![
        (i(), any::<u8>()).prop_map(|(a, b)| ByteEdit::Set(a, b)),
        (i(), i()).prop_map(|(a, s)| ByteEdit::Insert(a, s)),
        i().prop_map(ByteEdit::Truncate),
        i().prop_map(ByteEdit::Remove),
        (i(), any::<u8>()).prop_map(|(a, n)| ByteEdit::Repeat(a, n)),
    ]
}

/// Cases from the seeds named by `own` (file-name prefixes) three times in
/// four, from any seed otherwise; a few arbitrary byte strings.
fn case_strategy(seeds: &Seeds, own: &[&str]) -> impl Strategy<Value = Case> + use<> {
    let mine: Vec<usize> = (0..seeds.docs.len())
        .filter(|&i| {
            let name = seeds.docs[i].name.trim_start_matches("live_");
            own.iter().any(|p| name.starts_with(p))
        })
        .collect();
    assert!(!mine.is_empty(), "no seed matches {own:?}");
    let all = seeds.docs.len();
    let seed = prop_oneof![3 => select(mine), 1 => 0..all];
    let edits = prop_oneof![
        1 => Just(Vec::new()),
        6 => proptest::collection::vec(edit_strategy(), 1..4),
        1 => proptest::collection::vec(edit_strategy(), 4..10),
    ];
    let bytes = prop_oneof![
        5 => Just(Vec::new()),
        1 => proptest::collection::vec(byte_edit_strategy(), 1..4),
    ];
    prop_oneof![
        12 => (seed, edits, bytes).prop_map(|(seed, edits, bytes)| Case::Mutated { seed, edits, bytes }),
        1 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Case::Bytes),
    ]
}

// ---- the decoders and what a decoded value must survive ------------------------------

/// The public accessors of a decoded value: none may panic.
trait Exercise {
    fn exercise(&self);
}

fn series_view(series: &Series) {
    for point in series.points() {
        let _ = point.time();
    }
    for (instance, points) in series.instances() {
        assert_eq!(
            series.instance(instance).map(<[Point]>::len),
            Some(points.len())
        );
        for point in points {
            let _ = point.time();
        }
    }
    assert_eq!(series.iter().count(), series.len());
    let _ = (
        series.is_empty(),
        series.is_per_instance(),
        series.instance(0),
    );
}

fn total_view(total: &Total) {
    let _ = (total.value(), total.instance(0), total.instance(u32::MAX));
}

impl Exercise for Stats {
    fn exercise(&self) {
        for code in self.codes() {
            let _ = self.total(code);
            self.series(code).into_iter().for_each(series_view);
        }
        let _ = self.point_count();
    }
}

impl Exercise for StatsResponse {
    fn exercise(&self) {
        self.records.values().for_each(series_view);
        self.totals.values().for_each(total_view);
        let stats = self.clone().into_stats();
        stats.exercise();
        // The flat view is this crate's own shape: it must read back.
        let json = serde_json::to_vec(&stats).expect("stats serialize");
        if let Err(e) = serde_json::from_slice::<Stats>(&json) {
            panic!("into_stats() does not read back: {e}: {}", show(&json));
        }
    }
}

impl Exercise for Series {
    fn exercise(&self) {
        series_view(self);
    }
}

impl Exercise for Total {
    fn exercise(&self) {
        total_view(self);
    }
}

impl Exercise for Point {
    fn exercise(&self) {
        let _ = self.time();
    }
}

impl Exercise for OverallStatsResponse {
    fn exercise(&self) {
        let o = &self.records;
        for period in [o.year(), o.month(), o.week(), o.today()]
            .into_iter()
            .flatten()
        {
            let _ = (period.total("Pc"), period.percentage("Pc"));
        }
        for (name, period) in &o.periods {
            assert!(o.get(name).is_some());
            for code in period.totals.keys().chain(period.percentages.keys()) {
                let _ = (period.total(code), period.percentage(code));
            }
        }
    }
}

impl Exercise for InstallationsResponse {
    fn exercise(&self) {
        for site in &self.records {
            let _ = (
                site.last_time(),
                site.has_tag("demo"),
                site.extended_attribute("bs"),
            );
            for attribute in &site.extended {
                assert!(site.extended_attribute(&attribute.code).is_some());
                let _ = (
                    attribute.raw_f64(),
                    attribute.time(),
                    attribute.enum_name(9),
                );
                for value in attribute.instances.values() {
                    let _ = value.raw_f64();
                }
            }
            for tag in &site.tags {
                assert!(site.has_tag(&tag.name));
            }
        }
    }
}

impl Exercise for TagsResponse {
    fn exercise(&self) {
        let grouped = Tag::by_source(&self.tags);
        assert_eq!(
            grouped.values().map(Vec::len).sum::<usize>(),
            self.tags.len()
        );
        for source in grouped.keys() {
            let _ = Tag::names_from(&self.tags, source);
        }
    }
}

impl Exercise for SystemOverviewResponse {
    fn exercise(&self) {
        let o = &self.records;
        let _ = (o.unconfigured(), o.devices_of_type(1).count(), o.gateway());
        for device in o.devices.iter().chain(&o.unconfigured()) {
            let _ = (device.display_name(), device.last_connection_time());
        }
    }
}

impl Exercise for DiagnosticsResponse {
    fn exercise(&self) {
        for record in &self.records {
            let _ = (record.raw_f64(), record.time(), record.enum_text());
        }
    }
}

impl Exercise for WidgetResponse {
    fn exercise(&self) {
        let w = &self.records;
        let _ = (
            w.summaries(),
            w.has_old_data(),
            w.seconds_ago(),
            w.data_text(),
        );
        for meta in w.meta.values() {
            let code = meta.code.as_str();
            let _ = (
                meta.unit(),
                w.attribute_id(code),
                w.meta_for(code),
                w.data_for(code),
            );
            if let Some(summary) = w.summary(code) {
                let _ = summary.value_f64();
            }
            for change in w.state_changes(code) {
                let _ = (change.start_time(), change.end_time());
            }
            let _ = w.enum_name(code, "0");
        }
    }
}

impl Exercise for GraphResponse {
    fn exercise(&self) {
        let g = &self.records;
        for meta in g.meta.values() {
            let _ = (
                meta.unit(),
                g.attribute_id(&meta.code),
                g.meta_for(&meta.code),
            );
            let _ = g.series(&meta.code);
        }
        for points in g.by_code().values() {
            for point in *points {
                let _ = point.time();
            }
        }
    }
}

impl Exercise for MeResponse {
    fn exercise(&self) {}
}

impl Exercise for LoginResponse {
    fn exercise(&self) {
        let _ = self.needs_second_factor();
        // `Debug` shows whether there is a token, never the token.
        let mut blank = self.clone();
        blank.token = blank.token.map(|_| String::new());
        assert_eq!(
            format!("{self:?}"),
            format!("{blank:?}"),
            "Debug shows the token"
        );
    }
}

impl Exercise for TokensResponse {
    fn exercise(&self) {
        for token in &self.tokens {
            let _ = (token.created_time(), token.expires_time());
        }
    }
}

impl Exercise for CreateTokenResponse {
    fn exercise(&self) {
        let mut blank = self.clone();
        blank.token.clear();
        assert_eq!(
            format!("{self:?}"),
            format!("{blank:?}"),
            "Debug shows the token"
        );
    }
}

impl Exercise for RevokeResponse {
    fn exercise(&self) {}
}

/// The answers of the 2026 operations: decoding and `Debug` must hold.
macro_rules! decoded_only {
    ($($t:ty),* $(,)?) => {
        $(impl Exercise for $t {
            fn exercise(&self) {}
        })*
    };
}

decoded_only!(
    AckResponse,
    AlarmLogResponse,
    AlarmWriteResponse,
    AlarmsResponse,
    CustomWidgetResponse,
    DataAttributesResponse,
    DynamicEssResponse,
    DynamicEssScheduleResponse,
    ForecastsResetResponse,
    InviteResponse,
    InviteRightsResponse,
    InvitesResponse,
    OverviewResponse,
    SearchResponse,
    SiteIdResponse,
    SiteUsersResponse,
);

impl Exercise for ApiErrorBody {
    fn exercise(&self) {
        let _ = (self.is_failure(), self.message());
    }
}

impl Exercise for GpsDownloadResponse {
    fn exercise(&self) {
        let _ = self.kml();
    }
}

impl Exercise for DataDownloadResponse {
    fn exercise(&self) {
        let _ = self.base64();
    }
}

/// Decode `bytes` as `T`, from the bytes and (when they are JSON) from a
/// `Value`; a value must survive its accessors, `Debug`, and, with
/// `round_trip`, serializing and decoding again.
fn decode_as<T>(bytes: &[u8], round_trip: Option<fn(&T) -> Vec<u8>>) -> Result<(), String>
where
    T: DeserializeOwned + Debug + Exercise,
{
    match serde_json::from_slice::<T>(bytes) {
        Err(e) if e.is_io() => return Err(format!("an i/o error from a slice: {e}")),
        Err(e) => drop(e.to_string()),
        Ok(value) => {
            drop(format!("{value:?}"));
            value.exercise();
            if let Some(encode) = round_trip {
                let again = encode(&value);
                if let Err(e) = serde_json::from_slice::<T>(&again) {
                    return Err(format!(
                        "the re-encoded value does not decode: {e}\nre-encoded: {}",
                        show(&again)
                    ));
                }
            }
        }
    }
    // Through a `Value` too (as the crate's own helpers decode), for one
    // input in four: it costs as much as the rest.
    if bytes.len().is_multiple_of(4)
        && let Ok(tree) = serde_json::from_slice::<Value>(bytes)
        && let Ok(value) = T::deserialize(&tree)
    {
        value.exercise();
    }
    Ok(())
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("a decoded value serializes")
}

/// A decoder check: `Ok` or the broken property (panics are caught too).
type Check = fn(&[u8]) -> Result<(), String>;

fn typed<T: DeserializeOwned + Serialize + Debug + Exercise>(bytes: &[u8]) -> Result<(), String> {
    decode_as::<T>(bytes, Some(encode::<T>))
}

fn gps_body(bytes: &[u8]) -> Result<(), String> {
    if let Some(gps) = GpsDownloadResponse::from_body(bytes) {
        gps.exercise();
        drop(format!("{gps:?}"));
        let again = encode(&gps);
        if GpsDownloadResponse::from_body(&again).is_none() {
            return Err(format!("re-encoded gps answer is lost: {}", show(&again)));
        }
    }
    decode_as::<GpsDownloadResponse>(bytes, None)
}

fn data_body(bytes: &[u8]) -> Result<(), String> {
    if let Some(data) = DataDownloadResponse::from_body(bytes) {
        data.exercise();
        let again = encode(&data);
        if DataDownloadResponse::from_body(&again).as_ref() != Some(&data) {
            return Err(format!(
                "re-encoded data download differs: {}",
                show(&again)
            ));
        }
    }
    decode_as::<DataDownloadResponse>(bytes, None)
}

fn fuzz_decoder(name: &str, own: &[&str], check: Check, run: Run) {
    let seeds = seeds();
    let strategy = case_strategy(seeds, own);
    drive(name, run, QUICK_CASES, &strategy, |case| {
        let bytes = case.render(seeds);
        check(&bytes).map_err(|e| TestCaseError::fail(format!("{e}\ninput: {}", show(&bytes))))
    });
}

/// One quick test and one long (ignored) test per decoder.
macro_rules! decoders {
    ($($name:ident: [$($seed:literal),*] => $check:expr;)*) => {
        $(
            #[test]
            fn $name() {
                fuzz_decoder(stringify!($name), &[$($seed),*], $check, Run::Quick);
            }
        )*

        /// The long run of every decoder (`-- --ignored`).
        mod long {
            use super::*;
            $(
                #[test]
                #[ignore = "long run: cargo test --release --test fuzz -- --ignored"]
                fn $name() {
                    fuzz_decoder(stringify!($name), &[$($seed),*], $check, Run::Long);
                }
            )*
        }

        /// Every decoder, for the deterministic sweeps.
        const DECODERS: &[(&str, &[&str], Check)] = &[$((stringify!($name), &[$($seed),*], $check)),*];
    };
}

decoders! {
    stats_response: ["stats_", "error_no_data"] => typed::<StatsResponse>;
    stats_own_shape: ["own_stats_"] => typed::<Stats>;
    series_own_shape: ["own_series_"] => typed::<Series>;
    total_own_shape: ["own_total_"] => typed::<Total>;
    point_own_shape: ["own_point_"] => typed::<Point>;
    overall_stats_response: ["overallstats"] => typed::<OverallStatsResponse>;
    installations_response: ["installations"] => typed::<InstallationsResponse>;
    tags_response: ["tags"] => typed::<TagsResponse>;
    system_overview_response: ["system_overview"] => typed::<SystemOverviewResponse>;
    diagnostics_response: ["diagnostics"] => typed::<DiagnosticsResponse>;
    gps_download_body: ["gps_"] => gps_body;
    data_download_body: ["data_download"] => data_body;
    widget_response: ["widget_"] => typed::<WidgetResponse>;
    graph_response: ["widget_graph"] => typed::<GraphResponse>;
    me_response: ["users_me"] => typed::<MeResponse>;
    login_response: ["login"] => |b| decode_as::<LoginResponse>(b, None);
    tokens_response: ["tokens_list"] => typed::<TokensResponse>;
    create_token_response: ["tokens_create"] => typed::<CreateTokenResponse>;
    revoke_response: ["tokens_revoke"] => typed::<RevokeResponse>;
    api_error_body: ["error_", "dynamic_ess", "forecasts"] => typed::<ApiErrorBody>;
    alarms_response: ["alarms"] => |b| decode_as::<AlarmsResponse>(b, None);
    alarm_log_response: ["alarm_log"] => |b| decode_as::<AlarmLogResponse>(b, None);
    alarm_write_response: ["alarms", "error_"] => |b| decode_as::<AlarmWriteResponse>(b, None);
    dess_response: ["dess_settings", "dynamic_ess"] => |b| decode_as::<DynamicEssResponse>(b, None);
    dess_schedule_response: ["dess_settings", "stats_"] => |b| decode_as::<DynamicEssScheduleResponse>(b, None);
    site_users_response: ["site_users"] => |b| decode_as::<SiteUsersResponse>(b, None);
    invite_response: ["site_users", "error_"] => |b| decode_as::<InviteResponse>(b, None);
    invite_rights_response: ["site_users"] => |b| decode_as::<InviteRightsResponse>(b, None);
    ack_response: ["error_", "tokens_revoke"] => |b| decode_as::<AckResponse>(b, None);
    invites_response: ["invites"] => |b| decode_as::<InvitesResponse>(b, None);
    search_response: ["search"] => |b| decode_as::<SearchResponse>(b, None);
    site_id_response: ["site_id"] => |b| decode_as::<SiteIdResponse>(b, None);
    data_attributes_response: ["data_attributes"] => |b| decode_as::<DataAttributesResponse>(b, None);
    custom_widget_response: ["custom_widget"] => |b| decode_as::<CustomWidgetResponse>(b, None);
    forecasts_reset_response: ["forecasts"] => |b| decode_as::<ForecastsResetResponse>(b, None);
    overview_response: ["installations", "site_users"] => |b| decode_as::<OverviewResponse>(b, None);
}

// ---- deterministic sweeps and regressions ------------------------------------------

/// 10,000 nested brackets where a decoder reads its main field are a
/// decode error, not a stack overflow: serde_json's recursion limit (128)
/// holds through every visitor, including those that buffer a `Value` or
/// flattened fields. Where a decoder skips a value (an unknown key, a
/// lenient field draining what it cannot use), serde_json skips the nest
/// without recursion: no stack either way.
#[test]
fn ten_thousand_nested_brackets_are_a_decode_error() {
    let nests = [
        "[".repeat(10_000),
        "{\"a\":".repeat(10_000),
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!("{}0{}", "{\"0\":".repeat(10_000), "}".repeat(10_000)),
        format!("{}{}", "[{\"stats\":".repeat(10_000), "}]".repeat(10_000)),
    ];
    macro_rules! fails {
        ($($t:ty: $main:literal $(+ $top:ident)?),* $(,)?) => {
            for nest in nests.iter().filter(|n| n.starts_with('[')) {
                $(
                    let keyed = format!("{{{:?}:{nest}}}", $main);
                    let top = <[&str]>::is_empty(&[$(stringify!($top))?]).then(|| nest.clone());
                    for body in [Some(keyed), top].into_iter().flatten() {
                        assert!(
                            serde_json::from_str::<$t>(&body).is_err(),
                            "{} decoded {}",
                            stringify!($t),
                            show(body.as_bytes())
                        );
                    }
                )*
            }
        };
    }
    // A nest of objects is under a key ("a", "0") the decoders skip.
    // Derived structs also read a list (serde's sequence form), whose first
    // item a lenient field may drain: `ApiErrorBody` reads a nest as
    // "success unknown", `LoginResponse` as "no token" (with or without
    // its key), `Total` a list as "no total".
    fails!(
        StatsResponse: "records",
        Stats: "series",
        Series: "0",
        Point: "0",
        OverallStatsResponse: "records",
        InstallationsResponse: "records",
        TagsResponse: "tags",
        SystemOverviewResponse: "records",
        DiagnosticsResponse: "records",
        GpsDownloadResponse: "data",
        DataDownloadResponse: "data",
        WidgetResponse: "records",
        GraphResponse: "records",
        MeResponse: "user",
        TokensResponse: "tokens",
        CreateTokenResponse: "token",
        RevokeResponse: "data",
        ApiErrorBody: "errors" + keyed_only,
    );
    // Under any key, in a record or not: no decoder panics or overflows
    // (1,000 deep is as far over the limit, and cheaper to scan).
    let mut bodies = nests.to_vec();
    let shallower = [("[", "]"), ("{\"0\":", "}"), ("[{\"stats\":", "}]")]
        .map(|(open, close)| format!("{}0{}", open.repeat(1_000), close.repeat(1_000)));
    for key in EXTRA_KEYS {
        for nest in &shallower {
            bodies.push(format!("{{{key:?}:{nest}}}"));
            bodies.push(format!("{{\"records\":{{{key:?}:{nest}}}}}"));
            bodies.push(format!("{{\"records\":[{{{key:?}:{nest}}}]}}"));
        }
    }
    for body in &bodies {
        for &(name, _, check) in DECODERS {
            if let Err(e) = check(body.as_bytes()) {
                panic!("{name}: {e}\ninput: {}", show(body.as_bytes()));
            }
        }
    }
}

/// Snippets of the sweep: values of other types, and nests just under and
/// over the limit.
fn sweep_snippets() -> Vec<usize> {
    let flips = ["null", "\"x\"", "[]", "{}", "1e400"];
    let mut out: Vec<usize> = flips
        .iter()
        .filter_map(|f| SNIPPETS.iter().position(|s| s == f))
        .collect();
    out.extend(
        NESTS
            .iter()
            .enumerate()
            .filter(|(_, (depth, _, _))| (126..1_000).contains(depth))
            .map(|(i, _)| SNIPPETS.len() + i),
    );
    out
}

/// Values the sweep replaces per document: all of them up to this many,
/// an even spread of this many in larger documents.
const SWEEP_VALUES: usize = 160;

/// Each value of each decoder's own seeds, in turn, replaced by a value of
/// each type and by nests under, at and over the limit: no decoder panics
/// or overflows its stack (in a debug build, on a test thread's stack).
#[test]
fn values_of_the_seeds_replaced_by_each_type_and_nest() {
    let seeds = seeds();
    let snippets = sweep_snippets();
    for &(name, own, check) in DECODERS {
        let mine = |d: &&Doc| {
            let n = d.name.trim_start_matches("live_");
            own.iter().any(|p| n.starts_with(p))
        };
        // Each fixture once: its first window, or whole when it has none.
        let docs = seeds.docs.iter().filter(mine).filter(|d| {
            !d.name.starts_with("live_")
                && (d.name.ends_with("#0")
                    || !d.name.contains('#')
                        && !seeds.docs.iter().any(|w| w.name == format!("{}#0", d.name)))
        });
        for doc in docs {
            let step = doc.nodes.len().div_ceil(SWEEP_VALUES).max(1);
            for node in (0..doc.nodes.len()).step_by(step) {
                for &s in &snippets {
                    let bytes = doc.render(&[Edit::Replace(node, s)]);
                    if let Err(e) = check(&bytes) {
                        panic!("{name} on {}: {e}\ninput: {}", doc.name, show(&bytes));
                    }
                }
            }
        }
    }
}

// ---- the whole client against a loopback VRM ---------------------------------------

/// The `users/me` answer (the cache learns the account from it).
const ME: &str = r#"{"success":true,"user":{"id":7,"name":"x","email":"x@example.com"}}"#;

/// An answer of the loopback server.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1: `users/me` gets [`ME`], every
/// other request the current [`Reply`].
struct Loopback {
    url: String,
    reply: Arc<Mutex<Reply>>,
    requests: Arc<AtomicU64>,
}

impl Loopback {
    fn start() -> Loopback {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let reply = Arc::new(Mutex::new(Reply {
            status: 200,
            headers: Vec::new(),
            body: b"{}".to_vec(),
        }));
        let requests = Arc::new(AtomicU64::new(0));
        let (r, n) = (Arc::clone(&reply), Arc::clone(&requests));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, n) = (Arc::clone(&r), Arc::clone(&n));
                std::thread::spawn(move || drop(serve(stream, &r, &n)));
            }
        });
        Loopback {
            url,
            reply,
            requests,
        }
    }

    fn answer(&self, reply: Reply) {
        *self.reply.lock().unwrap_or_else(PoisonError::into_inner) = reply;
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, reply: &Mutex<Reply>, requests: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut length = 0;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let answer = if path.starts_with("/users/me") {
            Reply {
                status: 200,
                headers: Vec::new(),
                body: ME.as_bytes().to_vec(),
            }
        } else {
            requests.fetch_add(1, Ordering::SeqCst);
            reply.lock().unwrap_or_else(PoisonError::into_inner).clone()
        };
        let mut head = format!(
            "HTTP/1.1 {} Fuzz\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            answer.status,
            answer.body.len()
        )
        .into_bytes();
        for (name, value) in &answer.headers {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        writer.write_all(&head)?;
        writer.write_all(&answer.body)?;
        writer.flush()?;
    }
}

/// 2026-11-25 12:00:00 UTC.
const NOW: i64 = 1_795_608_000;

/// The longest `Retry-After` the fuzzed clients wait out (the default).
const MAX_WAIT: Duration = Duration::from_secs(60);

fn manual_clock() -> ManualClock {
    ManualClock::new(OffsetDateTime::from_unix_timestamp(NOW).expect("valid time"))
}

/// A client of `vrm` that retries once, waits on `clock` and has no
/// client-side rate limit.
fn fuzz_client(vrm: &Loopback, clock: &ManualClock, cache: Option<Cache>) -> Client {
    let builder = Client::builder()
        .base_url(vrm.url.clone())
        .personal_token("fuzz-token")
        .clock(clock.clone())
        .max_retries(1)
        .max_retry_after(MAX_WAIT)
        .rate_limit(None)
        .timeout(Duration::from_secs(20));
    match cache {
        Some(cache) => builder.cache(cache),
        None => builder,
    }
    .build()
    .expect("client builds")
}

/// A client and its clock, used for this many `Retry-After` cases (the
/// clock keeps every wait: a fresh one now and then keeps that short, and
/// a client per case costs more than the case).
const CASES_PER_CLIENT: u32 = 500;

/// The client `Retry-After` cases share, with its clock and use count.
type Shared = Mutex<Option<(Client, ManualClock, u32)>>;

/// A 429 with `Retry-After: value`: a typed error, the wait VRM asked for
/// honoured when short, no wait when long.
fn retry_after_case(vrm: &Loopback, shared: &Shared, value: &[u8]) -> Result<(), String> {
    vrm.answer(Reply {
        status: 429,
        headers: vec![("Retry-After", value.to_vec())],
        body: br#"{"success":false,"errors":"Too many requests"}"#.to_vec(),
    });
    let mut guard = shared.lock().unwrap_or_else(PoisonError::into_inner);
    if guard
        .as_ref()
        .is_none_or(|(_, _, uses)| *uses >= CASES_PER_CLIENT)
    {
        let clock = manual_clock();
        *guard = Some((fuzz_client(vrm, &clock, None), clock, 0));
    }
    let (client, clock, uses) = guard.as_mut().expect("a client");
    *uses += 1;
    let (before, slept) = (vrm.requests(), clock.sleeps().len());
    let result = client.site(SiteId(1)).system_overview();
    let requests = vrm.requests() - before;
    let sleeps = clock.sleeps().split_off(slept);
    let err = match result {
        Ok(v) => return Err(format!("a 429 gave a value: {:?}", v.value())),
        Err(err) => err,
    };
    drop(err.to_string());
    match err {
        Error::RateLimited {
            retry_after: Some(wait),
        } if wait > MAX_WAIT => {
            if !sleeps.is_empty() || requests != 1 {
                return Err(format!(
                    "a wait of {wait:?} was waited out: sleeps {sleeps:?}, {requests} requests"
                ));
            }
        }
        // Waited out, retried, and limited again: the wait of the second
        // answer, no longer than the first (an HTTP date comes nearer);
        // delay-seconds are the same wait twice.
        Error::RateLimited {
            retry_after: Some(wait),
        } => {
            let seconds = value.trim_ascii();
            let exact = !seconds.is_empty() && seconds.iter().all(u8::is_ascii_digit);
            let waited = sleeps.first().copied().unwrap_or_default();
            if sleeps.len() != 1
                || waited > MAX_WAIT
                || wait > waited
                || exact && wait != waited
                || requests != 2
            {
                return Err(format!(
                    "a wait of {wait:?}: sleeps {sleeps:?}, {requests} requests"
                ));
            }
        }
        Error::RateLimited { retry_after: None } => {
            if sleeps.len() != 1 || sleeps[0] > Duration::from_secs(30) || requests != 2 {
                return Err(format!(
                    "no usable Retry-After: sleeps {sleeps:?}, {requests} requests"
                ));
            }
        }
        // Header bytes the HTTP parser refuses.
        e if e.is_transport() => {}
        other => return Err(format!("a 429 gave {other:?}")),
    }
    Ok(())
}

/// `Retry-After` values: numbers in every form, HTTP dates of any year,
/// text and bytes (never CR or LF, which would end the header).
fn retry_after_strategy() -> impl Strategy<Value = HeaderValue> {
    const DAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz"];
    const MONTHS: &[&str] = &[
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo",
    ];
    let date = (
        select(DAYS),
        0u32..40,
        select(MONTHS),
        prop_oneof![-100_000i64..100_000, 1900i64..2200, any::<i64>()],
        0u32..30,
        0u32..70,
        0u32..70,
    )
        .prop_map(|(wd, d, m, y, h, mi, s)| {
            format!("{wd}, {d:02} {m} {y} {h:02}:{mi:02}:{s:02} GMT")
        });
    let text = prop_oneof![
        3 => select(RETRY_AFTERS).prop_map(str::to_owned),
        2 => any::<u64>().prop_map(|n| n.to_string()),
        1 => any::<u128>().prop_map(|n| n.to_string()),
        1 => (0u64..120).prop_map(|n| n.to_string()),
        2 => any::<f64>().prop_map(|f| f.to_string()),
        1 => (any::<i64>(), -400i32..400).prop_map(|(m, e)| format!("{m}e{e}")),
        1 => (0u32..100, 0u32..1_000_000).prop_map(|(a, b)| format!("{a}.{b}")),
        3 => date,
        1 => "[ -~\t]{0,40}",
    ];
    prop_oneof![
        8 => text.prop_map(String::into_bytes),
        1 => proptest::collection::vec(
            any::<u8>().prop_filter("no line end", |b| *b != b'\r' && *b != b'\n'),
            0..40
        ),
    ]
    .prop_map(HeaderValue)
}

/// A header value, shown as escaped text in failures.
#[derive(Clone)]
struct HeaderValue(Vec<u8>);

impl Debug for HeaderValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// `Retry-After` values the client must survive, by name.
const RETRY_AFTERS: &[&str] = &[
    "100000000000000000000",
    "1e20",
    "18446744073709551616",
    "18446744073709551615",
    "9223372036854775808",
    "-1",
    "-0",
    "0",
    "NaN",
    "nan",
    "-NaN",
    "inf",
    "-inf",
    "infinity",
    "1e400",
    "1e-400",
    "0.0000001",
    "1.5",
    "59.9999999999",
    "60.0000000001",
    " 7 ",
    "+7",
    "0x10",
    "",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Mon, 01 Jan 0001 00:00:00 GMT",
    "Sat, 01 Jan -9999 00:00:00 GMT",
    "Wed, 31 Dec 999999 23:59:59 GMT",
    "Wed, 31 Dec 99999999999 23:59:59 GMT",
    "Wed, 29 Feb 2023 00:00:00 GMT",
    "Wed, 21 Oct 2015 25:61:61 GMT",
    "Wed, 25 Nov 2026 12:00:30 GMT",
    "Wed, 25 Nov 2026 12:01:00 GMT",
    "Wed, 25 Nov 2026 12:01:01 GMT",
];

fn fuzz_retry_after(run: Run) {
    let vrm = Loopback::start();
    let shared = Shared::default();
    drive(
        "retry_after",
        run,
        QUICK_CASES,
        &retry_after_strategy(),
        |value| {
            retry_after_case(&vrm, &shared, &value.0)
                .map_err(|e| TestCaseError::fail(format!("{e}\nRetry-After: {value:?}")))
        },
    );
}

#[test]
fn retry_after_values() {
    fuzz_retry_after(Run::Quick);
}

#[test]
#[ignore = "long run: cargo test --release --test fuzz -- --ignored"]
fn long_retry_after_values() {
    fuzz_retry_after(Run::Long);
}

/// A `Retry-After` longer than a `Duration` holds (in seconds, as a float,
/// or past u64) is a rate-limit error with no wait, not an abort in
/// `Duration::from_secs_f64`.
#[test]
fn retry_after_beyond_what_a_duration_holds_is_rate_limited() {
    let vrm = Loopback::start();
    let shared = Shared::default();
    for value in [
        "100000000000000000000",
        "1e20",
        "18446744073709551616",
        "1e400",
        "inf",
    ] {
        if let Err(e) = retry_after_case(&vrm, &shared, value.as_bytes()) {
            panic!("Retry-After: {value}: {e}");
        }
    }
}

/// Negative, not-a-number and past `Retry-After` values are no reason to
/// wait long.
#[test]
fn retry_after_negative_nan_and_past_values_wait_no_longer_than_a_back_off() {
    let vrm = Loopback::start();
    for value in [
        "-1",
        "NaN",
        "-inf",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Mon, 01 Jan 0001 00:00:00 GMT",
    ] {
        vrm.answer(Reply {
            status: 429,
            headers: vec![("Retry-After", value.as_bytes().to_vec())],
            body: Vec::new(),
        });
        let clock = manual_clock();
        let err = fuzz_client(&vrm, &clock, None)
            .site(SiteId(1))
            .system_overview()
            .unwrap_err();
        assert!(matches!(err, Error::RateLimited { .. }), "{value}: {err:?}");
        assert!(
            clock.sleeps().iter().all(|s| *s <= Duration::from_secs(30)),
            "{value}: {:?}",
            clock.sleeps()
        );
    }
}

/// Statuses a fuzzed body comes with (mostly 200).
const STATUSES: &[u16] = &[
    200, 200, 200, 200, 200, 200, 200, 200, 400, 401, 403, 404, 429, 500,
];

/// Cases of the client body tests in the normal run (each makes requests).
const CLIENT_CASES: u64 = 2_000;

/// A fresh id per case, so each case has its own cache rows.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn body_strategy(own: &[&str]) -> impl Strategy<Value = (Case, u16)> + use<> {
    (case_strategy(seeds(), own), select(STATUSES))
}

fn fuzz_installations(run: Run) {
    let vrm = Loopback::start();
    let clock = manual_clock();
    let cache = Cache::in_memory().expect("in-memory cache");
    let client = fuzz_client(&vrm, &clock, Some(cache));
    let strategy = body_strategy(&["installations"]);
    drive(
        "client_installations",
        run,
        CLIENT_CASES,
        &strategy,
        |(case, status)| {
            let body = case.render(seeds());
            vrm.answer(Reply {
                status,
                headers: Vec::new(),
                body: body.clone(),
            });
            let user = client.user(UserId(NEXT_ID.fetch_add(1, Ordering::Relaxed)));
            let fail = |e: String| {
                TestCaseError::fail(format!("{e}\nstatus {status}, body {}", show(&body)))
            };
            let first = user.installations();
            if let Err(e) = &first {
                drop(e.to_string());
            }
            // The cache answers from the body it stored: the same value.
            let second = user.installations();
            match (first, second) {
                (Ok(a), Ok(b)) if a.value() == b.value() => Ok(()),
                (Ok(a), Ok(b)) => Err(fail(format!(
                    "from the cache: {:?}\nfirst: {:?}",
                    b.value(),
                    a.value()
                ))),
                (Ok(_), Err(e)) => {
                    Err(fail(format!("the cache cannot read its own answer: {e:?}")))
                }
                (Err(_), _) => Ok(()),
            }
        },
    );
}

#[test]
fn client_installations_bodies() {
    fuzz_installations(Run::Quick);
}

#[test]
#[ignore = "long run: cargo test --release --test fuzz -- --ignored"]
fn long_client_installations_bodies() {
    fuzz_installations(Run::Long);
}

/// The stats queries the fuzzed bodies answer: near the fixtures' times.
fn stats_query(which: u8) -> StatsQuery {
    let days = TimeWindow::from_unix(1_441_065_600, 1_441_065_600 + 7 * 86_400).expect("window");
    let hours = TimeWindow::from_unix(1_776_506_400, 1_776_506_400 + 86_400).expect("window");
    let codes = ["bv", "bs", "Pc", "Pb", "Gc", "PVP", "YU"];
    match which % 4 {
        0 => StatsQuery::kwh(days, Interval::Days),
        1 => StatsQuery::custom(hours, Interval::Hours, codes),
        2 => StatsQuery::custom(days, Interval::Hours, codes).show_instance(true),
        _ => StatsQuery::kwh(days, Interval::Days).show_instance(true),
    }
}

fn fuzz_stats(run: Run) {
    let vrm = Loopback::start();
    let clock = manual_clock();
    let cache = Cache::in_memory().expect("in-memory cache");
    let client = fuzz_client(&vrm, &clock, Some(cache));
    let strategy = (body_strategy(&["stats_"]), any::<u8>());
    drive(
        "client_stats",
        run,
        CLIENT_CASES,
        &strategy,
        |((case, status), which)| {
            let body = case.render(seeds());
            vrm.answer(Reply {
                status,
                headers: Vec::new(),
                body: body.clone(),
            });
            let site = client.site(SiteId(NEXT_ID.fetch_add(1, Ordering::Relaxed)));
            let query = stats_query(which);
            let fail = |e: String| {
                TestCaseError::fail(format!(
                    "{e}\nquery {which}, status {status}, body {}",
                    show(&body)
                ))
            };
            let first = site.stats(&query);
            match &first {
                Ok(stats) => stats.value().exercise(),
                Err(e) => drop(e.to_string()),
            }
            // The second call reads the rows the first one stored.
            let second = site.stats(&query);
            match (first, second) {
                (Ok(_), Err(e)) => Err(fail(format!("the cache cannot read its own rows: {e:?}"))),
                (_, Ok(stats)) => {
                    stats.value().exercise();
                    Ok(())
                }
                (Err(_), Err(_)) => Ok(()),
            }
        },
    );
}

#[test]
fn client_stats_bodies() {
    fuzz_stats(Run::Quick);
}

#[test]
#[ignore = "long run: cargo test --release --test fuzz -- --ignored"]
fn long_client_stats_bodies() {
    fuzz_stats(Run::Long);
}
