//! The ComicVine catalog, against a local stand-in for the API: search, importing a volume
//! exactly as Babelcomics4 stores it, retries, errors, and resuming an interrupted import.

#[path = "support/babelcomics.rs"]
mod babelcomics;
#[path = "support/comicvine.rs"]
mod comicvine;
#[path = "support/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use comicvine::*;
use diesel::prelude::*;
use vistazo::catalog::{self, ApiKey, CatalogError, CatalogEvent, ComicVine, ComicVineOptions};
use vistazo::db::layout::Generation;
use vistazo::db::schema::{comicbooks_info, comicbooks_info_covers, volumens, vz_embeddings};
use vistazo::jobs::{CancelToken, Outcome};
use vistazo::library::ThumbnailStore;
use vistazo::library::thumbnails::CoverName;

/// The pace the command line is given in these tests, in milliseconds.
const INTERVAL_MS: u64 = 3;

struct Place {
    _dir: tempfile::TempDir,
    db: PathBuf,
    thumbnails: PathBuf,
}

fn place() -> Place {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("data").join("babelcomics.db");
    std::fs::create_dir(dir.path().join("data")).expect("data folder");
    drop(vistazo::db::open(&db).expect("an empty collection"));
    let thumbnails = dir.path().join("thumbs");
    Place {
        db,
        thumbnails,
        _dir: dir,
    }
}

fn vistazo(place: &Place, server: &MockComicVine, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vistazo"));
    command
        .arg("--db")
        .arg(&place.db)
        .arg("--thumbnails")
        .arg(&place.thumbnails)
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("RUST_LOG")
        .env("VISTAZO_COMICVINE_URL", server.base_url())
        .env("VISTAZO_COMICVINE_KEY", KEY)
        .env("VISTAZO_COMICVINE_INTERVAL_MS", INTERVAL_MS.to_string());
    command
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("run vistazo");
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!all.contains(KEY), "the API key was printed: {all}");
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn client(server: &MockComicVine, options: ComicVineOptions) -> ComicVine {
    let key = ApiKey::new(KEY).expect("key");
    ComicVine::new(
        key,
        ComicVineOptions {
            base_url: server.base_url(),
            ..options
        },
    )
    .expect("client")
}

fn quick() -> ComicVineOptions {
    ComicVineOptions {
        min_interval: Duration::from_millis(INTERVAL_MS),
        first_backoff: Duration::from_millis(10),
        ..ComicVineOptions::default()
    }
}

/// Every request carried the User-Agent; API requests carried the key and JSON format, and
/// pictures did not get the key; requests were at least `interval` apart.
fn assert_well_behaved(server: &MockComicVine, interval: Duration) {
    let requests = server.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        let agent = request.user_agent.as_deref().unwrap_or("");
        assert!(
            agent.starts_with("Vistazo/") && agent.contains("(+https://"),
            "{agent}"
        );
        if request.path.starts_with("/api/") {
            assert_eq!(request.query.get("api_key").map(String::as_str), Some(KEY));
            assert_eq!(
                request.query.get("format").map(String::as_str),
                Some("json")
            );
        } else {
            assert!(!request.query.contains_key("api_key"), "{}", request.path);
        }
    }
    for pair in requests.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= interval,
            "{gap:?} between {} and {}",
            pair[0].path,
            pair[1].path
        );
    }
}

#[test]
fn search_prints_volumes_one_per_line_and_as_json() {
    let server = MockComicVine::start(3);
    let place = place();
    let output = run(vistazo(&place, &server, &["catalog", "search", "saga"]).env("LANG", "C"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "{VOLUME}\t{VOLUME_NAME} (2012), Image, 3 issues\n\
             4242\tSaga of the Swamp Thing (?), unknown publisher, 64 issues\n"
        )
    );
    let output = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "search", "--json", "Saga", "of"],
    ));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], VOLUME);
    assert_eq!(lines[0]["start_year"], 2012);
    assert_eq!(lines[0]["publisher"]["name"], "Image");
    assert_eq!(lines[1]["publisher"], serde_json::Value::Null);
    let searches: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/search/")
        .collect();
    assert_eq!(searches[1].query["query"], "Saga of");
    assert_eq!(searches[1].query["resources"], "volume");
    assert!(searches[1].query.contains_key("field_list"));
    assert_well_behaved(&server, Duration::ZERO);
}

