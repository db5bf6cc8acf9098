//! A stand-in for the ComicVine API on 127.0.0.1, answering with JSON of the recorded shape
//! generated here: one volume ("Saga: Año Uno!", id 91273) with `issues` issues, a second
//! plain one ("Thunder Knight", id 91274, from 2001) with as many, a search, issue details, and
//! cover pictures made on request. It records every request (path, query,
//! User-Agent, time), can be told to answer the next API requests with errors, and can stop
//! for good after a number of requests, as a server that goes away midway.
//!
//! Every answer closes its connection, so a stopped server refuses the next request outright.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::{ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

pub const KEY: &str = "k3y-f0r-t3sts-0nly";
pub const VOLUME: i32 = 91273;
pub const VOLUME_NAME: &str = "Saga: Año Uno!";
pub const VOLUME_FOLDER: &str = "Saga Año Uno_91273";
pub const PUBLISHER: i32 = 2686;
/// Issue ids are FIRST_ISSUE + i for issue number i (1-based).
pub const FIRST_ISSUE: i32 = 500_000;
/// The second volume: its issue ids are THUNDER_FIRST_ISSUE + i, its covers `{id}-thunder.jpg`.
pub const THUNDER: i32 = 91274;
pub const THUNDER_NAME: &str = "Thunder Knight";
pub const THUNDER_FIRST_ISSUE: i32 = 600_000;
/// Issue whose main cover is not a picture.
pub const CORRUPT: u32 = 7;
/// Issues with two variant covers: the first has the main cover's file name.
pub const WITH_VARIANTS: [u32; 2] = [50, 100];
/// Issue the list gives without `associated_images`, so that its details must be asked for.
pub const DETAILS_ONLY: u32 = 100;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub at: Instant,
    pub path: String,
    pub query: HashMap<String, String>,
    pub user_agent: Option<String>,
}

/// An answer given instead of the real one.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub http: u16,
    pub status_code: i64,
}

struct State {
    requests: Vec<Recorded>,
    faults: VecDeque<Fault>,
    stop_after: Option<usize>,
}

