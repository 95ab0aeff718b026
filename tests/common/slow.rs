//! A VRM-like server on loopback, std only, for what mockito cannot show:
//! requests in flight at once, a latency of its own, and VRM's rate limit
//! enforced with real 429s. A thread per connection; each answer closes
//! its connection. Shared by the tests and the benches (`#[path]`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What answers a request: its method and path with query, to a status
/// and a body.
pub type Handler = dyn Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync;

/// VRM's limit as the server enforces it: a window of `capacity` requests,
/// one freed every `refill`; a request past it is answered 429.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub capacity: f64,
    pub refill: Duration,
}

struct State {
    latency: Duration,
    limit: Option<Limit>,
    bucket: Mutex<(f64, Option<Instant>)>,
    handler: Box<Handler>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: AtomicUsize,
    limited: AtomicUsize,
    paths: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// The server; stopped when dropped.
pub struct SlowVrm {
    pub url: String,
    state: Arc<State>,
    addr: std::net::SocketAddr,
}

impl SlowVrm {
    /// A server answering with `handler` after `latency`, enforcing
    /// `limit` when given.
    pub fn start(
        latency: Duration,
        limit: Option<Limit>,
        handler: impl Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync + 'static,
    ) -> SlowVrm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            latency,
            limit,
            bucket: Mutex::new((0.0, None)),
            handler: Box::new(handler),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            limited: AtomicUsize::new(0),
            paths: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = shared.clone();
                std::thread::spawn(move || serve(&state, stream));
            }
        });
        SlowVrm {
            url: format!("http://{addr}"),
            state,
            addr,
        }
    }

    /// Requests answered so far (429s included).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Requests answered 429 by the limit.
    pub fn limited(&self) -> usize {
        self.state.limited.load(Ordering::SeqCst)
    }

    /// The most requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// The paths (with query) asked, in the order they arrived.
    pub fn paths(&self) -> Vec<String> {
        self.state
            .paths
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }
}

impl Drop for SlowVrm {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
        // Wake the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Whether the limit lets one more request in now.
fn admitted(state: &State) -> bool {
    let Some(limit) = state.limit else {
        return true;
    };
    let Ok(mut bucket) = state.bucket.lock() else {
        return true;
    };
    let now = Instant::now();
    if let Some(last) = bucket.1 {
        let leaked = now.duration_since(last).as_secs_f64() / limit.refill.as_secs_f64();
        bucket.0 = (bucket.0 - leaked).max(0.0);
    }
    bucket.1 = Some(now);
    if bucket.0 + 1.0 > limit.capacity + 1e-9 {
        false
    } else {
        bucket.0 += 1.0;
        true
    }
}

fn serve(state: &State, stream: TcpStream) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    let _ = std::io::Read::read_exact(&mut reader, &mut body);
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    state.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut paths) = state.paths.lock() {
        paths.push(target.clone());
    }
    let (status, body) = if admitted(state) {
        std::thread::sleep(state.latency);
        (state.handler)(&method, target.trim_start_matches('/'))
    } else {
        state.limited.fetch_add(1, Ordering::SeqCst);
        (
            429,
            br#"{"success":false,"errors":"Too many requests","error_code":"rate_limited"}"#
                .to_vec(),
        )
    };
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n{}\r\n",
        body.len(),
        if status == 429 {
            "retry-after: 1\r\n"
        } else {
            ""
        }
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// The value of query parameter `key` in `target`.
fn param<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        pair.split_once('=')
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
    })
}

/// The answers of a fleet of `sites` sites of account 22: `users/me`, the
/// installations list, and stats of any site: one point per bucket of the
/// query's interval for each code asked (`Pc`, `Gc`, `Pb` for kwh), its
/// value a function of code and time.
pub fn fleet(sites: u64) -> impl Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync + 'static {
    fleet_in(sites, "Europe/Amsterdam")
}

/// [`fleet`] with every site in time zone `tz`.
pub fn fleet_in(
    sites: u64,
    tz: &'static str,
) -> impl Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync + 'static {
    move |_, target| {
        if target.starts_with("users/me") {
            return (
                200,
                br#"{"success":true,"user":{"id":22,"name":"Fleet owner"}}"#.to_vec(),
            );
        }
        if target.starts_with("users/22/installations") {
            let list: Vec<String> = (1..=sites)
                .map(|i| {
                    format!(
                        r#"{{"idSite":{i},"name":"Site {i}","identifier":"c0ffee{i:04}","timezone":"{tz}"}}"#
                    )
                })
                .collect();
            let body = format!(r#"{{"success":true,"records":[{}]}}"#, list.join(","));
            return (200, body.into_bytes());
        }
        if target.starts_with("installations/") && target.contains("/stats?") {
            let step = match param(target, "interval") {
                Some("15mins") => 900,
                Some("days") => 86_400,
                _ => 3600,
            };
            let start: i64 = param(target, "start")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let end: i64 = param(target, "end")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut codes: Vec<&str> = target
                .split('&')
                .filter_map(|p| p.strip_prefix("attributeCodes%5B%5D="))
                .collect();
            if codes.is_empty() {
                codes = vec!["Pc", "Gc", "Pb"];
            }
            let mut body = String::from(r#"{"success":true,"records":{"#);
            for (i, code) in codes.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&format!("\"{code}\":["));
                let mut t = start - start.rem_euclid(step);
                let mut first = true;
                while t < end {
                    if !first {
                        body.push(',');
                    }
                    first = false;
                    let value = ((t / step) % 24 + i as i64) as f64 / 8.0;
                    body.push_str(&format!("[{},{value}]", t * 1000));
                    t += step;
                }
                body.push(']');
            }
            body.push_str(r#"},"totals":{}}"#);
            return (200, body.into_bytes());
        }
        (
            404,
            br#"{"success":false,"errors":"no such route","error_code":"not_found"}"#.to_vec(),
        )
    }
}