#[test]
fn an_interrupted_import_resumes_and_stores_what_babelcomics_stores() {
    const ISSUES: u32 = 230;
    let server = MockComicVine::start(ISSUES);
    let port = server.port;
    let place = place();
    // 1 volume + 3 pages + 1 issue's details, then pictures: the server dies midway.
    server.stop_after(60);
    let first = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "add-volume", &VOLUME.to_string()],
    ));
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stdout));
    // Each cover left out on a line of its own, then the failure on one line.
    let error = text(&first.stderr);
    let lines: Vec<&str> = error.lines().collect();
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|line| line.starts_with("Skipped a cover of issue ")),
        "{error}"
    );
    assert!(
        lines[lines.len() - 1].starts_with("vistazo: cannot reach http://127.0.0.1:"),
        "{error}"
    );
    let pages: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/issues/")
        .map(|r| r.query["offset"].clone())
        .collect();
    assert_eq!(pages, ["0", "100", "200"]);
    let first_pictures = server.image_requests();
    assert_well_behaved(&server, Duration::from_millis(INTERVAL_MS));
    server.shut_down();

    let folder = place.thumbnails.join("comicbook_info").join(VOLUME_FOLDER);
    let saved_before: Vec<PathBuf> = files_in(&folder);
    assert!(saved_before.len() >= 50, "{}", saved_before.len());

    let server = MockComicVine::start_on(port, ISSUES);
    let second = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "add-volume", "4050-91273"],
    ));
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let out = text(&second.stdout);
    assert!(
        out.contains(&format!("Volume {VOLUME}: {VOLUME_NAME}")),
        "{out}"
    );
    assert!(out.contains("Added 0 issues."), "{out}");
    assert!(
        out.contains("230 issues were already in the catalog."),
        "{out}"
    );
    assert!(
        out.contains("Skipped 1 cover that could not be saved."),
        "{out}"
    );
    // Which cover was left out, and why, is told on stderr, apart from the results.
    let skipped = format!("Skipped a cover of issue {}:", FIRST_ISSUE + CORRUPT as i32);
    assert!(!out.contains(&skipped), "{out}");
    let err = text(&second.stderr);
    assert!(err.contains(&skipped), "{err}");
    let second_pictures = server.image_requests();
    for path in &second_pictures {
        let name = path.rsplit('/').next().unwrap_or_default();
        assert!(
            !saved_before.iter().any(|p| p.ends_with(name)) || name.contains("saga.jpg"),
            "{path} was downloaded again"
        );
    }
    // Everything not saved the first time, and nothing else, was asked for the second time.
    let covers = 230 + 2 * WITH_VARIANTS.len();
    assert_eq!(first_pictures.len() + second_pictures.len() - 1, covers);
    assert_well_behaved(&server, Duration::from_millis(INTERVAL_MS));

    let mut db = vistazo::db::open(&place.db).expect("open");
    check_rows(&mut db, port);
    check_files(&folder, port);

    // A third run finds everything; only the broken cover is tried again.
    let third = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "add-volume", &VOLUME.to_string()],
    ));
    assert_eq!(third.status.code(), Some(0), "{}", text(&third.stderr));
    assert!(text(&third.stdout).contains("Downloaded 0 covers."));
    let again: Vec<String> = server.image_requests()[second_pictures.len()..].to_vec();
    assert_eq!(
        again,
        [format!(
            "/a/uploads/scale_medium/{}-broken.jpg",
            FIRST_ISSUE + 7
        )]
    );
    let mut db = vistazo::db::open(&place.db).expect("open");
    let cover_rows: i64 = comicbooks_info_covers::table
        .count()
        .get_result(db.conn())
        .expect("count");
    assert_eq!(cover_rows as usize, covers);
}

