//! A real HTTP server on 127.0.0.1 (tiny_http) serving signature files
//! and graph documents from memory, with scripted failures; and a server
//! that accepts connections and never answers. Shared by the integration
//! tests and the benchmark.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
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
    /// Every request path (with query), in order.
    requests: Vec<String>,
}

pub struct Mirror {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
    server: Arc<tiny_http::Server>,
    state: Arc<Mutex<State>>,
    threads: Vec<JoinHandle<()>>,
}

impl Mirror {
    pub fn start() -> Mirror {
        Mirror::start_with_threads(1)
    }

    pub fn start_with_threads(n: usize) -> Mirror {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("ip listener").port();
        let state = Arc::new(Mutex::new(State::default()));
        let threads = (0..n)
            .map(|_| {
                let server = server.clone();
                let state = state.clone();
                std::thread::spawn(move || serve(&server, &state))
            })
            .collect();
        Mirror {
            url: format!("http://127.0.0.1:{port}"),
            server,
            state,
            threads,
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

fn serve(server: &tiny_http::Server, state: &Mutex<State>) {
    while let Ok(request) = server.recv() {
        let url = request.url().to_string();
        let path = url.split('?').next().unwrap_or("").to_string();
        let route = {
            let mut s = state.lock().unwrap();
            s.requests.push(url.clone());
            let route = s.routes.get(&path).cloned();
            if let Some(Route::FailThen { failures, body }) = &route
                && *failures > 0
            {
                s.routes.insert(
                    path.clone(),
                    Route::FailThen {
                        failures: failures - 1,
                        body: body.clone(),
                    },
                );
            }
            route
        };
        let response = match route {
            Some(Route::Body(b))
            | Some(Route::FailThen {
                failures: 0,
                body: b,
            }) => tiny_http::Response::from_data(b),
            Some(Route::FailThen { .. }) => {
                tiny_http::Response::from_data(b"internal error".to_vec()).with_status_code(500)
            }
            Some(Route::Status(s)) => {
                tiny_http::Response::from_data(Vec::new()).with_status_code(s)
            }
            None => tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404),
        };
        let _ = request.respond(response);
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        for _ in &self.threads {
            self.server.unblock();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
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
