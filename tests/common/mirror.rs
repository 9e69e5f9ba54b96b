//! A real HTTP/1.1 server on 127.0.0.1 (std TCP, a thread per
//! connection, keep-alive) serving signature files and graph documents
//! from memory, with scripted failures and hostile behaviours (bodies
//! dripped a byte at a time, endless chunked bodies, slow answers, web
//! pages, huge bodies generated as they are sent, redirects anywhere);
//! and a server that accepts connections and never answers. Shared by the
//! integration tests, the benchmark and `examples/hostile_server.rs`.
//!
//! Every loop that sends for a long time ends when the client goes away
//! or the server is dropped.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the server answers for a path.
#[derive(Clone, Debug)]
pub enum Route {
    /// 200 with this body.
    Body(Vec<u8>),
    /// `failures` answers with status 500, then 200 with the body.
    FailThen { failures: usize, body: Vec<u8> },
    /// Always this status, empty body.
    Status(u16),
    /// 200 with this body and `Content-Type`.
    Typed {
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// 200 with a `Content-Length`, then the body one byte every `every`.
    Drip { body: Vec<u8>, every: Duration },
    /// 200, chunked, a one-byte chunk every `every`, never ending.
    EndlessChunks { every: Duration },
    /// `route`, after waiting `delay` before the status line.
    Delayed { delay: Duration, route: Box<Route> },
    /// 200 with `len` bytes of `b'A'`, generated as sent; with `chunked`,
    /// without a `Content-Length` to refuse it by.
    Huge { len: u64, chunked: bool },
    /// 302 to this `Location`.
    Redirect(String),
    /// 401 with this `WWW-Authenticate` challenge.
    Challenge(String),
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    /// Answers for every path starting with a prefix that has no route of
    /// its own (longest prefix first).
    prefixes: Vec<(String, Route)>,
    /// Every request target (path and query), in order.
    requests: Vec<String>,
    /// Stop adding to `requests`.
    forget: bool,
}

pub struct Mirror {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Mirror {
    pub fn start() -> Mirror {
        Mirror::start_on("127.0.0.1:0")
    }