fn files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn check_rows(db: &mut vistazo::db::Database, port: u16) {
    let volume: (String, String, String, i32, i32, i32, Option<i32>) = volumens::table
        .find(VOLUME)
        .select((
            volumens::nombre,
            volumens::deck,
            volumens::url,
            volumens::id_publisher,
            volumens::anio_inicio,
            volumens::cantidad_numeros,
            volumens::id_comicvine,
        ))
        .first(db.conn())
        .expect("volume row");
    assert_eq!(
        volume,
        (
            VOLUME_NAME.to_owned(),
            "A space opera.".to_owned(),
            format!("https://comics.example/saga/4050-{VOLUME}/"),
            PUBLISHER,
            2012,
            230,
            Some(VOLUME)
        )
    );
    #[derive(QueryableByName, Debug, PartialEq)]
    struct Publisher {
        #[diesel(sql_type = diesel::sql_types::Text)]
        nombre: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
        id_comicvine: Option<i32>,
    }
    let publisher: Publisher =
        diesel::sql_query("SELECT nombre, id_comicvine FROM publishers WHERE id_publisher = ?")
            .bind::<diesel::sql_types::Integer, _>(PUBLISHER)
            .get_result(db.conn())
            .expect("publisher row");
    assert_eq!(
        publisher,
        Publisher {
            nombre: "Image".into(),
            id_comicvine: Some(PUBLISHER)
        }
    );
    type Row = (
        String,
        i32,
        String,
        i32,
        Option<String>,
        Option<String>,
        f64,
        Option<i32>,
    );
    let mut row = |id: i32| -> Row {
        comicbooks_info::table
            .find(id)
            .select((
                comicbooks_info::titulo,
                comicbooks_info::id_volume,
                comicbooks_info::numero,
                comicbooks_info::fecha_tapa,
                comicbooks_info::url_api_detalle,
                comicbooks_info::url_sitio_web,
                comicbooks_info::orden_clasificacion,
            ))
            .first::<(
                String,
                i32,
                String,
                i32,
                Option<String>,
                Option<String>,
                f64,
            )>(db.conn())
            .map(|r| (r.0, r.1, r.2, r.3, r.4, r.5, r.6, comicvine_of(db, id)))
            .expect("issue row")
    };
    let id = FIRST_ISSUE + 13;
    assert_eq!(
        row(id),
        (
            "Chapter 13".to_owned(),
            VOLUME,
            "13".to_owned(),
            2013,
            Some(format!("https://comics.example/api/issue/4000-{id}/")),
            Some(format!("https://comics.example/saga-13/4000-{id}/")),
            13.0,
            Some(id)
        )
    );
    let annual = row(FIRST_ISSUE + 3);
    assert_eq!(
        (annual.0.as_str(), annual.2.as_str(), annual.6),
        ("Chapter 3", "Annual 1", 0.0)
    );
    let untitled = row(FIRST_ISSUE + 14);
    assert_eq!((untitled.0.as_str(), untitled.3), ("", 2013));
    let issues: i64 = comicbooks_info::table
        .filter(comicbooks_info::id_volume.eq(VOLUME))
        .count()
        .get_result(db.conn())
        .expect("count");
    assert_eq!(issues, 230);
    for n in WITH_VARIANTS {
        let urls: Vec<String> = comicbooks_info_covers::table
            .filter(comicbooks_info_covers::id_comicbook_info.eq(FIRST_ISSUE + n as i32))
            .order(comicbooks_info_covers::id_cover)
            .select(comicbooks_info_covers::url_imagen)
            .load(db.conn())
            .expect("covers");
        let mut expected = vec![main_cover(n, port)];
        expected.extend(variant_covers(n, port));
        assert_eq!(urls, expected, "issue {n}");
    }
}

/// `comicbooks_info.id_comicvine` of issue `id`, the keyed layout's copy of its key.
fn comicvine_of(db: &mut vistazo::db::Database, id: i32) -> Option<i32> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
        id_comicvine: Option<i32>,
    }
    diesel::sql_query("SELECT id_comicvine FROM comicbooks_info WHERE id_comicbook_info = ?")
        .bind::<diesel::sql_types::Integer, _>(id)
        .get_result::<Row>(db.conn())
        .expect("issue row")
        .id_comicvine
}

