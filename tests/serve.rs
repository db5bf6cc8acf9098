//! The HTTP API answers real requests: `vistazo serve` on a free loopback port, with uploads
//! sent over TCP as a browser or a script would send them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn tiny_model() -> String {
    format!("{}/tests/fixtures/clip/tiny", env!("CARGO_MANIFEST_DIR"))
}

fn vistazo(db: &Path, args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(["--db", db.to_str().unwrap(), "--model", &tiny_model()])
        .args(["--device", "cpu"])
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .output()
        .expect("run vistazo");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Six photos of different colours, imported, labelled and trained on.
fn trained_database(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let mut files = Vec::new();
    let mut csv = String::new();
    for (i, label) in ["bad", "good", "medium", "bad", "good", "medium"]
        .iter()
        .enumerate()
    {
        let i = i as u32;
        let picture = image::RgbImage::from_fn(160, 120, |x, y| {
            image::Rgb([
                ((x * (i + 1)) % 256) as u8,
                ((y * 3 + i * 40) % 256) as u8,
                ((x + y + i * 70) % 256) as u8,
            ])
        });
        let path = photos.join(format!("room_{i}.png"));
        picture.save(&path).unwrap();
        csv.push_str(&format!("photos/room_{i}.png,{label}\n"));
        files.push(path);
    }
    std::fs::write(dir.join("labels.csv"), csv).unwrap();
    let db = dir.join("v.db");
    vistazo(&db, &["interiors", "import", photos.to_str().unwrap()]);
    vistazo(
        &db,
        &[
            "interiors",
            "import-labels",
            dir.join("labels.csv").to_str().unwrap(),
        ],
    );
    vistazo(&db, &["interiors", "train"]);
    (db, files)
}

/// A running `vistazo serve`, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(db: &Path, extra: &[&str]) -> Self {
        Self::spawn(Command::new(env!("CARGO_BIN_EXE_vistazo")), db, extra)
    }

    /// `vistazo serve` allowed only `descriptors` open files and sockets at once.
    fn start_with_descriptor_limit(db: &Path, descriptors: u32) -> Self {
        let mut shell = Command::new("sh");
        shell.args([
            "-c",
            &format!("ulimit -n {descriptors} && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_vistazo"),
        ]);
        Self::spawn(shell, db, &[])
    }

    fn spawn(mut command: Command, db: &Path, extra: &[&str]) -> Self {
        let mut child = command
            .args(["--db", db.to_str().unwrap(), "--model", &tiny_model()])
            .args(["--device", "cpu", "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env("LANG", "C.UTF-8")
            .env_remove("LANGUAGE")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start vistazo serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Self { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A multipart/form-data body with one file field.
fn multipart(field: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "vistazo-test-boundary-7d4f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Status and JSON body of a request, whatever the status.
fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, serde_json::Value) {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(other) => panic!("request failed: {other}"),
    };
    let status = response.status();
    let body: serde_json::Value = response.into_json().expect("a JSON body");
    (status, body)
}

fn post_file(server: &Server, field: &str, name: &str, bytes: &[u8]) -> (u16, serde_json::Value) {
    let (content_type, body) = multipart(field, name, bytes);
    answer(
        ureq::post(&server.url("/score"))
            .set("Content-Type", &content_type)
            .send_bytes(&body),
    )
}

#[test]
fn the_api_scores_uploads_like_the_command_line_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = trained_database(dir.path());
    let server = Server::start(&db, &["--max-upload-mb", "1"]);

    let (status, health) = answer(ureq::get(&server.url("/health")).call());
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["device"], "cpu");
    assert!(health["model"].as_str().unwrap().starts_with("local/clip-"));
    assert!(health["trained_round"].as_i64().is_some());

    // The same JSON as `interiors score --json`, but for the upload's name.
    let photo = &files[1];
    let output = vistazo(
        &db,
        &["interiors", "score", photo.to_str().unwrap(), "--json"],
    );
    let expected: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let (status, card) = post_file(
        &server,
        "file",
        "room_1.png",
        &std::fs::read(photo).unwrap(),
    );
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["file"], "room_1.png");
    for key in ["bucket", "caption", "review"] {
        assert_eq!(card[key], expected[key], "{key}");
    }
    let score = card["score"].as_f64().unwrap();
    assert!(
        (score - expected["score"].as_f64().unwrap()).abs() <= 0.11,
        "{card}"
    );

    // Empty body, a field that is not a file, an empty file, a file that is not a photo.
    let (status, body) = answer(ureq::post(&server.url("/score")).call());
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("multipart/form-data"),
        "{body}"
    );
    let (status, body) = answer(
        ureq::post(&server.url("/score"))
            .set(
                "Content-Type",
                "multipart/form-data; boundary=vistazo-test-boundary-7d4f",
            )
            .send_bytes(
                b"--vistazo-test-boundary-7d4f\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--vistazo-test-boundary-7d4f--\r\n",
            ),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = post_file(&server, "file", "nothing.jpg", b"");
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("is empty"),
        "{body}"
    );
    let (status, body) = post_file(&server, "file", "notes.txt", b"these are not pixels");
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("not a photo"),
        "{body}"
    );

    // Larger than the limit: refused before the body is sent.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST /score HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("the limit is 1 MB"), "{response}");

    let (status, _) = answer(ureq::get(&server.url("/elsewhere")).call());
    assert_eq!(status, 404);
}