    /// Listens on `addr` (`127.0.0.1:PORT`, port 0 for any).
    pub fn start_on(addr: &str) -> Mirror {
        let listener = TcpListener::bind(addr).expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, flag) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(conn) = conn {
                    let (st, flag) = (st.clone(), flag.clone());
                    std::thread::spawn(move || serve_connection(conn, &st, &flag));
                }
            }
        });
        Mirror {
            url: format!("http://127.0.0.1:{port}"),
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Serves `route` at `path` (which starts with `/`).
    pub fn put(&self, path: &str, route: Route) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), route);
    }

    /// Serves `route` at every path starting with `prefix` that has no
    /// route of its own.
    pub fn put_prefix(&self, prefix: &str, route: Route) {
        let mut s = self.state.lock().unwrap();
        s.prefixes.push((prefix.to_string(), route));
        s.prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    }

    /// How many requests asked for `path` (query ignored).
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.split('?').next() == Some(path))
            .count()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Stops remembering requests (a long benchmark run would otherwise
    /// keep millions of them).
    pub fn forget_requests(&self) {
        let mut s = self.state.lock().unwrap();
        s.requests = Vec::new();
        s.forget = true;
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers requests on one connection until the client closes it (or is
/// idle for 30 s). Request heads are bounded; bodies are not expected.
fn serve_connection(conn: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = conn.set_nodelay(true);
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    // A TLS ClientHello (a client trying https first): answer like a
    // plain-http Go server would, so the client sees a TLS error at once.
    if reader.fill_buf().is_ok_and(|b| b.first() == Some(&0x16)) {
        let _ = writer.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
        return;
    }
    loop {
        let mut request_line = String::new();
        match (&mut reader).take(8192).read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut close = false;
        let mut head_bytes = 0;
        loop {
            let mut line = String::new();
            match (&mut reader).take(8192).read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(n) => head_bytes += n,
            }
            if head_bytes > 64 * 1024 {
                return;
            }
            let l = line.to_ascii_lowercase();
            if l.starts_with("connection:") && l.contains("close") {
                close = true;
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        let route = answer(state, &target);
        if !send(&mut writer, &route, close, stop) || close {
            return;
        }
    }
}

/// Writes one answer; false when the connection is done with.
fn send(w: &mut TcpStream, route: &Route, close: bool, stop: &AtomicBool) -> bool {
    let connection = if close { "Connection: close\r\n" } else { "" };
    let head = |status: u16, content_type: &str, extra: &str| {
        let reason = match status {
            200 => "OK",
            302 => "Found",
            404 => "Not Found",
            500 => "Internal Server Error",
            _ => "Status",
        };
        format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{extra}{connection}\r\n"
        )
    };
    // One write for head and body: written separately they would wait
    // for the client's delayed ACK (Nagle), 40 ms per response.
    let whole = |w: &mut TcpStream, status: u16, content_type: &str, body: &[u8]| {
        let mut response = head(
            status,
            content_type,
            &format!("Content-Length: {}\r\n", body.len()),
        )
        .into_bytes();
        response.extend_from_slice(body);
        w.write_all(&response).is_ok()
    };
    let pause = |every: Duration| {
        std::thread::sleep(every);
        !stop.load(Ordering::Relaxed)
    };
    match route {
        Route::Body(b) => whole(w, 200, "application/octet-stream", b),
        Route::FailThen { .. } => unreachable!("resolved by answer()"),
        Route::Status(404) => whole(w, 404, "text/plain", b"not found"),
        Route::Status(500) => whole(w, 500, "text/plain", b"internal error"),
        Route::Status(code) => whole(w, *code, "text/plain", b""),
        Route::Typed { content_type, body } => whole(w, 200, content_type, body),
        Route::Redirect(location) => {
            let extra = format!("Location: {location}\r\nContent-Length: 0\r\n");
            w.write_all(head(302, "text/plain", &extra).as_bytes())
                .is_ok()
        }
        Route::Challenge(challenge) => {
            let extra = format!("WWW-Authenticate: {challenge}\r\nContent-Length: 0\r\n");
            w.write_all(head(401, "text/plain", &extra).as_bytes())
                .is_ok()
        }
        Route::Drip { body, every } => {
            let extra = format!("Content-Length: {}\r\n", body.len());
            if w.write_all(head(200, "application/octet-stream", &extra).as_bytes())
                .is_err()
            {
                return false;
            }
            for byte in body {
                if !pause(*every) || w.write_all(&[*byte]).is_err() {
                    return false;
                }
            }
            true
        }
        Route::EndlessChunks { every } => {
            let extra = "Transfer-Encoding: chunked\r\n";
            if w.write_all(head(200, "application/octet-stream", extra).as_bytes())
                .is_err()
            {
                return false;
            }
            while pause(*every) {
                if w.write_all(b"1\r\nA\r\n").is_err() {
                    return false;
                }
            }
            false
        }
        Route::Delayed { delay, route } => pause(*delay) && send(w, route, close, stop),
        Route::Huge { len, chunked } => {
            let extra = if *chunked {
                "Transfer-Encoding: chunked\r\n".to_string()
            } else {
                format!("Content-Length: {len}\r\n")
            };
            if w.write_all(head(200, "application/octet-stream", &extra).as_bytes())
                .is_err()
            {
                return false;
            }
            let block = [b'A'; 64 * 1024];
            let mut left = *len;
            while left > 0 {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                let n = left.min(block.len() as u64) as usize;
                let sent = if *chunked {
                    let mut chunk = format!("{n:x}\r\n").into_bytes();
                    chunk.extend_from_slice(&block[..n]);
                    chunk.extend_from_slice(b"\r\n");
                    w.write_all(&chunk)
                } else {
                    w.write_all(&block[..n])
                };
                if sent.is_err() {
                    return false;
                }
                left -= n as u64;
            }
            !*chunked || w.write_all(b"0\r\n\r\n").is_ok()
        }
    }
}

/// The route for `target`, remembering the request.
fn answer(state: &Mutex<State>, target: &str) -> Route {
    let path = target.split('?').next().unwrap_or("");
    let mut s = state.lock().unwrap();
    if !s.forget {
        s.requests.push(target.to_string());
    }
    let route = s.routes.get(path).cloned().or_else(|| {
        s.prefixes
            .iter()
            .find(|(p, _)| path.starts_with(p.as_str()))
            .map(|(_, r)| r.clone())
    });
    match route {
        Some(Route::FailThen { failures: 0, body }) => Route::Body(body),
        Some(Route::FailThen { failures, body }) => {
            s.routes.insert(
                path.to_string(),
                Route::FailThen {
                    failures: failures - 1,
                    body,
                },
            );
            Route::Status(500)
        }
        Some(r) => r,
        None => Route::Status(404),
    }
}

/// Accepts TCP connections on 127.0.0.1 and never answers on them.
pub struct Silent {
    pub url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Silent {
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Silent {
            url: format!("http://127.0.0.1:{port}"),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