fn check_files(folder: &Path, port: u16) {
    let store = ThumbnailStore::new(folder.parent().and_then(Path::parent).expect("base"));
    for n in 1..=230u32 {
        let url = main_cover(n, port);
        let name = CoverName {
            url: &url,
            numero: "",
            variant: 0,
        };
        let main = store.find_catalog_cover(VOLUME_NAME, VOLUME, &name);
        if n == CORRUPT {
            assert_eq!(main, None);
            continue;
        }
        let id = FIRST_ISSUE + n as i32;
        assert_eq!(main, Some(folder.join(format!("{id}-saga.jpg"))));
    }
    let n = WITH_VARIANTS[0];
    let id = FIRST_ISSUE + n as i32;
    // Variants are named as Babelcomics4 names them: `{stem}_variant_{k}`, k its place.
    let variant = folder.join(format!("{id}-saga_variant_1.jpg"));
    let wide = folder.join(format!("{id}-wide_variant_2.jpg"));
    assert_eq!(size(&folder.join(format!("{id}-saga.jpg"))), (267, 400));
    assert_eq!(size(&variant), (267, 400));
    assert_eq!(size(&wide), (600, 400));
    let names: Vec<String> = files_in(folder)
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names.len(), 230 - 1 + 2 * WITH_VARIANTS.len());
    assert!(names.iter().all(|n| !n.ends_with(".part")), "{names:?}");
}

fn size(path: &Path) -> (u32, u32) {
    let image = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (image.width(), image.height())
}

#[test]
fn rate_limits_and_server_errors_are_retried_after_waiting() {
    let server = MockComicVine::start(2);
    let client = client(
        &server,
        ComicVineOptions {
            min_interval: Duration::from_millis(20),
            first_backoff: Duration::from_millis(50),
            ..ComicVineOptions::default()
        },
    );
    server.fail_next(&[
        Fault {
            http: 429,
            status_code: 107,
        },
        Fault {
            http: 420,
            status_code: 107,
        },
        Fault {
            http: 500,
            status_code: 1,
        },
        Fault {
            http: 500,
            status_code: 1,
        },
    ]);
    let volume = client.volume(VOLUME).expect("the fifth try succeeds");
    assert_eq!(volume.name, VOLUME_NAME);
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    for (i, pair) in requests.windows(2).enumerate() {
        let gap = pair[1].at.duration_since(pair[0].at);
        let backoff = Duration::from_millis(50 << i);
        assert!(
            gap >= backoff,
            "retry {i} came after {gap:?}, not {backoff:?}"
        );
    }
    // Status 107 inside an ordinary answer is a rate limit too.
    server.fail_next(&[Fault {
        http: 200,
        status_code: 107,
    }]);
    assert_eq!(client.volume_issues(VOLUME, 0).expect("retried").total, 2);
    assert_well_behaved(&server, Duration::from_millis(20));
}

#[test]
fn a_limit_that_lasts_ends_with_a_clear_error() {
    let server = MockComicVine::start(2);
    let client = client(
        &server,
        ComicVineOptions {
            attempts: 3,
            ..quick()
        },
    );
    let limited = Fault {
        http: 420,
        status_code: 107,
    };
    server.fail_next(&[limited; 3]);
    let error = client.volume(VOLUME).expect_err("still limited");
    assert!(
        matches!(error, CatalogError::RateLimited { attempts: 3, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("run the command again"), "{message}");
    assert!(!message.contains(KEY), "{message}");
}

#[test]
fn a_wrong_key_and_an_unknown_volume_say_what_to_do() {
    let server = MockComicVine::start(2);
    let place = place();
    let output = run(vistazo(&place, &server, &["catalog", "add-volume", "12"])
        .env("VISTAZO_COMICVINE_KEY", "wrong"));
    assert_eq!(output.status.code(), Some(1));
    let error = text(&output.stderr);
    assert!(error.contains("refused the API key"), "{error}");
    assert!(error.contains("export VISTAZO_COMICVINE_KEY="), "{error}");
    assert!(!error.contains("wrong"), "{error}");

    let output = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "add-volume", "999"],
    ));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "vistazo: ComicVine has no volume with id 999\n"
    );
    let output = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "add-volume", "x"],
    ));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn without_a_key_the_error_says_how_to_set_one_and_set_key_keeps_it_only_in_the_keyring() {
    let server = MockComicVine::start(2);
    let place = place();
    let output = run(vistazo(&place, &server, &["catalog", "search", "saga"])
        .env_remove("VISTAZO_COMICVINE_KEY"));
    assert_eq!(output.status.code(), Some(1));
    let error = text(&output.stderr);
    assert!(error.contains("export VISTAZO_COMICVINE_KEY="), "{error}");
    assert_eq!(error.lines().count(), 1);
    assert!(server.requests().is_empty());

    // Nothing on standard input is bad usage.
    let output = run(vistazo(&place, &server, &["catalog", "set-key"])
        .env_remove("VISTAZO_COMICVINE_KEY")
        .stdin(std::process::Stdio::null()));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("no key on standard input"));

    // No keyring: nothing is stored, and the error says what to do instead.
    let mut command = vistazo(&place, &server, &["catalog", "set-key"]);
    command
        .env_remove("VISTAZO_COMICVINE_KEY")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{KEY}").expect("write key");
    }
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let error = text(&output.stderr);
    assert!(error.contains("the key was not stored"), "{error}");
    assert!(error.contains("export VISTAZO_COMICVINE_KEY="), "{error}");
    assert!(!text(&output.stdout).contains(KEY) && !error.contains(KEY));
    let output = run(vistazo(&place, &server, &["catalog", "search", "saga"])
        .env_remove("VISTAZO_COMICVINE_KEY")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));

    // With a keyring (a private GNOME Keyring on a private session bus), set-key stores the
    // key there and the next command finds it; the database holds no key.
    let home = tempfile::tempdir().expect("home");
    let runtime = home.path().join("run");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("private");
    let script = "printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
         echo \"$KEY\" | \"$VISTAZO\" --db \"$DB\" catalog set-key && \
         \"$VISTAZO\" --db \"$DB\" catalog search saga";
    let output = run(Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .env("KEY", KEY)
        .env("VISTAZO", env!("CARGO_BIN_EXE_vistazo"))
        .env("DB", &place.db)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .env_remove("VISTAZO_COMICVINE_KEY")
        .env("VISTAZO_COMICVINE_URL", server.base_url())
        .env("VISTAZO_COMICVINE_INTERVAL_MS", INTERVAL_MS.to_string()));
    let said = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{said}{}",
        text(&output.stderr)
    );
    assert!(said.contains("stored in the system keyring"), "{said}");
    assert_eq!(said.lines().count(), 3, "{said}");
    let database = std::fs::read(&place.db).expect("the database");
    assert!(
        !database.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
        "the key is not in the database"
    );
}