#[test]
fn concurrent_requests_all_get_their_own_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = trained_database(dir.path());
    let server = Server::start(&db, &[]);
    let photos: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| {
            (
                f.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(f).unwrap(),
            )
        })
        .collect();
    // Each photo alone first: the answers concurrent requests must match.
    let alone: Vec<serde_json::Value> = photos
        .iter()
        .map(|(name, bytes)| post_file(&server, "file", name, bytes).1)
        .collect();

    let clients = 8;
    let per_client = 3;
    let answers: Vec<Vec<(usize, u16, serde_json::Value)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                let (server, photos) = (&server, &photos);
                scope.spawn(move || {
                    (0..per_client)
                        .map(|k| {
                            let index = (client + k) % photos.len();
                            let (name, bytes) = &photos[index];
                            let (status, card) = post_file(server, "photo", name, bytes);
                            (index, status, card)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (index, status, card) in answers.into_iter().flatten() {
        assert_eq!(status, 200, "{card}");
        let expected = &alone[index];
        assert_eq!(card["file"], expected["file"]);
        assert_eq!(card["bucket"], expected["bucket"]);
        let (a, b) = (
            card["score"].as_f64().unwrap(),
            expected["score"].as_f64().unwrap(),
        );
        assert!((a - b).abs() <= 0.11, "{card} vs {expected}");
    }
    let (_, health) = answer(ureq::get(&server.url("/health")).call());
    let scored = health["photos_scored"].as_u64().unwrap();
    assert_eq!(scored, (photos.len() + clients * per_client) as u64);
    let batches = health["batches"].as_u64().unwrap();
    assert!(batches >= 1 && batches <= scored, "{health}");
}

#[test]
fn without_a_trained_model_scoring_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    drop(vistazo::db::open(&db).unwrap());
    let server = Server::start(&db, &[]);
    let (status, health) = answer(ureq::get(&server.url("/health")).call());
    assert_eq!(status, 200);
    assert_eq!(health["status"], "no_model");
    let picture = image::RgbImage::from_pixel(64, 48, image::Rgb([120, 110, 90]));
    let mut png = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let (status, body) = post_file(&server, "file", "room.png", png.get_ref());
    assert_eq!(status, 503);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no model has been trained yet"),
        "{body}"
    );
}

#[test]
fn idle_and_slow_clients_are_let_go_and_running_out_of_descriptors_stops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    drop(vistazo::db::open(&db).unwrap());
    let mut server = Server::start_with_descriptor_limit(&db, 256);

    // More connections than the server may hold open: half say nothing, half start a request
    // and never finish its headers.
    let clients: Vec<TcpStream> = (0..400)
        .map(|i| {
            let mut stream = TcpStream::connect(&server.addr).expect("connect");
            if i % 2 == 1 {
                write!(stream, "GET /health HTTP/1.1\r\nHost: {}\r\n", server.addr).unwrap();
            }
            stream
        })
        .collect();
    // Every one of them is closed by the server, however long it takes to get to it; the
    // read timeout only keeps a broken server from hanging the test.
    for mut stream in clients {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(120)))
            .unwrap();
        let mut rest = Vec::new();
        match stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(error) => panic!("the server kept an idle client: {error}"),
        }
        let rest = String::from_utf8_lossy(&rest);
        assert!(
            rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
            "an idle client got {rest:?}"
        );
    }

    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server stopped"
    );
    let (status, health) = answer(ureq::get(&server.url("/health")).call());
    assert_eq!(status, 200);
    assert_eq!(health["status"], "no_model");
}

