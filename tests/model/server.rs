//! A fake VRM on loopback: HTTP/1.1 with keep-alive, one thread per
//! connection, answering `users/me` and `installations/{site}/stats` from
//! the [`World`] of the case being run. One server serves a whole test;
//! each case swaps its world in.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::rule::{ALL_CODES, DAY, ENERGY_CODES, HOUR, StatsRequest, World, max_window};

/// The personal token both clients use.
pub const TOKEN: &str = "tok";
/// The account `users/me` names.
const ME: &str = r#"{"success":true,"user":{"id":22,"name":"x","email":"x@example.com"}}"#;
const NO_DATA: &str =
    r#"{"success":false,"error_code":"no_data","errors":["Site has no stats for this period."]}"#;

struct State {
    requests: AtomicUsize,
    world: Mutex<Option<World>>,
    /// Requests a correct client never sends (too long a window, bad
    /// token, unknown route …), described for the failure message.
    violations: Mutex<Vec<String>>,
    /// The bodies answered in this case, by request target: both clients
    /// often ask the same, and the answer is a pure function of it.
    answered: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    stopping: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running server; stopped on drop.
pub struct FakeVrm {
    addr: SocketAddr,
    state: Arc<State>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeVrm {
    pub fn start() -> FakeVrm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            requests: AtomicUsize::new(0),
            world: Mutex::new(None),
            violations: Mutex::new(Vec::new()),
            answered: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
        });
        let shared = Arc::clone(&state);
        let acceptor = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                // Ends when the client closes the connection (a client
                // drops its pool when dropped), or after 30 s idle.
                std::thread::spawn(move || serve_connection(stream, &state));
            }
        });
        FakeVrm {
            addr,
            state,
            acceptor: Some(acceptor),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serve `world` from now on, forgetting earlier violations.
    pub fn begin_case(&self, world: World) {
        *lock(&self.state.world) = Some(world);
        lock(&self.state.violations).clear();
        lock(&self.state.answered).clear();
    }

    /// Every request received so far (all cases).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The bad requests of this case.
    pub fn violations(&self) -> Vec<String> {
        lock(&self.state.violations).clone()
    }
}

impl Drop for FakeVrm {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the acceptor
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn serve_connection(stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        if state.stopping.load(Ordering::SeqCst) {
            return;
        }
        state.requests.fetch_add(1, Ordering::SeqCst);
        let (status, body) = answer(state, &request);
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            _ => "Not Found",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(&body).is_err()
            || writer.flush().is_err()
        {
            return;
        }
        if request.close {
            return;
        }
    }
}

struct HttpRequest {
    method: String,
    target: String,
    authorization: Option<String>,
    close: bool,
}

/// One request off the connection: head up to CRLFCRLF, then a body of
/// `Content-Length` bytes (read and dropped). `None` at EOF or on garbage.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<HttpRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut authorization = None;
    let mut length = 0usize;
    let mut close = false;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().ok()?,
            "x-authorization" => authorization = Some(value.to_owned()),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(HttpRequest {
        method,
        target,
        authorization,
        close,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query's pairs, decoded, in order.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn answer(state: &State, request: &HttpRequest) -> (u16, Vec<u8>) {
    let violation = |what: String| {
        lock(&state.violations).push(format!("{} {}: {what}", request.method, request.target));
    };
    if request.authorization.as_deref() != Some(&format!("Token {TOKEN}")) {
        violation("missing or wrong X-Authorization".into());
        return (
            401,
            br#"{"success":false,"errors":"unauthorized"}"#.to_vec(),
        );
    }
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((request.target.as_str(), ""));
    if request.method != "GET" {
        violation("not a GET".into());
        return (404, b"{}".to_vec());
    }
    if path == "/users/me" {
        return (200, ME.as_bytes().to_vec());
    }
    let site = path
        .strip_prefix("/installations/")
        .and_then(|rest| rest.strip_suffix("/stats"))
        .and_then(|id| id.parse::<u64>().ok());
    let world = lock(&state.world).clone();
    let (Some(site), Some(world)) = (site, world) else {
        violation("no such route".into());
        return (404, br#"{"success":false,"errors":"no route"}"#.to_vec());
    };
    match parse_stats(site, &world, &query_pairs(query)) {
        Ok(req) => {
            if req.end - req.start > max_window(req.step) {
                violation(format!(
                    "window of {} h is longer than one request may ask for",
                    (req.end - req.start) / HOUR
                ));
                return (400, NO_DATA.as_bytes().to_vec());
            }
            if let Some(body) = lock(&state.answered).get(&request.target) {
                return (200, body.to_vec());
            }
            let body = Arc::new(world.stats_body(&req).into_bytes());
            lock(&state.answered).insert(request.target.clone(), Arc::clone(&body));
            (200, body.to_vec())
        }
        Err(why) => {
            violation(why);
            (400, NO_DATA.as_bytes().to_vec())
        }
    }
}

fn parse_stats(
    site: u64,
    world: &World,
    pairs: &[(String, String)],
) -> Result<StatsRequest, String> {
    let one = |key: &str| {
        let mut values = pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (Some(v), None) => Ok(Some(v.clone())),
            (None, _) => Ok(None),
            _ => Err(format!("{key} given twice")),
        }
    };
    if !(1..=world.sites).contains(&site) {
        return Err(format!("site {site} does not exist"));
    }
    let number = |key: &str| -> Result<i64, String> {
        one(key)?
            .ok_or_else(|| format!("no {key}"))?
            .parse()
            .map_err(|_| format!("{key} is not a number"))
    };
    let (start, end) = (number("start")?, number("end")?);
    if start >= end || start % HOUR != 0 || end % HOUR != 0 {
        return Err(format!(
            "window {start}..{end} is empty or not on whole hours (VRM's data is hourly; \
             the crate rounds every window to whole hours)"
        ));
    }
    let step = match one("interval")?.as_deref() {
        Some("15mins") => 900,
        Some("hours") => HOUR,
        Some("days") => DAY,
        other => return Err(format!("interval {other:?} is not modelled")),
    };
    let asked: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "attributeCodes[]")
        .map(|(_, v)| v.as_str())
        .collect();
    let (is_kwh, codes) = match one("type")?.as_deref() {
        Some("kwh") if asked.is_empty() => (true, ENERGY_CODES.to_vec()),
        Some("custom") if !asked.is_empty() => {
            let mut codes = Vec::new();
            for code in asked {
                let known = ALL_CODES
                    .iter()
                    .find(|c| **c == code)
                    .ok_or_else(|| format!("unknown code {code}"))?;
                if codes.contains(known) {
                    return Err(format!("code {code} asked twice"));
                }
                codes.push(*known);
            }
            (false, codes)
        }
        other => return Err(format!("type {other:?} with codes {asked:?}")),
    };
    let show_instance = match one("show_instance")?.as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => return Err(format!("show_instance={other}")),
    };
    for (key, _) in pairs {
        if !matches!(
            key.as_str(),
            "type" | "attributeCodes[]" | "interval" | "start" | "end" | "show_instance"
        ) {
            return Err(format!("unexpected parameter {key}"));
        }
    }
    Ok(StatsRequest {
        site,
        is_kwh,
        codes,
        step,
        start,
        end,
        show_instance,
    })
}