#[test]
fn a_cancelled_import_keeps_its_work_and_the_next_one_finishes_it() {
    let server = MockComicVine::start(12);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = ThumbnailStore::new(dir.path());
    let mut db = vistazo::db::open_in_memory().expect("db");
    let cancel = CancelToken::new();
    let client = client(&server, quick()).with_cancel(cancel.clone());
    let mut saved = 0;
    let summary = catalog::add_volume(&mut db, &client, &store, VOLUME, &cancel, &mut |event| {
        if let CatalogEvent::Progress(progress) = event {
            saved = progress.done;
            if progress.done == 5 {
                cancel.cancel();
            }
        }
    })
    .expect("runs");
    assert_eq!(summary.outcome, Outcome::Cancelled);
    assert_eq!(saved, 5);
    assert_eq!(summary.issues_added, 12);
    assert_eq!(summary.covers_downloaded, 5);
    let asked = server.image_requests().len();
    assert_eq!(asked, 5);

    let cancel = CancelToken::new();
    let client = client.with_cancel(cancel.clone());
    let summary =
        catalog::add_volume(&mut db, &client, &store, VOLUME, &cancel, &mut |_| {}).expect("runs");
    assert_eq!(summary.outcome, Outcome::Finished);
    assert_eq!(summary.issues_known, 12);
    assert_eq!(summary.covers_present, 5);
    assert_eq!(summary.covers_downloaded, 12 - 5 - 1);
    assert_eq!(summary.covers_failed, 1);
    assert_eq!(server.image_requests().len() - asked, 12 - 5);
}

