//! A real HTTP/1.1 server on 127.0.0.1 (std TCP, a thread per
//! connection, keep-alive) serving signature files and graph documents
//! from memory, with scripted failures; and a server that accepts
//! connections and never answers. Shared by the integration tests and the
//! benchmark.

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
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    /// Every request target (path and query), in order.
    requests: Vec<String>,
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
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
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
                    let st = st.clone();
                    std::thread::spawn(move || serve_connection(conn, &st));
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
fn serve_connection(conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = conn.set_nodelay(true);
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
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
        let (status, body) = answer(state, &target);
        let reason = match status {
            200 => "OK",
            404 => "Not Found",
            500 => "Internal Server Error",
            _ => "Status",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n{}\r\n",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        // One write: a head and body written separately would wait for
        // the client's delayed ACK (Nagle), 40 ms per response.
        let mut response = head.into_bytes();
        response.extend_from_slice(&body);
        if writer.write_all(&response).is_err() {
            return;
        }
        if close {
            return;
        }
    }
}

fn answer(state: &Mutex<State>, target: &str) -> (u16, Vec<u8>) {
    let path = target.split('?').next().unwrap_or("");
    let mut s = state.lock().unwrap();
    s.requests.push(target.to_string());
    match s.routes.get(path).cloned() {
        Some(Route::Body(b))
        | Some(Route::FailThen {
            failures: 0,
            body: b,
        }) => (200, b),
        Some(Route::FailThen { failures, body }) => {
            s.routes.insert(
                path.to_string(),
                Route::FailThen {
                    failures: failures - 1,
                    body,
                },
            );
            (500, b"internal error".to_vec())
        }
        Some(Route::Status(code)) => (code, Vec::new()),
        None => (404, b"not found".to_vec()),
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