#[test]
fn wrong_methods_and_absurd_file_names_get_short_json_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    drop(vistazo::db::open(&db).unwrap());
    let server = Server::start(&db, &[]);

    let (status, body) = answer(ureq::delete(&server.url("/score")).call());
    assert_eq!(status, 405);
    assert!(
        body["error"].as_str().unwrap().contains("POST /score"),
        "{body}"
    );

    // A file name of a million characters comes back cut to a readable length.
    let name = format!("{}.txt", "n".repeat(1_000_000));
    let (status, body) = post_file(&server, "file", &name, b"these are not pixels");
    assert_eq!(status, 400);
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("nnnn…"), "{message}");
    assert!(message.len() < 1_000, "{} bytes", message.len());
}

#[test]
fn the_readme_states_the_limits_the_server_keeps() {
    use vistazo::serve::*;
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for figure in [
        format!(
            "no complete request headers for {} seconds",
            IDLE_TIMEOUT.as_secs()
        ),
        format!(
            "at most {UPLOADS_AT_ONCE} uploads are held in memory at once, and at most {UPLOADS_PER_CLIENT} of them from one address"
        ),
        format!(
            "an upload that finds no place within {} seconds is answered 503, both with `Retry-After: {}`",
            QUEUE_WAIT.as_secs(),
            QUEUE_WAIT.as_secs()
        ),
        format!(
            "a piece at least every {} seconds, and be whole within {} seconds (else 408)",
            READ_TIMEOUT.as_secs(),
            UPLOAD_TIMEOUT.as_secs()
        ),
        format!(
            "its score comes within {} seconds (else 503)",
            ANSWER_TIMEOUT.as_secs()
        ),
    ] {
        assert!(readme.contains(&figure), "the README lacks: {figure}");
    }
    assert_eq!(UploadLimits::default().at_once, UPLOADS_AT_ONCE);
    assert_eq!(UploadLimits::default().per_client, UPLOADS_PER_CLIENT);
    assert_eq!(UploadLimits::default().queue_wait, QUEUE_WAIT);
}

#[test]
fn slow_uploads_from_one_address_leave_room_for_others_and_no_upload_waits_for_ever() {
    use std::net::IpAddr;
    use vistazo::serve::{Busy, UploadLimits, UploadSlots};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let slots = UploadSlots::new(UploadLimits {
            at_once: 4,
            per_client: 2,
            queue_wait: std::time::Duration::from_millis(200),
        });
        let address = |n: u8| IpAddr::from([192, 0, 2, n]);
        // A slow client takes its share, and no more: its next upload is turned away at once.
        let slow = [
            slots.admit(address(1)).await.unwrap(),
            slots.admit(address(1)).await.unwrap(),
        ];
        assert_eq!(slots.admit(address(1)).await.err(), Some(Busy::Client));
        // The others still find room.
        let second = slots.admit(address(2)).await.unwrap();
        let third = slots.admit(address(3)).await.unwrap();
        // Every place taken: an upload waits a bounded time, then is told to come back.
        assert_eq!(slots.admit(address(4)).await.err(), Some(Busy::Server));
        // A place given back is taken by the next upload, and the slow client's share grows
        // back as its uploads end.
        drop(second);
        let fourth = slots.admit(address(4)).await.unwrap();
        drop(slow);
        let again = slots.admit(address(1)).await.unwrap();
        drop((third, fourth, again));
    });
}

#[test]
fn slow_uploads_are_cut_off_and_one_address_cannot_take_every_place() {
    use vistazo::serve::{READ_TIMEOUT, UPLOADS_PER_CLIENT};
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = trained_database(dir.path());
    let server = Server::start(&db, &[]);

    // One more upload than an address may send at once, each stopping after its first bytes.
    let slow: Vec<TcpStream> = (0..=UPLOADS_PER_CLIENT)
        .map(|_| {
            let mut stream = TcpStream::connect(&server.addr).expect("connect");
            write!(
                stream,
                "POST /score HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.png\"\r\n\r\nPNG",
                server.addr
            )
            .unwrap();
            stream
        })
        .collect();
    let mut statuses = Vec::new();
    for mut stream in slow {
        // Only keeps a broken server from hanging the test.
        stream.set_read_timeout(Some(READ_TIMEOUT * 12)).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("an answer");
        let status = response.get(9..12).unwrap_or("").to_owned();
        if status == "429" {
            assert!(
                response.contains("Retry-After: 5") || response.contains("retry-after: 5"),
                "{response}"
            );
        }
        statuses.push(status);
    }
    statuses.sort();
    let mut expected = vec!["408".to_owned(); UPLOADS_PER_CLIENT];
    expected.push("429".to_owned());
    assert_eq!(statuses, expected);

    // The slow ones gone, a whole upload is scored.
    let (status, card) = post_file(
        &server,
        "file",
        "room_1.png",
        &std::fs::read(&files[1]).unwrap(),
    );
    assert_eq!(status, 200, "{card}");
}