#[test]
fn added_covers_are_read_for_matching_at_once_when_the_model_is_at_hand() {
    let server = MockComicVine::start(12);
    let place = place();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny");
    let model = model.to_str().expect("a UTF-8 path");
    let added = run(vistazo(
        &place,
        &server,
        &[
            "--model",
            model,
            "--device",
            "cpu",
            "catalog",
            "add-volume",
            &VOLUME.to_string(),
        ],
    )
    .env("HF_HOME", place.thumbnails.join("no-cache")));
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let mut db = vistazo::db::open(&place.db).expect("open");
    let saved: i64 = comicbooks_info_covers::table
        .count()
        .get_result(db.conn())
        .expect("count");
    let embedded: i64 = vz_embeddings::table
        .filter(vz_embeddings::subject.eq("cover"))
        .count()
        .get_result(db.conn())
        .expect("count");
    // Every cover saved is read, but the one whose picture could not be saved.
    assert!(saved > 0);
    assert_eq!(embedded, saved - 1);
    let out = text(&added.stdout);
    assert!(
        out.contains(&format!("Read {embedded} new covers for matching.")),
        "{out}"
    );

    // Without a model at hand nothing is downloaded: the covers wait for the next embed.
    let elsewhere = self::place();
    let later = run(vistazo(
        &elsewhere,
        &server,
        &["catalog", "add-volume", &VOLUME.to_string()],
    )
    .env("HF_HOME", elsewhere.thumbnails.join("no-cache"))
    .env("HF_HUB_CACHE", elsewhere.thumbnails.join("no-cache")));
    assert_eq!(later.status.code(), Some(0), "{}", text(&later.stderr));
    assert!(
        text(&later.stdout).contains("will be read for matching by the next vistazo embed"),
        "{}",
        text(&later.stdout)
    );
    let mut db = vistazo::db::open(&elsewhere.db).expect("open");
    let embedded: i64 = vz_embeddings::table
        .count()
        .get_result(db.conn())
        .expect("count");
    assert_eq!(embedded, 0);
}

/// A proxy that turns every request away, remembering the first line of each.
fn refusing_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut line).is_ok() {
                log.lock().expect("log").push(line.trim().to_owned());
            }
            let _ = (&stream).write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (address, seen)
}