pub struct MockComicVine {
    pub port: u16,
    issues: u32,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MockComicVine {
    pub fn start(issues: u32) -> Self {
        Self::start_on(0, issues)
    }

    /// Starts on `port` (0 for any), retrying a moment while a stopped server releases it.
    pub fn start_on(port: u16, issues: u32) -> Self {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(listener) => break listener,
                Err(error) if tries < 50 => {
                    tries += 1;
                    let _ = error;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(error) => panic!("cannot listen on 127.0.0.1:{port}: {error}"),
            }
        };
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(State {
            requests: Vec::new(),
            faults: VecDeque::new(),
            stop_after: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || serve(listener, port, issues, &state, &stop))
        };
        Self {
            port,
            issues,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/", self.port)
    }

    pub fn fail_next(&self, faults: &[Fault]) {
        self.state
            .lock()
            .expect("state")
            .faults
            .extend(faults.iter().copied());
    }

    /// After `n` requests in all, the server stops listening.
    pub fn stop_after(&self, n: usize) {
        self.state.lock().expect("state").stop_after = Some(n);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state").requests.clone()
    }

    /// Paths of the pictures asked for.
    pub fn image_requests(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/a/uploads/"))
            .map(|r| r.path)
            .collect()
    }

    /// Stops and waits until the port is closed.
    pub fn shut_down(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MockComicVine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: TcpListener, port: u16, issues: u32, state: &Mutex<State>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let done = answer(stream, port, issues, state);
                if done {
                    return;
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Answers one request; true when the server must stop afterwards.
fn answer(stream: TcpStream, port: u16, issues: u32, state: &Mutex<State>) -> bool {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return false,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return false;
    }
    let mut user_agent = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("user-agent")
        {
            user_agent = Some(value.trim().to_owned());
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).expect("request target");
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let path = url.path().to_owned();
    let (fault, stop) = {
        let mut state = state.lock().expect("state");
        state.requests.push(Recorded {
            at: Instant::now(),
            path: path.clone(),
            query: query.clone(),
            user_agent,
        });
        let fault = if path.starts_with("/api/") {
            state.faults.pop_front()
        } else {
            None
        };
        let stop = state.stop_after.is_some_and(|n| state.requests.len() >= n);
        (fault, stop)
    };
    let (status, content_type, body) = match fault {
        Some(fault) => (
            fault.http,
            "application/json",
            envelope(fault.status_code, json!([]), 0, 0),
        ),
        None => route(&path, &query, port, issues),
    };
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
    stop
}

fn envelope(status_code: i64, results: Value, offset: u32, total: u32) -> Vec<u8> {
    let count = results.as_array().map_or(1, Vec::len);
    let error = match status_code {
        1 => "OK",
        100 => "Invalid API Key",
        101 => "Object Not Found",
        107 => "Rate limit exceeded.  Slow down cowboy.",
        _ => "Error",
    };
    json!({
        "error": error, "limit": 100, "offset": offset,
        "number_of_page_results": count, "number_of_total_results": total,
        "status_code": status_code, "results": results, "version": "1.0"
    })
    .to_string()
    .into_bytes()
}

fn route(
    path: &str,
    query: &HashMap<String, String>,
    port: u16,
    issues: u32,
) -> (u16, &'static str, Vec<u8>) {
    if let Some(name) = path.strip_prefix("/a/uploads/") {
        return picture(name);
    }
    let json = "application/json";
    if query.get("api_key").map(String::as_str) != Some(KEY) {
        return (401, json, envelope(100, json!([]), 0, 0));
    }
    if query.get("format").map(String::as_str) != Some("json") {
        return (400, json, b"<xml/>".to_vec());
    }
    let volume_path = format!("/api/volume/4050-{VOLUME}/");
    match path {
        "/api/search/" => {
            let wanted = query
                .get("query")
                .is_some_and(|q| q.to_lowercase().contains("saga"));
            let thunder = query
                .get("query")
                .is_some_and(|q| q.to_lowercase().contains("thunder"));
            let results = if thunder {
                json!([
                    {"id": THUNDER, "name": THUNDER_NAME, "start_year": "2001",
                     "publisher": {"id": PUBLISHER, "name": "Image"}, "count_of_issues": issues,
                     "resource_type": "volume"}
                ])
            } else if wanted {
                json!([
                    {"id": VOLUME, "name": VOLUME_NAME, "start_year": "2012",
                     "publisher": {"id": PUBLISHER, "name": "Image"}, "count_of_issues": issues,
                     "resource_type": "volume"},
                    {"id": 4242, "name": "Saga of the Swamp Thing", "start_year": null,
                     "publisher": null, "count_of_issues": 64, "resource_type": "volume"}
                ])
            } else {
                json!([])
            };
            let n = results.as_array().map_or(0, Vec::len) as u32;
            (200, json, envelope(1, results, 0, n))
        }
        p if p == volume_path => (
            200,
            json,
            envelope(
                1,
                json!({
                    "id": VOLUME, "name": VOLUME_NAME, "deck": "A space opera.",
                    "description": "<p>Two soldiers.</p>", "start_year": "2012",
                    "publisher": {"id": PUBLISHER, "name": "Image"},
                    "count_of_issues": issues,
                    "image": {"medium_url": format!("http://127.0.0.1:{port}/a/uploads/scale_medium/volume.jpg")},
                    "site_detail_url": format!("https://comics.example/saga/4050-{VOLUME}/"),
                    "api_detail_url": format!("https://comics.example/api/volume/4050-{VOLUME}/")
                }),
                0,
                1,
            ),
        ),
        p if p == format!("/api/volume/4050-{THUNDER}/") => (
            200,
            json,
            envelope(
                1,
                json!({
                    "id": THUNDER, "name": THUNDER_NAME, "start_year": "2001",
                    "publisher": {"id": PUBLISHER, "name": "Image"},
                    "count_of_issues": issues,
                    "image": {"medium_url": format!("http://127.0.0.1:{port}/a/uploads/scale_medium/thunder.jpg")},
                    "site_detail_url": format!("https://comics.example/thunder/4050-{THUNDER}/"),
                    "api_detail_url": format!("https://comics.example/api/volume/4050-{THUNDER}/")
                }),
                0,
                1,
            ),
        ),
        "/api/issues/"
            if query.get("filter").map(String::as_str) == Some(&format!("volume:{THUNDER}")) =>
        {
            let results: Vec<Value> = (1..=issues).map(|n| thunder_issue_json(n, port)).collect();
            (200, json, envelope(1, json!(results), 0, issues))
        }
        "/api/issues/" => {
            if query.get("filter").map(String::as_str) != Some(&format!("volume:{VOLUME}")) {
                return (200, json, envelope(1, json!([]), 0, 0));
            }
            let offset: u32 = query
                .get("offset")
                .and_then(|o| o.parse().ok())
                .unwrap_or(0);
            let limit: u32 = query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100);
            let results: Vec<Value> = (offset + 1..=(offset + limit).min(issues))
                .map(|n| {
                    let mut issue = issue_json(n, port);
                    if n == DETAILS_ONLY
                        && let Some(object) = issue.as_object_mut()
                    {
                        object.remove("associated_images");
                    }
                    issue
                })
                .collect();
            (200, json, envelope(1, json!(results), offset, issues))
        }
        p => {
            let id = p
                .strip_prefix("/api/issue/4000-")
                .and_then(|rest| rest.strip_suffix('/'))
                .and_then(|id| id.parse::<i32>().ok());
            match id {
                Some(id) if id > FIRST_ISSUE && id <= FIRST_ISSUE + issues as i32 => (
                    200,
                    json,
                    envelope(1, issue_json((id - FIRST_ISSUE) as u32, port), 0, 1),
                ),
                _ => (404, json, envelope(101, json!([]), 0, 0)),
            }
        }
    }
}

/// Issue `n` of the second volume, with one cover.
pub fn thunder_issue_json(n: u32, port: u16) -> Value {
    let id = THUNDER_FIRST_ISSUE + n as i32;
    json!({
        "id": id,
        "name": null,
        "issue_number": n.to_string(),
        "cover_date": format!("2001-{:02}-01", n % 12 + 1),
        "store_date": null,
        "image": {
            "medium_url": thunder_cover(n, port),
            "original_url": thunder_cover(n, port),
            "thumb_url": thunder_cover(n, port),
            "image_tags": "All Images"
        },
        "associated_images": [],
        "volume": {"id": THUNDER, "name": THUNDER_NAME},
        "api_detail_url": format!("https://comics.example/api/issue/4000-{id}/"),
        "site_detail_url": format!("https://comics.example/thunder-{n}/4000-{id}/")
    })
}

/// The cover's address of issue `n` of the second volume.
pub fn thunder_cover(n: u32, port: u16) -> String {
    let id = THUNDER_FIRST_ISSUE + n as i32;
    format!("http://127.0.0.1:{port}/a/uploads/scale_medium/{id}-thunder.jpg")
}

/// The main cover's address of issue `n`.
pub fn main_cover(n: u32, port: u16) -> String {
    let id = FIRST_ISSUE + n as i32;
    if n == CORRUPT {
        format!("http://127.0.0.1:{port}/a/uploads/scale_medium/{id}-broken.jpg")
    } else {
        format!("http://127.0.0.1:{port}/a/uploads/scale_medium/{id}-saga.jpg")
    }
}

/// The variant covers' addresses of issue `n`.
pub fn variant_covers(n: u32, port: u16) -> Vec<String> {
    let id = FIRST_ISSUE + n as i32;
    if WITH_VARIANTS.contains(&n) {
        vec![
            format!("http://127.0.0.1:{port}/a/uploads/original/{id}-saga.jpg"),
            format!("http://127.0.0.1:{port}/a/uploads/original/{id}-wide.jpg"),
        ]
    } else {
        Vec::new()
    }
}

pub fn issue_json(n: u32, port: u16) -> Value {
    let id = FIRST_ISSUE + n as i32;
    let number = if n == 3 {
        "Annual 1".to_owned()
    } else {
        n.to_string()
    };
    let associated: Vec<Value> = variant_covers(n, port)
        .into_iter()
        .enumerate()
        .map(|(i, url)| {
            json!({"id": i + 1, "original_url": url, "caption": null,
                               "image_tags": "All Images"})
        })
        .collect();
    json!({
        "id": id,
        "name": if n.is_multiple_of(2) { Value::Null } else { json!(format!("Chapter {n}")) },
        "issue_number": number,
        "cover_date": format!("{}-{:02}-01", 2012 + n / 12, n % 12 + 1),
        "store_date": null,
        "image": {
            "medium_url": main_cover(n, port),
            "original_url": format!("http://127.0.0.1:{port}/a/uploads/original/{id}-saga.jpg"),
            "thumb_url": format!("http://127.0.0.1:{port}/a/uploads/scale_avatar/{id}-saga.jpg"),
            "image_tags": "All Images"
        },
        "associated_images": associated,
        "volume": {"id": VOLUME, "name": VOLUME_NAME},
        "api_detail_url": format!("https://comics.example/api/issue/4000-{id}/"),
        "site_detail_url": format!("https://comics.example/saga-{n}/4000-{id}/")
    })
}

/// A cover picture: 150x225 in a colour taken from the name, 300x200 for "wide" ones, and
/// bytes that are no picture for "broken" ones.
/// The picture served at a cover address ending in `name`: blocks of colour drawn from the name,
/// so that every cover is a picture of its own.
pub fn cover_picture(name: &str) -> RgbImage {
    let (width, height) = if name.contains("wide") {
        (300, 200)
    } else {
        (150, 225)
    };
    let seed = name.bytes().fold(7u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    });
    RgbImage::from_fn(width, height, |x, y| {
        let cell = (x / 25) * 31 + (y / 28) * 17 + seed;
        let v = cell.wrapping_mul(2_654_435_761) >> 8;
        let channel = |shift: u32| 30 + ((v >> shift) % 170) as u8;
        Rgb([channel(0), channel(8), channel(16)])
    })
}

fn picture(name: &str) -> (u16, &'static str, Vec<u8>) {
    if name.contains("broken") {
        return (
            200,
            "image/jpeg",
            b"\xff\xd8\xff\xe0 this is not a picture".to_vec(),
        );
    }
    let image = cover_picture(name);
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
        .expect("encoding a test cover");
    (200, "image/jpeg", bytes)
}