#[test]
fn comicvine_requests_go_through_the_proxy_the_environment_names_unless_no_proxy_says_not() {
    let server = MockComicVine::start(2);
    let place = place();
    let (proxy, seen) = refusing_proxy();
    let host = server
        .base_url()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host")
        .to_owned();

    let output = run(vistazo(&place, &server, &["catalog", "search", "saga"])
        .env("HTTP_PROXY", &proxy)
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy"));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines = seen.lock().expect("log").clone();
    assert!(
        lines.iter().any(|line| line.contains(&host)),
        "the proxy was asked for {host}: {lines:?}"
    );
    assert!(server.requests().is_empty(), "nothing reached ComicVine");

    let output = run(vistazo(&place, &server, &["catalog", "search", "saga"])
        .env("HTTP_PROXY", &proxy)
        .env("NO_PROXY", "localhost,127.0.0.1")
        .env_remove("no_proxy"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        seen.lock().expect("log").len(),
        lines.len(),
        "no proxy this time"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn add_volume_json_gives_the_counts_and_the_covers_left_out() {
    let server = MockComicVine::start(12);
    let place = place();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny");
    let model = model.to_str().expect("a UTF-8 path");
    let added = run(vistazo(
        &place,
        &server,
        &[
            "--model",
            model,
            "--device",
            "cpu",
            "catalog",
            "add-volume",
            &VOLUME.to_string(),
            "--json",
        ],
    )
    .env("HF_HOME", place.thumbnails.join("no-cache")));
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let report: serde_json::Value = serde_json::from_slice(&added.stdout).expect("one object");
    assert_eq!(report["volume"]["id"], VOLUME, "{report}");
    assert_eq!(report["volume"]["name"], VOLUME_NAME, "{report}");
    assert_eq!(report["issues_added"], 12, "{report}");
    assert_eq!(report["issues_known"], 0, "{report}");
    assert_eq!(report["cancelled"], false, "{report}");
    let downloaded = report["covers_downloaded"].as_u64().expect("a count");
    assert!(report["covers_present"].is_u64(), "{report}");
    let skipped = report["covers_skipped"].as_array().expect("a list");
    assert_eq!(skipped.len(), 1, "{report}");
    assert!(skipped[0]["id_comicbook_info"].is_i64(), "{report}");
    assert!(skipped[0]["reason"].is_string(), "{report}");
    assert_eq!(report["covers_read"], downloaded, "{report}");
    assert!(
        text(&added.stderr).contains("Skipped a cover of issue"),
        "{}",
        text(&added.stderr)
    );

    // Without a model at hand the covers wait: nothing read now.
    let elsewhere = self::place();
    let later = run(vistazo(
        &elsewhere,
        &server,
        &["catalog", "add-volume", &VOLUME.to_string(), "--json"],
    )
    .env("HF_HOME", elsewhere.thumbnails.join("no-cache"))
    .env("HF_HUB_CACHE", elsewhere.thumbnails.join("no-cache")));
    assert_eq!(later.status.code(), Some(0), "{}", text(&later.stderr));
    let report: serde_json::Value = serde_json::from_slice(&later.stdout).expect("one object");
    assert_eq!(report["covers_read"], serde_json::Value::Null, "{report}");
}

#[test]
fn a_current_babelcomics4_database_gets_the_volume_as_babelcomics4_adds_it() {
    let server = MockComicVine::start(12);
    let place = place_with(&format!(
        "{}
         INSERT INTO volumens (id_volume, nombre, id_comicvine) VALUES (1, 'Other', 18);
         INSERT INTO comicbooks_info (id_comicbook_info, id_volume, numero, comicvine_id) \
             VALUES (1, 1, '1', 77);",
        babelcomics::schema(Generation::Current)
    ));
    let added = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "add-volume", &VOLUME.to_string(), "--json"],
    ));
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let report: serde_json::Value = serde_json::from_slice(&added.stdout).expect("one object");
    assert_eq!(report["issues_added"], 12, "{report}");

    #[derive(QueryableByName, Debug)]
    struct Issue {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id_comicbook_info: i32,
        #[diesel(sql_type = diesel::sql_types::Text)]
        numero: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        comicvine_id: i32,
        #[diesel(sql_type = diesel::sql_types::Text)]
        url_imagen: String,
    }
    let mut db = vistazo::db::open(&place.db).expect("open");
    // The volume gets Babelcomics4's next id, found again by its ComicVine id.
    let volume: (i32, String, Option<i32>) = volumens::table
        .filter(volumens::id_comicvine.eq(VOLUME))
        .select((
            volumens::id_volume,
            volumens::nombre,
            volumens::id_comicvine,
        ))
        .first(db.conn())
        .expect("volume row");
    assert_eq!(volume, (2, VOLUME_NAME.to_owned(), Some(VOLUME)));
    let issues: Vec<Issue> = diesel::sql_query(
        "SELECT i.id_comicbook_info, i.numero, i.comicvine_id, c.url_imagen \
         FROM comicbooks_info i JOIN comicbooks_info_covers c \
             ON c.id_comicbook_info = i.id_comicbook_info \
         WHERE i.id_volume = 2 ORDER BY i.id_comicbook_info, c.id_cover",
    )
    .load(db.conn())
    .expect("issues");
    assert_eq!(issues.len(), 12, "{issues:?}");
    let port = server.port;
    let store = ThumbnailStore::new(&place.thumbnails);
    for issue in &issues {
        // SQLite numbers the issues after the one already there; ComicVine's id goes beside.
        assert!(issue.id_comicbook_info >= 2, "{issue:?}");
        assert!(issue.id_comicbook_info < 14, "{issue:?}");
        let n = u32::try_from(issue.comicvine_id - FIRST_ISSUE).expect("a ComicVine id");
        assert_eq!(issue.url_imagen, main_cover(n, port), "{issue:?}");
        let cover = CoverName {
            url: &issue.url_imagen,
            numero: &issue.numero,
            variant: 0,
        };
        let found = store.find_catalog_cover(VOLUME_NAME, 2, &cover);
        if n == CORRUPT {
            assert_eq!(found, None);
            continue;
        }
        // In the folder named after Babelcomics4's own volume id, as it names it.
        let folder = place
            .thumbnails
            .join("comicbook_info")
            .join("Saga Año Uno_2");
        assert_eq!(
            found,
            Some(folder.join(format!("{}-saga.jpg", issue.comicvine_id)))
        );
    }
    let by_comicvine = db.catalog_issues_by_comicvine().expect("lookup");
    assert_eq!(by_comicvine.get(&77), Some(&1));
    assert_eq!(by_comicvine.get(&1), None, "own ids are not ComicVine's");
    let first = issues.first().expect("an issue");
    assert_eq!(
        by_comicvine.get(&i64::from(first.comicvine_id)),
        Some(&first.id_comicbook_info)
    );
    drop(db);

    // Again: nothing is added twice.
    let again = run(&mut vistazo(
        &place,
        &server,
        &["catalog", "add-volume", &VOLUME.to_string(), "--json"],
    ));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).expect("one object");
    assert_eq!(report["issues_added"], 0, "{report}");
    assert_eq!(report["issues_known"], 12, "{report}");
}

/// A place whose database is a Babelcomics4 one made by `schema` before Vistazo opens it.
fn place_with(schema: &str) -> Place {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("data")).expect("data folder");
    let db = dir.path().join("data").join("babelcomics.db");
    let mut conn = SqliteConnection::establish(&db.to_string_lossy()).expect("create");
    conn.batch_execute(schema).expect("Babelcomics4's tables");
    drop(conn);
    Place {
        db,
        thumbnails: dir.path().join("thumbs"),
        _dir: dir,
    }
}

#[test]
fn the_volumes_the_comics_need_are_found_added_and_the_comics_classified_again() {
    let server = MockComicVine::start(12);
    let place = place();
    let comics = place.thumbnails.with_file_name("comics");
    std::fs::create_dir_all(&comics).expect("comics folder");
    for n in [4, 5, 9] {
        // Re-scans of the volume's covers, under names that say the series.
        let picture = cover_picture(&format!("scale_medium/{}-saga.jpg", FIRST_ISSUE + n));
        let picture =
            image::imageops::resize(&picture, 300, 450, image::imageops::FilterType::Triangle);
        let mut jpeg = Vec::new();
        picture
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .expect("encode");
        let path = comics.join(format!("Saga Año Uno {n:03} (2012).cbz"));
        fixtures::write_zip(&path, &fixtures::entries(&[("001.jpg", jpeg)]));
    }
    let unknown = cover_picture("nowhere.jpg");
    let mut jpeg = Vec::new();
    unknown
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("encode");
    let path = comics.join("Iron Unknown 017 (1999).cbz");
    fixtures::write_zip(&path, &fixtures::entries(&[("001.jpg", jpeg)]));
    let scanned = run(&mut vistazo(
        &place,
        &server,
        &["scan", &comics.to_string_lossy()],
    ));
    assert_eq!(scanned.status.code(), Some(0), "{}", text(&scanned.stderr));

    let missing = |place: &Place| {
        let listed = run(&mut vistazo(
            place,
            &server,
            &["catalog", "missing", "--json"],
        ));
        assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
        let groups: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
        groups
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| {
                (
                    g["series"].as_str().unwrap_or_default().to_owned(),
                    g["comics"].as_array().map_or(0, Vec::len),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        missing(&place),
        [
            ("Saga Año Uno".to_owned(), 3),
            ("Iron Unknown".to_owned(), 1)
        ]
    );

    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny");
    let added = run(&mut vistazo(
        &place,
        &server,
        &[
            "--model",
            model.to_str().expect("UTF-8"),
            "--device",
            "cpu",
            "catalog",
            "add-missing",
        ],
    ));
    let out = text(&added.stdout);
    let err = text(&added.stderr);
    assert_eq!(added.status.code(), Some(0), "{out}{err}");
    assert!(
        out.contains(&format!("Saga Año Uno: adding {VOLUME_NAME} ({VOLUME})")),
        "{out}"
    );
    assert!(
        out.contains("No ComicVine volume fits Iron Unknown"),
        "{out}"
    );
    assert!(err.contains("Classified 3 comics."), "{out}{err}");
    assert_well_behaved(&server, Duration::from_millis(INTERVAL_MS));

    // Each re-scan is now its issue; only the volume ComicVine lacks is still missing.
    let mut db = vistazo::db::open(&place.db).expect("open");
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        path: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        info: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT path, coalesce(id_comicbook_info, '') AS info FROM comicbooks ORDER BY path",
    )
    .load(db.conn())
    .expect("comics");
    for n in [4, 5, 9] {
        let name = format!("Saga Año Uno {n:03} (2012).cbz");
        let row = rows
            .iter()
            .find(|r| r.path.ends_with(&name))
            .expect("scanned");
        assert_eq!(row.info, (FIRST_ISSUE + n).to_string(), "{name}\n{out}");
    }
    drop(db);
    assert_eq!(missing(&place), [("Iron Unknown".to_owned(), 1)]);
    let undone = run(&mut vistazo(&place, &server, &["undo", "--last"]));
    assert_eq!(undone.status.code(), Some(0), "{}", text(&undone.stderr));
    assert_eq!(
        missing(&place).len(),
        1,
        "the catalog keeps the volume; the comics are unclassified again"
    );
}
