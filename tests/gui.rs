//! The app's window, driven for real: it opens on the page asked for, creates its database in
//! the background, remembers its size and page, and quits on Ctrl+Q; comics are added from a
//! folder and classified automatically from the keyboard, with a cancel and a resume.
//!
//! Runs on the X display in `DISPLAY` (make test provides Xvfb), or starts its own Xvfb.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Keys go to the focused window, so two tests driving windows on one display at the same time
/// would steal each other's key presses: they take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Display {
    name: String,
    _server: Option<Child>,
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(server) = self._server.as_mut() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

fn display() -> Display {
    if let Ok(name) = std::env::var("DISPLAY")
        && !name.is_empty()
    {
        return Display {
            name,
            _server: None,
        };
    }
    // -displayfd writes the display number it picked once the server is ready.
    let mut server = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb (make test installs it)");
    let mut number = String::new();
    let mut stdout = server.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        number.push(byte[0] as char);
    }
    Display {
        name: format!(":{}", number.trim()),
        _server: Some(server),
    }
}

/// A temporary home for the app, with a session bus of its own: the app is one instance per
/// session, and apps of other tests (or the user's own Vistazo) must not take its place.
struct Sandbox {
    dir: tempfile::TempDir,
    bus: Child,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        // A session bus of the test's own that starts no service on demand: the app meets no
        // keyring (whose first use would put a password prompt over the window), no portal.
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>session</type><listen>unix:path={}</listen>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
                socket.display()
            ),
        )
        .unwrap();
        let bus = Command::new("dbus-daemon")
            .args(["--nofork", "--nopidfile"])
            .arg(format!("--config-file={}", config.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (make test installs it)");
        wait_for("the session bus", Duration::from_secs(10), || {
            socket.exists().then_some(())
        });
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Self { dir, bus }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn app(&self, display: &Display, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vistazo"));
        command
            .args(args)
            .env("DISPLAY", &display.name)
            .env("GDK_BACKEND", "x11")
            .env("GSK_RENDERER", "cairo")
            .env("GSETTINGS_BACKEND", "keyfile")
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", self.path("bus").display()),
            )
            .env_remove("BABELCOMICS4_DB")
            .env("NO_AT_BRIDGE", "1")
            .env("LANG", "C.UTF-8")
            .env_remove("LANGUAGE")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn settings(&self) -> String {
        std::fs::read_to_string(self.path("config/glib-2.0/settings/keyfile")).unwrap_or_default()
    }
}

fn xdotool(display: &Display, args: &[&str]) -> Option<String> {
    let output = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", &display.name)
        .output()
        .expect("run xdotool (make test installs it)");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The app's main window, once it is shown; fails at once, with what the app said, if the
/// app exits instead. The limit is generous: a loaded machine can take long to map libtorch.
fn window_of(display: &Display, app: &mut Child) -> String {
    let pid = app.id().to_string();
    wait_for("the main window", Duration::from_secs(180), || {
        if let Ok(Some(status)) = app.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = app.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!("the app exited with {status} before showing its window: {stderr}");
        }
        xdotool(
            display,
            &[
                "search",
                "--all",
                "--onlyvisible",
                "--pid",
                &pid,
                "--name",
                // The title names the open collection: "FILE — Vistazo".
                "Vistazo$",
            ],
        )
        .and_then(|ids| ids.lines().next().map(str::to_owned))
    })
}

fn quit(display: &Display, window: &str, mut app: Child) -> String {
    xdotool(display, &["windowfocus", "--sync", window]);
    xdotool(display, &["key", "--clearmodifiers", "ctrl+q"]);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = app.try_wait().ok().flatten() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = app.kill();
            let _ = app.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = app.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let Some(status) = status else {
        panic!("timed out waiting for the app to quit; it said: {stderr}");
    };
    assert!(status.success(), "the app exited with {status}: {stderr}");
    stderr
}

fn tables(db: &Path) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let Ok(mut conn) = SqliteConnection::establish(&db.to_string_lossy()) else {
        return Vec::new();
    };
    diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'")
        .load::<Row>(&mut conn)
        .map(|rows| rows.into_iter().map(|r| r.name).collect())
        .unwrap_or_default()
}

fn wait_for_window(display: &Display, pid: u32, title: &str) -> String {
    wait_for(title, Duration::from_secs(20), || {
        xdotool(
            display,
            &[
                "search",
                // Without --all, xdotool lists the windows that match any of the conditions.
                "--all",
                "--onlyvisible",
                "--pid",
                &pid.to_string(),
                "--name",
                &format!("^{title}$"),
            ],
        )
        .and_then(|ids| ids.lines().next().map(str::to_owned))
    })
}

fn press(display: &Display, window: &str, keys: &str) {
    xdotool(display, &["windowfocus", "--sync", window]);
    xdotool(display, &["key", "--clearmodifiers", keys]);
}

/// A Babelcomics4 database with `comics` comics, as Babelcomics4 creates it.
fn babelcomics_database(path: &Path, comics: usize) {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    conn.batch_execute(
        "CREATE TABLE comicbooks (
            id_comicbook INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, path VARCHAR NOT NULL,
            id_comicbook_info VARCHAR NOT NULL, calidad INTEGER NOT NULL,
            en_papelera BOOLEAN NOT NULL, UNIQUE (path));",
    )
    .unwrap();
    for n in 1..=comics {
        conn.batch_execute(&format!(
            "INSERT INTO comicbooks (path, id_comicbook_info, calidad, en_papelera)
             VALUES ('/comics/Series {n:02}.cbz', '', 0, 0);"
        ))
        .unwrap();
    }
}

/// The title of the app's main window, which names the open collection.
fn main_title(display: &Display, window: &str) -> String {
    xdotool(display, &["getwindowname", window]).unwrap_or_default()
}

fn wait_for_title(display: &Display, window: &str, title: &str) {
    wait_for(title, Duration::from_secs(30), || {
        (main_title(display, window) == title).then_some(())
    });
}

/// Runs `vistazo ARGS` while the app runs: it must hand over to the running app and end with
/// success at once.
fn hand_over(sandbox: &Sandbox, display: &Display, args: &[&str]) {
    let mut second = sandbox.app(display, args).spawn().expect("start vistazo");
    let status = wait_for("the second vistazo to end", Duration::from_secs(10), || {
        second.try_wait().ok().flatten()
    });
    let mut stderr = String::new();
    if let Some(mut pipe) = second.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert!(
        status.success(),
        "vistazo {args:?} exited with {status}: {stderr}"
    );
}

#[test]
fn collections_are_found_opened_from_another_process_and_remembered() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let babelcomics = sandbox.path("home/PycharmProjects/Babelcomics4/data/babelcomics.db");
    babelcomics_database(&babelcomics, 3);
    let other = sandbox.path("elsewhere/Other.db");
    babelcomics_database(&other, 2);
    let notes = sandbox.path("notes.db");
    std::fs::write(&notes, b"a shopping list, not a collection").unwrap();

    // A first start: the app's own empty collection, which offers the Babelcomics4 database
    // found in the home folder; Enter opens it.
    let mut app = sandbox.app(&display, &[]).spawn().expect("start the app");
    let pid = app.id();
    let window = window_of(&display, &mut app);
    wait_for_title(&display, &window, "vistazo.db — Vistazo");
    // The found collection is offered once the empty collection has been read.
    std::thread::sleep(Duration::from_secs(2));
    press(&display, &window, "Return");
    wait_for_title(&display, &window, "babelcomics.db — Vistazo");

    // `vistazo OTHER.db` while the app runs switches its window and ends.
    hand_over(&sandbox, &display, &[other.to_str().unwrap()]);
    wait_for_title(&display, &window, "Other.db — Vistazo");
    assert!(app.try_wait().unwrap().is_none(), "the app still runs");
    assert!(
        tables(&other).iter().any(|t| t == "vz_embeddings"),
        "the switched-to collection is opened by the app"
    );

    // A file that is not a database: a message, and the collection open stays open.
    hand_over(&sandbox, &display, &[notes.to_str().unwrap()]);
    let message = wait_for_window(&display, pid, "Cannot Open the Collection");
    assert_eq!(main_title(&display, &window), "Other.db — Vistazo");
    assert_eq!(
        std::fs::read(&notes).unwrap(),
        b"a shopping list, not a collection"
    );
    press(&display, &message, "Escape");

    // Plain `vistazo` while it runs only raises the window.
    hand_over(&sandbox, &display, &[]);
    assert_eq!(main_title(&display, &window), "Other.db — Vistazo");
    quit(&display, &window, app);

    // Started again without a file, it reopens the collection open last.
    let mut app = sandbox
        .app(&display, &[])
        .spawn()
        .expect("start the app again");
    let window = window_of(&display, &mut app);
    wait_for_title(&display, &window, "Other.db — Vistazo");
    let settings = sandbox.settings();
    let recent = settings
        .lines()
        .find_map(|line| line.strip_prefix("recent-collections="))
        .unwrap_or_else(|| panic!("no recent collections in:\n{settings}"));
    let other = other.canonicalize().unwrap();
    let babelcomics = babelcomics.canonicalize().unwrap();
    assert!(
        recent.starts_with(&format!(
            "['{}', '{}'",
            other.display(),
            babelcomics.display()
        )),
        "{recent}"
    );
    quit(&display, &window, app);
}

#[test]
fn the_menu_dialogs_open_from_their_shortcuts() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let db = sandbox.path("vistazo.db");
    let mut app = sandbox
        .app(&display, &["--db", db.to_str().unwrap()])
        .spawn()
        .expect("start the app");
    let pid = app.id();
    let window = window_of(&display, &mut app);

    press(&display, &window, "ctrl+comma");
    let preferences = wait_for_window(&display, pid, "Preferences");
    press(&display, &preferences, "Escape");

    press(&display, &window, "ctrl+question");
    let shortcuts = wait_for_window(&display, pid, "Keyboard Shortcuts");
    press(&display, &shortcuts, "Escape");

    quit(&display, &window, app);
}

#[test]
fn the_window_opens_creates_the_database_and_remembers_its_size_and_page() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let db = sandbox.path("library/vistazo.db");
    let db_arg = db.to_str().unwrap();

    let mut app = sandbox
        .app(&display, &["--db", db_arg, "gui", "--page", "interiors"])
        .spawn()
        .expect("start the app");
    let window = window_of(&display, &mut app);
    wait_for(
        "the database to be created",
        Duration::from_secs(30),
        || {
            tables(&db)
                .iter()
                .any(|t| t == "vz_embeddings")
                .then_some(())
        },
    );
    xdotool(&display, &["windowsize", "--sync", &window, "900", "640"]);
    // Give GTK time to take in the new size before the window closes.
    std::thread::sleep(Duration::from_millis(1500));
    quit(&display, &window, app);

    let settings = sandbox.settings();
    let value = |key: &str| -> i64 {
        settings
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{key} not saved in:\n{settings}"))
    };
    // The X window includes the client-side shadow, so the saved content size is a bit smaller.
    let (width, height) = (value("window-width"), value("window-height"));
    assert!((780..=900).contains(&width), "width {width}");
    assert!((520..=640).contains(&height), "height {height}");
    assert!(settings.contains("last-page='interiors'"), "{settings}");

    // Started again without --page, it comes back on the last page at the saved size.
    let mut app = sandbox
        .app(&display, &["--db", db_arg])
        .spawn()
        .expect("start the app again");
    let window = window_of(&display, &mut app);
    let geometry = wait_for("the window geometry", Duration::from_secs(10), || {
        xdotool(&display, &["getwindowgeometry", &window])
    });
    let size = geometry
        .lines()
        .find_map(|l| l.trim().strip_prefix("Geometry: "))
        .unwrap_or_default()
        .to_owned();
    let (w, h) = size.split_once('x').expect("geometry WxH");
    let (w, h): (i64, i64) = (w.parse().unwrap(), h.parse().unwrap());
    assert!(
        (w - 900).abs() <= 2 && (h - 640).abs() <= 2,
        "reopened at {size}"
    );
    quit(&display, &window, app);
    assert!(sandbox.settings().contains("last-page='interiors'"));
}

/// Small photos, each a different colour, recorded in a fresh database.
fn seed_photos(sandbox: &Sandbox, db: &Path, count: usize) -> Vec<i64> {
    let folder = sandbox.path("photos");
    std::fs::create_dir_all(&folder).unwrap();
    let mut database = vistazo::db::open(db).unwrap();
    (0..count)
        .map(|i| {
            let path = folder.join(format!("room_{i}.jpg"));
            let shade = (40 * i) as u8;
            image::RgbImage::from_fn(320, 240, |x, y| {
                image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
            })
            .save(&path)
            .unwrap();
            database
                .record_photo(&vistazo::db::interiors::NewPhoto {
                    path: &path.to_string_lossy(),
                    content_hash: &format!("hash{i}"),
                    width: 320,
                    height: 240,
                })
                .unwrap()
                .id()
        })
        .collect()
}

fn labels(db: &Path, ids: &[i64]) -> Vec<Option<&'static str>> {
    let mut database = vistazo::db::open(db).unwrap();
    ids.iter()
        .map(|id| {
            database
                .label(*id)
                .unwrap()
                .map(|(quality, _)| quality.as_str())
        })
        .collect()
}

#[test]
fn photos_are_labelled_with_the_keys_saved_at_once_and_undone() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let db = sandbox.path("vistazo.db");
    let ids = seed_photos(&sandbox, &db, 4);

    let mut app = sandbox
        .app(
            &display,
            &["--db", db.to_str().unwrap(), "gui", "--page", "label"],
        )
        .spawn()
        .expect("start the app");
    let window = window_of(&display, &mut app);
    // The labeling view opens once the database is read; give it a moment to take focus.
    std::thread::sleep(Duration::from_millis(1500));

    press(&display, &window, "3");
    wait_for("the first label", Duration::from_secs(10), || {
        (labels(&db, &ids)[0] == Some("good")).then_some(())
    });
    press(&display, &window, "1");
    press(&display, &window, "space");
    press(&display, &window, "2");
    wait_for("three labels", Duration::from_secs(10), || {
        (labels(&db, &ids) == [Some("good"), Some("bad"), None, Some("medium")]).then_some(())
    });
    // Undo goes back to the last labelled photo and takes its label away.
    press(&display, &window, "BackSpace");
    wait_for("the undo", Duration::from_secs(10), || {
        (labels(&db, &ids) == [Some("good"), Some("bad"), None, None]).then_some(())
    });
    // Labelling again from there labels that same photo.
    press(&display, &window, "ctrl+z");
    press(&display, &window, "3");
    quit(&display, &window, app);
    assert_eq!(labels(&db, &ids), [Some("good"), Some("good"), None, None]);
}

/// Every 20 labels the models train again in the background, without the Train button, and the
/// labeling view then follows the new order: after the photo on screen, the photo
/// `interiors next` puts first.
#[test]
fn labeling_trains_again_every_twenty_labels_and_follows_the_new_order() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let db = sandbox.path("vistazo.db");
    let folder = sandbox.path("rooms");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..30u64 {
        rooms::room(31, i, 30)
            .image
            .save(folder.join(format!("room_{i:02}.png")))
            .unwrap();
    }
    let cli = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "--model",
                tiny_model().to_str().unwrap(),
            ])
            .args(args)
            .env("LANG", "C.UTF-8")
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        output
    };
    cli(&["interiors", "import", folder.to_str().unwrap()]);
    let ids: Vec<i64> = {
        let mut database = vistazo::db::open(&db).unwrap();
        database.photos().unwrap().iter().map(|p| p.id).collect()
    };

    let mut app = sandbox
        .app(
            &display,
            &[
                "--db",
                db.to_str().unwrap(),
                "--model",
                tiny_model().to_str().unwrap(),
                "gui",
                "--page",
                "label",
            ],
        )
        .spawn()
        .expect("start the app");
    let window = window_of(&display, &mut app);
    std::thread::sleep(Duration::from_millis(1500));
    // No model yet: the photos come in import order.
    for k in 0..20 {
        press(&display, &window, ["1", "2", "3"][k % 3]);
    }
    wait_for("twenty labels", Duration::from_secs(20), || {
        labels(&db, &ids[..20])
            .iter()
            .all(Option::is_some)
            .then_some(())
    });
    wait_for("a training round", Duration::from_secs(90), || {
        (count(&db, "vz_training_rounds") >= 1).then_some(())
    });
    // The new order reaches the view a moment after the round is saved.
    std::thread::sleep(Duration::from_millis(3000));
    let next = cli(&["interiors", "next", "--count", "2", "--json"]);
    let next: Vec<serde_json::Value> = serde_json::from_slice(&next.stdout).unwrap();
    let on_screen = ids[20];
    let expected = next
        .iter()
        .map(|c| c["file"].as_str().unwrap().to_owned())
        .find(|file| {
            let mut database = vistazo::db::open(&db).unwrap();
            database.photo_id_by_path(file).unwrap() != Some(on_screen)
        })
        .unwrap();
    let expected = {
        let mut database = vistazo::db::open(&db).unwrap();
        database.photo_id_by_path(&expected).unwrap().unwrap()
    };
    // Without the new order the next photo would be the next one imported; the model's least
    // sure photo may happen to be that one too, and then the label still has to land on it.
    press(&display, &window, "space");
    press(&display, &window, "2");
    wait_for(
        "the label on the photo the model is least sure about",
        Duration::from_secs(30),
        || (labels(&db, &[expected]) == [Some("medium")]).then_some(()),
    );
    quit(&display, &window, app);
    assert_eq!(labels(&db, &[on_screen]), [None]);
}

#[path = "support/rooms.rs"]
mod rooms;

#[path = "support/comic_library.rs"]
mod comic_library;

/// The app on `library`'s collection and thumbnails, opened at `page`.
fn library_app(
    sandbox: &Sandbox,
    display: &Display,
    library: &comic_library::Library,
    page: &str,
) -> Child {
    library_app_with(sandbox, display, library, page, &[])
}

/// [`library_app`] with more environment variables.
fn library_app_with(
    sandbox: &Sandbox,
    display: &Display,
    library: &comic_library::Library,
    page: &str,
    environment: &[(&str, &str)],
) -> Child {
    let db = library.db.to_str().unwrap();
    let thumbnails = library.thumbnails.to_str().unwrap();
    let mut command = sandbox.app(
        display,
        &[
            "--db",
            db,
            "--thumbnails",
            thumbnails,
            "gui",
            "--page",
            page,
        ],
    );
    for (name, value) in environment {
        command.env(name, value);
    }
    if environment.iter().any(|(name, _)| *name == "GTK_A11Y") {
        command.env_remove("NO_AT_BRIDGE");
    }
    command.spawn().expect("start the app")
}

/// The stored candidates of a comic: issue id and combined score, best first.
fn suggestion(db: &Path, comic: i32) -> Vec<(i32, f64)> {
    let mut database = vistazo::db::open(db).unwrap();
    database
        .suggestion(comic)
        .unwrap()
        .into_iter()
        .map(|c| (c.id_comicbook_info, c.combined))
        .collect()
}

/// A comic's classification value and whether it is in the trash.
fn comic_state(db: &Path, comic: i32) -> (Option<String>, bool) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        id_comicbook_info: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        en_papelera: bool,
    }
    let mut conn = SqliteConnection::establish(&db.to_string_lossy()).unwrap();
    // A Babelcomics4 database keeps its rollback journal: wait out the app's writes, as
    // Babelcomics4 itself does.
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 5000")
        .unwrap();
    let row: Row = diesel::sql_query(
        "SELECT id_comicbook_info, en_papelera FROM comicbooks WHERE id_comicbook = ?",
    )
    .bind::<diesel::sql_types::Integer, _>(comic)
    .get_result(&mut conn)
    .unwrap();
    (row.id_comicbook_info, row.en_papelera)
}

/// Presses `keys` on the review page; when the candidate it applies scores below the default
/// threshold, the app asks first and the test confirms.
fn apply_with(display: &Display, window: &str, pid: u32, keys: &str, score: f64) {
    press(display, window, keys);
    if score < 0.75 {
        let dialog = wait_for_window(display, pid, "Apply a Weak Match\\?");
        press(display, &dialog, "Return");
    }
}

#[test]
fn suggestions_are_reviewed_with_the_keys_saved_at_once_and_undone() {
    use comic_library::{BATMAN_3_CROPPED, SAGA_1, SAGA_2_VARIANT, SAGA_9_ABSENT, SCAN_ABSENT};

    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    let model = comic_library::tiny_model();
    library.vistazo(&model, &["embed"]);
    library.vistazo(&model, &["classify"]);
    let db = library.db.clone();
    let first = suggestion(&db, SAGA_1);
    let second = suggestion(&db, SAGA_2_VARIANT);
    assert!(
        !first.is_empty() && second.len() >= 2,
        "{first:?} {second:?}"
    );
    let untouched = [
        comic_state(&db, SAGA_9_ABSENT),
        comic_state(&db, SCAN_ABSENT),
    ];

    let sandbox = Sandbox::new();
    let mut app = library_app(&sandbox, &display, &library, "review");
    let pid = app.id();
    let window = window_of(&display, &mut app);
    // The review reads its suggestions once the database is open; give it a moment.
    std::thread::sleep(Duration::from_millis(1500));

    // Enter applies the best candidate of the first comic, 2 the second candidate of the next.
    apply_with(&display, &window, pid, "Return", first[0].1);
    wait_for("the first classification", Duration::from_secs(10), || {
        (comic_state(&db, SAGA_1).0 == Some(first[0].0.to_string())).then_some(())
    });
    apply_with(&display, &window, pid, "2", second[1].1);
    wait_for("the second classification", Duration::from_secs(10), || {
        (comic_state(&db, SAGA_2_VARIANT).0 == Some(second[1].0.to_string())).then_some(())
    });
    // S skips the third comic, Left comes back to it, Delete moves it to the trash.
    press(&display, &window, "s");
    press(&display, &window, "Left");
    press(&display, &window, "Delete");
    wait_for("the trash", Duration::from_secs(10), || {
        comic_state(&db, BATMAN_3_CROPPED).1.then_some(())
    });
    // Ctrl+Z takes it out again, and a second one undoes the second classification.
    press(&display, &window, "ctrl+z");
    wait_for(
        "the comic out of the trash",
        Duration::from_secs(10),
        || (!comic_state(&db, BATMAN_3_CROPPED).1).then_some(()),
    );
    press(&display, &window, "ctrl+z");
    wait_for("the undone classification", Duration::from_secs(10), || {
        (comic_state(&db, SAGA_2_VARIANT).0 == Some(String::new())).then_some(())
    });
    press(&display, &window, "Escape");
    quit(&display, &window, app);

    assert_eq!(
        comic_state(&db, SAGA_1),
        (Some(first[0].0.to_string()), false)
    );
    assert_eq!(
        comic_state(&db, SAGA_2_VARIANT),
        (Some(String::new()), false)
    );
    assert_eq!(
        comic_state(&db, BATMAN_3_CROPPED),
        (Some(String::new()), false)
    );
    assert_eq!(
        [
            comic_state(&db, SAGA_9_ABSENT),
            comic_state(&db, SCAN_ABSENT)
        ],
        untouched
    );

    // The review's classifications are journaled like the command line's: undo finds them.
    library.vistazo(&model, &["undo", "--last"]);
    assert_eq!(comic_state(&db, SAGA_1), (None, false), "NULL stays NULL");
}

#[test]
fn apply_all_leaves_a_near_tie_for_the_user() {
    use comic_library::{SAGA_1, SAGA_2_VARIANT, stored_candidate};

    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    let db = library.db.clone();
    {
        // One clear match, and one whose two best candidates are within the margin.
        let mut database = vistazo::db::open(&db).unwrap();
        let run = database
            .start_classification_run("m", 0.75, 0.05, false)
            .unwrap();
        let candidate =
            |issue: i32, cover: i32, combined: f64| stored_candidate(run, issue, cover, combined);
        database
            .replace_suggestion(SAGA_1, &[candidate(1001, 1, 0.95)])
            .unwrap();
        database
            .replace_suggestion(
                SAGA_2_VARIANT,
                &[candidate(1002, 2, 0.9), candidate(1003, 4, 0.88)],
            )
            .unwrap();
        database.finish_classification_run(run, 2, 0).unwrap();
    }
    let before = comic_state(&db, SAGA_2_VARIANT);

    let sandbox = Sandbox::new();
    let mut app = library_app(&sandbox, &display, &library, "review");
    let pid = app.id();
    let window = window_of(&display, &mut app);
    std::thread::sleep(Duration::from_millis(1500));
    // Ctrl+Enter asks to apply the one clear match; the near-tie is left out.
    press(&display, &window, "ctrl+Return");
    let dialog = wait_for_window(&display, pid, "Apply 1 Match\\?");
    press(&display, &dialog, "Return");
    wait_for("the clear match applied", Duration::from_secs(10), || {
        (comic_state(&db, SAGA_1).0 == Some("1001".to_owned())).then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    press(&display, &window, "Escape");
    quit(&display, &window, app);
    assert_eq!(
        comic_state(&db, SAGA_2_VARIANT),
        before,
        "a near-tie is the user's to decide"
    );
}

/// The roles a screen reader lets a person act on, which must each have a name.
const CONTROL_ROLES: &[&str] = &[
    "push button",
    "toggle button",
    "entry",
    "slider",
    "progress bar",
    "combo box",
    "spin button",
    "table cell",
];

/// The controls in an accessibility tree (as a11y_tree.py prints it) that a screen reader
/// cannot name: no name, a widget type's name ("GtkToggleButton"), or a mnemonic read twice.
/// Fails when the tree holds fewer than ten controls: then it was not read.
fn unnamed_controls(tree: &str) -> Vec<String> {
    let controls: Vec<(&str, &str)> = tree
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .filter(|(role, _)| CONTROL_ROLES.contains(role))
        .collect();
    assert!(controls.len() >= 10, "the tree was read:\n{tree}");
    controls
        .iter()
        .filter(|(_, name)| {
            let name = name.trim();
            let words: Vec<String> = name.split(' ').map(|w| w.replace('_', "")).collect();
            let doubled = words.len().is_multiple_of(2)
                && words.len() >= 2
                && words[..words.len() / 2] == words[words.len() / 2..];
            name.is_empty() || name.starts_with("Gtk") || name.starts_with("Adw") || doubled
        })
        .map(|(role, name)| format!("{role}: {name:?}"))
        .collect()
}

/// The app's accessibility tree, as a11y_tree.py prints it with `options`.
fn accessibility_tree(sandbox: &Sandbox, display: &Display, options: &[&str]) -> String {
    let tree = Command::new("/usr/bin/python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/a11y_tree.py"))
        .args(options)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", sandbox.path("bus").display()),
        )
        .env("DISPLAY", &display.name)
        .output()
        .expect("read the accessibility tree (make test installs python3-pyatspi)");
    String::from_utf8_lossy(&tree.stdout).into_owned()
}

#[test]
fn every_control_on_the_interiors_page_and_in_preferences_has_a_name_a_screen_reader_can_say() {
    use vistazo::interiors::charts::ChartKind;
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let db = sandbox.path("vistazo.db");
    seed_labelled_photos(&sandbox, &db);
    let trained = Command::new(env!("CARGO_BIN_EXE_vistazo"))
        .args(["--db", db.to_str().unwrap(), "--model"])
        .arg(tiny_model())
        .args(["interiors", "train"])
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    assert!(trained.status.success(), "{trained:?}");
    let mut launcher = accessibility_bus(&sandbox, &display);
    let mut app = sandbox
        .app(
            &display,
            &[
                "--db",
                db.to_str().unwrap(),
                "--model",
                tiny_model().to_str().unwrap(),
                "gui",
                "--page",
                "interiors",
            ],
        )
        .env("GTK_A11Y", "atspi")
        .env_remove("NO_AT_BRIDGE")
        .spawn()
        .expect("start the app");
    let pid = app.id();
    let window = window_of(&display, &mut app);
    // The gallery, once the photos are scored.
    let gallery = wait_for("the scored gallery", Duration::from_secs(60), || {
        let tree = accessibility_tree(&sandbox, &display, &[]);
        (tree.matches("table cell").count() >= 12).then_some(tree)
    });
    // The charts, each named by its title and described by the numbers it draws.
    accessibility_tree(&sandbox, &display, &["--press", "Charts"]);
    let charts = wait_for("the charts", Duration::from_secs(60), || {
        let tree = accessibility_tree(&sandbox, &display, &["--describe"]);
        let charts: Vec<(String, String)> = tree
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                (fields.next()? == "image").then_some(())?;
                Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
            })
            .filter(|(name, _)| ChartKind::ALL.iter().any(|kind| kind.title() == *name))
            .collect();
        (charts.len() == ChartKind::ALL.len()).then_some(charts)
    });
    press(&display, &window, "ctrl+comma");
    let preferences = wait_for_window(&display, pid, "Preferences");
    std::thread::sleep(Duration::from_millis(1500));
    let with_preferences = accessibility_tree(&sandbox, &display, &[]);
    press(&display, &preferences, "Escape");
    quit(&display, &window, app);
    let _ = launcher.kill();
    let _ = launcher.wait();
    for (title, description) in &charts {
        assert!(
            description.chars().any(|c| c.is_ascii_digit()),
            "the chart {title:?} is not described by its numbers: {description:?}"
        );
    }
    for (what, tree) in [("interiors", &gallery), ("preferences", &with_preferences)] {
        let unnamed = unnamed_controls(tree);
        assert!(
            unnamed.is_empty(),
            "{what}: {}\n\n{tree}",
            unnamed.join("\n")
        );
    }
}

#[test]
fn every_control_on_the_comics_and_review_pages_has_a_name_a_screen_reader_can_say() {
    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    let model = comic_library::tiny_model();
    library.vistazo(&model, &["embed"]);
    library.vistazo(&model, &["classify"]);
    let sandbox = Sandbox::new();
    let bus = format!("unix:path={}", sandbox.path("bus").display());
    // The accessibility bus, as a desktop session starts it.
    let mut launcher = Command::new("/usr/libexec/at-spi-bus-launcher")
        .arg("--launch-immediately")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .env("DISPLAY", &display.name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the accessibility bus (make test installs at-spi2-core)");
    std::thread::sleep(Duration::from_millis(800));
    for page in ["comics", "review"] {
        let mut app =
            library_app_with(&sandbox, &display, &library, page, &[("GTK_A11Y", "atspi")]);
        let window = window_of(&display, &mut app);
        std::thread::sleep(Duration::from_millis(2500));
        let tree = Command::new("/usr/bin/python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/a11y_tree.py"))
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("DISPLAY", &display.name)
            .output()
            .expect("read the accessibility tree (make test installs python3-pyatspi)");
        press(&display, &window, "Escape");
        quit(&display, &window, app);
        let tree = String::from_utf8_lossy(&tree.stdout).into_owned();
        let unnamed = unnamed_controls(&tree);
        assert!(
            unnamed.is_empty(),
            "{page}: {}\n\n{tree}",
            unnamed.join("\n")
        );
    }
    let _ = launcher.kill();
    let _ = launcher.wait();
}

/// The accessibility bus, as a desktop session starts it, for a test that reads the tree.
fn accessibility_bus(sandbox: &Sandbox, display: &Display) -> Child {
    let launcher = Command::new("/usr/libexec/at-spi-bus-launcher")
        .arg("--launch-immediately")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", sandbox.path("bus").display()),
        )
        .env("DISPLAY", &display.name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the accessibility bus (make test installs at-spi2-core)");
    // An app started before the bus answers never joins it: its tree stays empty.
    wait_for("the accessibility bus", Duration::from_secs(30), || {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.a11y.Bus",
                "/org/a11y/bus",
                "org.a11y.Bus.GetAddress",
            ])
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", sandbox.path("bus").display()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run dbus-send (make test installs dbus-x11)")
            .success()
            .then_some(())
    });
    // Reading the tree starts the registry, which an app must find as it starts.
    accessibility_tree(sandbox, display, &[]);
    launcher
}

/// The nodes of the app's accessibility tree: role, name and where in the window (x, y, width,
/// height).
fn places(sandbox: &Sandbox, display: &Display) -> Vec<(String, String, [i32; 4])> {
    let tree = Command::new("/usr/bin/python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/a11y_tree.py"))
        .arg("--where")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", sandbox.path("bus").display()),
        )
        .env("DISPLAY", &display.name)
        .output()
        .expect("read the accessibility tree (make test installs python3-pyatspi)");
    String::from_utf8_lossy(&tree.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let (role, name) = (fields.next()?, fields.next()?);
            let numbers: Vec<i32> = fields
                .next()?
                .split(' ')
                .filter_map(|n| n.parse().ok())
                .collect();
            let place = <[i32; 4]>::try_from(numbers).ok()?;
            Some((role.to_owned(), name.to_owned(), place))
        })
        .collect()
}

/// The window's size on the display: (width, height).
fn window_size(display: &Display, window: &str) -> (i32, i32) {
    let geometry = xdotool(display, &["getwindowgeometry", window]).unwrap_or_default();
    geometry
        .split_once("Geometry: ")
        .and_then(|(_, size)| size.trim().split_once('x'))
        .and_then(|(width, height)| Some((width.parse().ok()?, height.parse().ok()?)))
        .unwrap_or((i32::MAX, i32::MAX))
}

/// GNOME's smallest window, 360 by 294 pixels, holds every page: the Comics page in By
/// Content mode too, its shelves a drop-down named by the shelf chosen, the Interiors page's
/// header scrolling with its gallery; no widget measures itself wrongly on the way.
#[test]
fn the_window_shrinks_to_360_by_294_pixels_on_every_page_and_the_page_switcher_moves_to_the_bottom()
{
    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    let sandbox = Sandbox::new();
    let mut launcher = accessibility_bus(&sandbox, &display);
    for (page, keys) in [
        ("comics", None),
        ("comics", Some("alt+b")),
        ("review", None),
        ("interiors", None),
    ] {
        let mut app =
            library_app_with(&sandbox, &display, &library, page, &[("GTK_A11Y", "atspi")]);
        let window = window_of(&display, &mut app);
        xdotool(&display, &["windowmove", "--sync", &window, "0", "0"]);
        if let Some(keys) = keys {
            std::thread::sleep(Duration::from_millis(1500));
            press(&display, &window, keys);
        }
        xdotool(&display, &["windowsize", "--sync", &window, "360", "294"]);
        // A window asked to be smaller than its content allows grows back at once.
        std::thread::sleep(Duration::from_millis(1500));
        let (width, height) = window_size(&display, &window);
        let nodes = places(&sandbox, &display);
        let said = quit(&display, &window, app);
        assert!(
            (width, height) == (360, 294),
            "{page} {keys:?}: the window stays {width}×{height} pixels"
        );
        // GTK says so when a widget asks for a natural size under its least, which it then
        // lays out wrongly: from the window's first size to its narrowest, none does.
        assert!(
            !said.contains("natural height") && !said.contains("natural width"),
            "{page} {keys:?}: a widget measures itself wrongly:\n{said}"
        );
        if page == "comics" {
            // The shelves became a drop-down that says which shelf is chosen and its count.
            let shelf: Vec<&String> = nodes
                .iter()
                .map(|(_, name, _)| name)
                .filter(|name| name.starts_with("Shelf"))
                .collect();
            assert!(
                !shelf.is_empty() && shelf.iter().all(|name| *name == "Shelf: All, 6 comics"),
                "the shelf drop-down is named {shelf:?}"
            );
        }
        // The switcher's tabs are in the bottom bar, under the page, each whole in the window.
        let tabs: Vec<[i32; 4]> = nodes
            .iter()
            .filter(|(role, name, _)| {
                role == "page tab" && ["Comics", "Review", "Interiors"].contains(&name.as_str())
            })
            .map(|(_, _, place)| *place)
            .collect();
        let at_the_bottom = tabs
            .iter()
            .filter(|[x, y, w, h]| {
                *y > height / 2 && *h > 0 && *x >= 0 && x + w <= width && y + h <= height
            })
            .count();
        assert_eq!(
            at_the_bottom, 3,
            "{page}: the page switcher is not at the bottom: {tabs:?}\n{nodes:#?}"
        );
    }
    let _ = launcher.kill();
    let _ = launcher.wait();
}

/// In a window 800 by 600 pixels the covers start right under the row of shelves and search,
/// with no empty band between them.
#[test]
fn in_a_wide_window_the_covers_start_right_under_the_shelves_and_the_search() {
    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    let sandbox = Sandbox::new();
    set_setting(&sandbox, "window-width", "800");
    set_setting(&sandbox, "window-height", "600");
    let mut launcher = accessibility_bus(&sandbox, &display);
    let mut app = library_app_with(
        &sandbox,
        &display,
        &library,
        "comics",
        &[("GTK_A11Y", "atspi")],
    );
    let window = window_of(&display, &mut app);
    let nodes = wait_for("the covers", Duration::from_secs(30), || {
        let nodes = places(&sandbox, &display);
        nodes
            .iter()
            .any(|(role, _, [.., height])| role == "table cell" && *height > 0)
            .then_some(nodes)
    });
    quit(&display, &window, app);
    let _ = launcher.kill();
    let _ = launcher.wait();
    let search = nodes
        .iter()
        .find(|(role, name, _)| role == "entry" && name == "Search by file name or series")
        .map(|(_, _, [_, y, _, height])| y + height);
    // The review's counts ("Total: 6") are cells too, out of sight.
    let covers = nodes
        .iter()
        .filter(|(role, name, [.., height])| {
            role == "table cell" && !name.contains(": ") && *height > 0
        })
        .map(|(_, _, [_, y, ..])| *y)
        .min();
    let (Some(search), Some(covers)) = (search, covers) else {
        panic!("no search entry or no covers on the page:\n{nodes:#?}");
    };
    // The margin under the search row and the covers' own: a few pixels, no band.
    assert!(
        covers - search <= 12,
        "the covers start {} pixels under the search entry",
        covers - search
    );
}

#[test]
fn typing_on_the_comics_page_searches_and_ctrl_2_goes_to_the_review() {
    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    let sandbox = Sandbox::new();
    let mut launcher = accessibility_bus(&sandbox, &display);
    let mut app = library_app_with(
        &sandbox,
        &display,
        &library,
        "comics",
        &[("GTK_A11Y", "atspi")],
    );
    let window = window_of(&display, &mut app);
    let covers = |tree: &str| -> Vec<String> {
        tree.lines()
            .filter_map(|line| line.strip_prefix("table cell\t"))
            // The review's counts ("Total: 6") are cells too.
            .filter(|cell| !cell.contains(": "))
            .map(str::to_owned)
            .collect()
    };
    wait_for("the covers", Duration::from_secs(30), || {
        let tree = accessibility_tree(&sandbox, &display, &[]);
        covers(&tree)
            .iter()
            .any(|c| c.contains("Batman"))
            .then_some(())
    });
    // No control has the focus: the letters still search.
    for key in ["b", "a", "t"] {
        press(&display, &window, key);
    }
    let mut shown = Vec::new();
    let found = wait_until(Duration::from_secs(20), || {
        shown = covers(&accessibility_tree(&sandbox, &display, &[]));
        !shown.is_empty() && shown.iter().all(|c| c.contains("Batman"))
    });
    press(&display, &window, "ctrl+2");
    std::thread::sleep(Duration::from_millis(500));
    quit(&display, &window, app);
    let _ = launcher.kill();
    let _ = launcher.wait();
    assert!(
        found.is_some() && shown.len() >= 2,
        "typing \"bat\" shows {shown:?}"
    );
    let settings = sandbox.settings();
    assert!(settings.contains("last-page='review'"), "{settings}");
}

#[test]
fn a_copy_is_moved_to_the_trash_from_the_duplicates_shelf_and_back_with_ctrl_z() {
    use comic_library::{SAGA_9_ABSENT, SCAN_ABSENT};
    use diesel::prelude::*;

    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    // A second copy of an unclassified comic, as a re-download would add it.
    let copy = library.comics.join("Saga 009 (2013) (2).cbz");
    std::fs::copy(library.comics.join("Saga 009 (2013).cbz"), &copy).unwrap();
    const COPY: i32 = 8;
    diesel::sql_query(
        "INSERT INTO comicbooks (id_comicbook, path, id_comicbook_info) VALUES (?, ?, '')",
    )
    .bind::<diesel::sql_types::Integer, _>(COPY)
    .bind::<diesel::sql_types::Text, _>(copy.to_string_lossy())
    .execute(&mut library.conn())
    .unwrap();
    let model = comic_library::tiny_model();
    let found = library.vistazo(&model, &["duplicates", "--json"]);
    let found: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(
        found["groups"][0]["comics"],
        serde_json::json!([SAGA_9_ABSENT, COPY]),
        "{found}"
    );
    let db = library.db.clone();
    let before: Vec<_> = (1..=COPY).map(|id| comic_state(&db, id)).collect();

    let sandbox = Sandbox::new();
    let mut app = library_app(&sandbox, &display, &library, "comics");
    let window = window_of(&display, &mut app);
    std::thread::sleep(Duration::from_millis(1500));
    // Alt+5 opens the Duplicates shelf; once its copies are shown the first one has the focus,
    // and Delete moves it to the trash.
    press(&display, &window, "alt+5");
    let trashed = wait_for("a copy in the trash", Duration::from_secs(60), || {
        press(&display, &window, "Delete");
        std::thread::sleep(Duration::from_millis(700));
        [SAGA_9_ABSENT, COPY]
            .into_iter()
            .find(|id| comic_state(&db, *id).1)
    });
    assert_eq!(
        trashed, SAGA_9_ABSENT,
        "the first copy of the group had the focus"
    );
    assert!(!comic_state(&db, COPY).1, "one copy is kept");
    press(&display, &window, "ctrl+z");
    wait_for("the copy out of the trash", Duration::from_secs(30), || {
        (!comic_state(&db, SAGA_9_ABSENT).1).then_some(())
    });
    quit(&display, &window, app);
    let after: Vec<_> = (1..=COPY).map(|id| comic_state(&db, id)).collect();
    assert_eq!(
        after, before,
        "every comic as it was, {SCAN_ABSENT} included"
    );
}

fn count(db: &Path, table: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let Ok(mut conn) = SqliteConnection::establish(&db.to_string_lossy()) else {
        return 0;
    };
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Row>(&mut conn)
        .map(|row| row.n)
        .unwrap_or(0)
}

/// Photos imported with the tiny model through the command line, half of them labelled.
fn seed_labelled_photos(sandbox: &Sandbox, db: &Path) {
    let folder = sandbox.path("rooms");
    std::fs::create_dir_all(&folder).unwrap();
    let mut rows = String::from("path,label\n");
    for i in 0..18u32 {
        let light = [0.3, 0.65, 1.0][(i % 3) as usize];
        let path = folder.join(format!("room_{i:02}.png"));
        image::RgbImage::from_fn(160, 120, |x, y| {
            let v = ((x * 7 + y * 3 + i * 29) % 200) as f64 + 40.0;
            image::Rgb([
                (v * light) as u8,
                (v * light * 0.9) as u8,
                (180.0 * light) as u8,
            ])
        })
        .save(&path)
        .unwrap();
        if i < 12 {
            let label = ["bad", "medium", "good"][(i % 3) as usize];
            rows.push_str(&format!("{},{label}\n", path.display()));
        }
    }
    let csv = sandbox.path("labels.csv");
    std::fs::write(&csv, rows).unwrap();
    for args in [
        vec!["interiors", "import", folder.to_str().unwrap()],
        vec!["interiors", "import-labels", csv.to_str().unwrap()],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_vistazo"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "--model",
                tiny_model().to_str().unwrap(),
            ])
            .args(&args)
            .env("LANG", "C.UTF-8")
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
    }
}

#[test]
fn the_interiors_page_trains_and_auto_labels_from_its_buttons() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let db = sandbox.path("vistazo.db");
    seed_labelled_photos(&sandbox, &db);
    assert_eq!(count(&db, "vz_training_rounds"), 0);

    let mut app = sandbox
        .app(
            &display,
            &[
                "--db",
                db.to_str().unwrap(),
                "--model",
                tiny_model().to_str().unwrap(),
                "gui",
                "--page",
                "interiors",
            ],
        )
        .spawn()
        .expect("start the app");
    let window = window_of(&display, &mut app);

    // Alt+T is the Train button's mnemonic; the buttons appear once the database is read, so
    // the key is pressed again until a round is recorded.
    wait_for("a training round", Duration::from_secs(90), || {
        press(&display, &window, "alt+t");
        std::thread::sleep(Duration::from_millis(1500));
        (count(&db, "vz_training_rounds") >= 1).then_some(())
    });
    // Auto-Label becomes available once a model exists.
    wait_for("auto-labeling", Duration::from_secs(90), || {
        press(&display, &window, "alt+a");
        std::thread::sleep(Duration::from_millis(1500));
        (count(&db, "vz_auto_label_rounds") >= 1).then_some(())
    });
    quit(&display, &window, app);
    // Human labels are never replaced by automatic ones.
    let mut database = vistazo::db::open(&db).unwrap();
    let (human, _) = vistazo::interiors::rounds::label_counts(&mut database).unwrap();
    assert_eq!(human.bad + human.medium + human.good, 12);
}

fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/tiny")
}

/// Issues of the catalog, per volume: enough for a classification to be stopped midway.
const ISSUES_PER_VOLUME: i32 = 12;
const VOLUMES: [(i32, &str); 2] = [(100, "Saga"), (200, "Batman")];

/// A cover nobody else has: blocks of colour drawn from `seed`.
fn catalog_cover(seed: i32) -> image::RgbImage {
    image::RgbImage::from_fn(200, 300, |x, y| {
        let cell = (x / 29) * 31 + (y / 33) * 17 + seed.unsigned_abs() * 7919;
        let v = cell.wrapping_mul(2_654_435_761) >> 8;
        let channel = |shift: u32| 30 + ((v >> shift) % 170) as u8;
        image::Rgb([channel(0), channel(8), channel(16)])
    })
}

fn jpeg(picture: &image::RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85);
    picture.write_with_encoder(encoder).unwrap();
    bytes
}

/// A catalog with two volumes and their cover files, and a folder of comic files (not yet in
/// the collection) whose covers are recompressed copies of the catalog's, named as their issues.
/// Returns the database, the thumbnails folder and the folder of comics.
fn comic_library(sandbox: &Sandbox) -> (PathBuf, PathBuf, PathBuf) {
    use diesel::connection::SimpleConnection;
    // The database stays out of the folder the dialog lists: a file dialog in the app's own
    // process reads the files it lists, and closing them drops the app's SQLite locks.
    let db = sandbox.path("db/library.db");
    let thumbnails = sandbox.path("thumbnails");
    let comics = sandbox.path("library/comics");
    std::fs::create_dir_all(&comics).unwrap();
    let store = vistazo::library::ThumbnailStore::new(&thumbnails);
    let mut database = vistazo::db::open(&db).unwrap();
    let mut sql = String::new();
    for (volume, name) in VOLUMES {
        sql.push_str(&format!(
            "INSERT INTO volumens (id_volume, nombre) VALUES ({volume}, '{name}');"
        ));
        for number in 1..=ISSUES_PER_VOLUME {
            let issue = volume * 100 + number;
            let url = format!("https://img.example/{issue}.jpg");
            sql.push_str(&format!(
                "INSERT INTO comicbooks_info (id_comicbook_info, id_volume, numero, fecha_tapa) \
                 VALUES ({issue}, {volume}, '{number}', 2016); \
                 INSERT INTO comicbooks_info_covers (id_cover, id_comicbook_info, url_imagen) \
                 VALUES ({issue}, {issue}, '{url}');"
            ));
            let picture = catalog_cover(issue);
            let file = store.catalog_cover(name, volume, &url);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, jpeg(&picture)).unwrap();
            let comic = comics.join(format!("{name} {number:03} (2016).cbz"));
            fixtures::write_zip(
                &comic,
                &fixtures::entries(&[
                    ("001.jpg", jpeg(&picture)),
                    ("002.jpg", fixtures::inside_jpeg()),
                ]),
            );
        }
    }
    database.conn().batch_execute(&sql).unwrap();
    (db, thumbnails, comics)
}

/// (comics, classified comics) in the collection.
fn collection_counts(db: &Path) -> (i64, i64) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        comics: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        classified: i64,
    }
    let Ok(mut conn) = SqliteConnection::establish(&db.to_string_lossy()) else {
        return (0, 0);
    };
    diesel::sql_query(
        "SELECT count(*) AS comics, \
         coalesce(sum(trim(coalesce(id_comicbook_info, '')) <> ''), 0) AS classified \
         FROM comicbooks",
    )
    .get_result::<Row>(&mut conn)
    .map(|row| (row.comics, row.classified))
    .unwrap_or((0, 0))
}

/// The classification runs that have ended, oldest first: (comics looked at, applied).
fn finished_runs(db: &Path) -> Vec<(i64, i64)> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        considered: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        applied: i64,
    }
    let Ok(mut conn) = SqliteConnection::establish(&db.to_string_lossy()) else {
        return Vec::new();
    };
    diesel::sql_query(
        "SELECT considered, applied FROM vz_classification_runs WHERE considered > 0 ORDER BY id",
    )
    .load::<Row>(&mut conn)
    .map(|rows| {
        rows.into_iter()
            .map(|r| (r.considered, r.applied))
            .collect()
    })
    .unwrap_or_default()
}

/// The app on the Comics page of the collection `db`, with the tests' model on the processor
/// and `thumbnails` as `--thumbnails` when given: the running app, its process id and window.
fn comics_page(
    sandbox: &Sandbox,
    display: &Display,
    db: &Path,
    thumbnails: Option<&Path>,
) -> (Running, u32, String) {
    let model = tiny_model();
    let mut args = vec!["--db", db.to_str().unwrap()];
    if let Some(thumbnails) = thumbnails {
        args.extend(["--thumbnails", thumbnails.to_str().unwrap()]);
    }
    args.extend([
        "--model",
        model.to_str().unwrap(),
        "--device",
        "cpu",
        "gui",
        "--page",
        "comics",
    ]);
    let app = sandbox.app(display, &args).spawn().expect("start the app");
    let pid = app.id();
    let mut app = Running(Some(app));
    let window = window_of(display, app.child());
    (app, pid, window)
}

#[test]
fn comics_are_added_from_a_folder_then_classified_automatically_with_a_cancel_and_a_resume() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    let (db, thumbnails, comics) = comic_library(&sandbox);
    let total = i64::from(ISSUES_PER_VOLUME) * VOLUMES.len() as i64;
    let (mut app, pid, window) = comics_page(&sandbox, &display, &db, Some(&thumbnails));

    add_folder(&display, &window, pid, &comics);
    // Rows are committed before their thumbnails are written: both show the scan is done.
    let covers = || std::fs::read_dir(thumbnails.join("comics")).map_or(0, Iterator::count);
    wait_for("the comics to be added", Duration::from_secs(120), || {
        (collection_counts(&db) == (total, 0) && covers() as i64 == total).then_some(())
    });

    // Classify Automatically from its shortcut, stopped with Cancel (Alt+C) once the first
    // comics are classified.
    let started = wait_for(
        "the first classifications",
        Duration::from_secs(120),
        || {
            press(&display, &window, "ctrl+shift+c");
            std::thread::sleep(Duration::from_millis(500));
            let path = db.clone();
            wait_until(Duration::from_secs(5), move || {
                collection_counts(&path).1 > 0
            })
        },
    );
    assert!(started);
    press(&display, &window, "alt+c");
    let first = wait_for("the cancelled run to end", Duration::from_secs(60), || {
        finished_runs(&db).first().copied()
    });
    let (considered, applied) = first;
    assert!(considered < total, "cancelled midway: {first:?}");
    let (_, classified) = collection_counts(&db);
    assert_eq!(classified, applied, "what the cancelled run applied stays");

    // Run again: only the comics still unclassified are looked at, and all get classified.
    let second = wait_for("the resumed run to end", Duration::from_secs(120), || {
        if finished_runs(&db).len() < 2 {
            press(&display, &window, "ctrl+shift+c");
            std::thread::sleep(Duration::from_millis(1000));
        }
        finished_runs(&db).get(1).copied()
    });
    assert_eq!(second.0, total - applied, "{second:?}");
    assert_eq!(collection_counts(&db), (total, total));
    quit(&display, &window, app.take());
}

/// The app under test, ended if the test fails before quitting it.
struct Running(Option<Child>);

impl Running {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("the app is running")
    }

    fn take(&mut self) -> Child {
        self.0.take().expect("the app is running")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether `probe` holds within `limit`.
fn wait_until(limit: Duration, mut probe: impl FnMut() -> bool) -> Option<bool> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if probe() {
            return Some(true);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Sets `key` to the GVariant text `value` in the app's settings, as Preferences would; an app
/// running sees the change (the keyfile backend follows its file).
fn set_setting(sandbox: &Sandbox, key: &str, value: &str) {
    let file = sandbox.path("config/glib-2.0/settings/keyfile");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mut lines: Vec<String> = sandbox
        .settings()
        .lines()
        .filter(|line| !line.starts_with(&format!("{key}=")))
        .map(str::to_owned)
        .collect();
    let group = "[io/github/vistazo/Vistazo]";
    let at = match lines.iter().position(|line| line == group) {
        Some(at) => at + 1,
        None => {
            lines.push(group.to_owned());
            lines.len()
        }
    };
    lines.insert(at, format!("{key}={value}"));
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
}

/// Adds the comics under `folder` with Add Folder… typed into its dialog.
fn add_folder(display: &Display, window: &str, pid: u32, folder: &Path) {
    press(display, window, "ctrl+shift+o");
    let dialog = wait_for_window(display, pid, "Add a Folder of Comics");
    press(display, &dialog, "ctrl+l");
    xdotool(
        display,
        &["type", "--delay", "10", folder.to_str().unwrap()],
    );
    std::thread::sleep(Duration::from_millis(500));
    xdotool(display, &["key", "Return"]);
}

#[test]
fn every_job_uses_the_thumbnails_folder_preferences_name_when_it_starts() {
    let _turn = take_turn();
    let display = display();
    let sandbox = Sandbox::new();
    // The catalog's covers are only in the folder Preferences name: the database's own
    // (`db/data/thumbnails`) has none.
    let (db, chosen, comics) = comic_library(&sandbox);
    let total = i64::from(ISSUES_PER_VOLUME) * VOLUMES.len() as i64;
    set_setting(
        &sandbox,
        "thumbnails-folder",
        &format!("'{}'", chosen.display()),
    );
    let (mut app, pid, window) = comics_page(&sandbox, &display, &db, None);

    // A scan writes the comics' thumbnails there, and classification finds the catalog's
    // covers there.
    add_folder(&display, &window, pid, &comics);
    let covers = |base: &Path| std::fs::read_dir(base.join("comics")).map_or(0, Iterator::count);
    wait_for("the comics to be added", Duration::from_secs(120), || {
        (collection_counts(&db) == (total, 0) && covers(&chosen) as i64 == total).then_some(())
    });
    wait_for(
        "the comics to be classified",
        Duration::from_secs(120),
        || {
            if finished_runs(&db).is_empty() {
                press(&display, &window, "ctrl+shift+c");
                std::thread::sleep(Duration::from_millis(1000));
            }
            (collection_counts(&db) == (total, total)).then_some(())
        },
    );

    // Another folder chosen while the app runs: the next scan writes there.
    let second = sandbox.path("second thumbnails");
    set_setting(
        &sandbox,
        "thumbnails-folder",
        &format!("'{}'", second.display()),
    );
    let more = sandbox.path("library/more");
    std::fs::create_dir_all(&more).unwrap();
    fixtures::write_zip(
        &more.join("Later 001 (2017).cbz"),
        &fixtures::entries(&[("001.jpg", jpeg(&catalog_cover(9_001)))]),
    );
    // The keyfile backend notices the change within a moment.
    std::thread::sleep(Duration::from_secs(2));
    add_folder(&display, &window, pid, &more);
    wait_for("the new comic's thumbnail", Duration::from_secs(60), || {
        (covers(&second) == 1).then_some(())
    });
    assert_eq!(covers(&chosen) as i64, total);
    assert!(!sandbox.path("db/data/thumbnails").exists());
    quit(&display, &window, app.take());
}

/// What the keyboard-only walk looks for on screen, in one language the app ships.
struct Words {
    /// `LANGUAGE` for the app; English without one.
    language: Option<&'static str>,
    open_dialog: &'static str,
    /// The button of the toast a classification leaves comics to review with.
    review: &'static str,
    /// What the toast says, in part.
    applied: &'static str,
    apply: &'static str,
    /// The review's count of classified comics, once one is.
    one_classified: &'static str,
    start_labeling: &'static str,
    /// The labeling view's counts, once one photo of each quality is labelled.
    one_of_each: &'static str,
    preferences: &'static str,
}

const ENGLISH: Words = Words {
    language: None,
    open_dialog: "Open a Collection",
    review: "Review",
    applied: "applied",
    apply: "Apply",
    one_classified: "Classified: 1",
    start_labeling: "Start Labeling",
    one_of_each: "Bad 1 · Medium 1 · Good 1",
    preferences: "Preferences",
};

const SPANISH: Words = Words {
    language: Some("es"),
    open_dialog: "Abrir una colección",
    review: "Revisar",
    applied: "aplicados",
    apply: "Aplicar",
    one_classified: "Clasificados: 1",
    start_labeling: "Empezar a etiquetar",
    one_of_each: "Malas 1 · Medias 1 · Buenas 1",
    preferences: "Preferencias",
};

#[test]
fn a_collection_is_opened_classified_reviewed_and_labelled_from_the_keyboard_alone_in_english() {
    keyboard_only(&ENGLISH);
}

#[test]
fn a_collection_is_opened_classified_reviewed_and_labelled_from_the_keyboard_alone_in_spanish() {
    keyboard_only(&SPANISH);
}

/// The control with the keyboard focus, as a screen reader says it: role, name, description.
fn focused(sandbox: &Sandbox, display: &Display) -> Option<(String, String, String)> {
    let tree = accessibility_tree(sandbox, display, &["--focused"]);
    let line = tree.lines().last()?;
    let mut fields = line.split('\t').map(str::to_owned);
    Some((
        fields.next()?,
        fields.next()?,
        fields.next().unwrap_or_default(),
    ))
}

/// Waits until the accessibility tree has a node with one of `roles` named `name`; fails with
/// the tree read last.
fn wait_for_node(sandbox: &Sandbox, display: &Display, roles: &[&str], name: &str) {
    let mut tree = String::new();
    let found = wait_until(Duration::from_secs(60), || {
        tree = accessibility_tree(sandbox, display, &[]);
        tree.lines().any(|line| {
            line.split_once('\t')
                .is_some_and(|(role, named)| roles.contains(&role) && named == name)
        })
    });
    assert!(found.is_some(), "no {roles:?} named {name:?} in:\n{tree}");
}

/// A person who uses no pointer opens a collection, classifies it, applies a suggestion,
/// labels three photos and opens Preferences, with keys alone, and each step shows in what a
/// screen reader reads.
fn keyboard_only(words: &Words) {
    let _turn = take_turn();
    let display = display();
    let library = comic_library::library();
    let model = comic_library::tiny_model();
    let rooms = library.dir.path().join("rooms");
    std::fs::create_dir_all(&rooms).unwrap();
    for i in 0..6u64 {
        rooms::room(31, i, 6)
            .image
            .save(rooms.join(format!("room_{i}.png")))
            .unwrap();
    }
    library.vistazo(&model, &["interiors", "import", rooms.to_str().unwrap()]);
    let sandbox = Sandbox::new();
    set_setting(
        &sandbox,
        "thumbnails-folder",
        &format!("'{}'", library.thumbnails.display()),
    );
    let mut launcher = accessibility_bus(&sandbox, &display);
    let mut command = sandbox.app(
        &display,
        &[
            "--model",
            model.to_str().unwrap(),
            "--device",
            "cpu",
            "gui",
            "--page",
            "comics",
        ],
    );
    command.env("GTK_A11Y", "atspi").env_remove("NO_AT_BRIDGE");
    if let Some(language) = words.language {
        command.env("LANG", "es_ES.UTF-8").env("LANGUAGE", language);
    }
    let app = command.spawn().expect("start the app");
    let pid = app.id();
    let mut app = Running(Some(app));
    let window = window_of(&display, app.child());

    // Ctrl+O, the file's path typed in the dialog: the window names the collection.
    std::thread::sleep(Duration::from_millis(1500));
    press(&display, &window, "ctrl+o");
    let dialog = wait_for_window(&display, pid, words.open_dialog);
    press(&display, &dialog, "ctrl+l");
    xdotool(
        &display,
        &["type", "--delay", "10", library.db.to_str().unwrap()],
    );
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&display, &["key", "Return"]);
    // The tree is read once the dialog is gone: a tree read while GTK 4.8 takes a file
    // dialog down can leave the app out of the accessibility bus.
    wait_for_title(&display, &window, "babelcomics.db — Vistazo");
    std::thread::sleep(Duration::from_millis(1500));
    wait_for_node(&sandbox, &display, &["frame"], "babelcomics.db — Vistazo");

    // Ctrl+Shift+C classifies; the comics it leaves to review bring the focus to the toast's
    // Review button, which says how the run went.
    press(&display, &window, "ctrl+shift+c");
    let (_, _, outcome) = wait_for(
        "the focus on the toast's button",
        Duration::from_secs(120),
        || {
            focused(&sandbox, &display)
                .filter(|(role, name, _)| role == "push button" && name == words.review)
        },
    );
    assert!(
        outcome.contains(words.applied),
        "the toast says {outcome:?}"
    );

    // Return opens the review, and Return there applies the highlighted candidate (after a
    // question when the match is weak).
    press(&display, &window, "Return");
    std::thread::sleep(Duration::from_millis(1500));
    press(&display, &window, "Return");
    let mut asked = false;
    let mut tree = String::new();
    let classified = wait_until(Duration::from_secs(60), || {
        if !asked
            && focused(&sandbox, &display)
                .is_some_and(|(role, name, _)| role == "push button" && name == words.apply)
        {
            xdotool(&display, &["key", "Return"]);
            asked = true;
        }
        tree = accessibility_tree(&sandbox, &display, &[]);
        tree.lines()
            .any(|line| line == format!("table cell\t{}", words.one_classified))
    });
    assert!(classified.is_some(), "no comic classified:\n{tree}");

    // Ctrl+3 goes to the Interiors page, Tab to Start Labeling; 1, 2 and 3 label three photos.
    press(&display, &window, "ctrl+3");
    std::thread::sleep(Duration::from_millis(1000));
    let mut presses = 0;
    wait_for(words.start_labeling, Duration::from_secs(60), || {
        if focused(&sandbox, &display).is_some_and(|(_, name, _)| name == words.start_labeling) {
            return Some(());
        }
        assert!(presses < 30, "Tab never reaches {}", words.start_labeling);
        presses += 1;
        press(&display, &window, "Tab");
        None
    });
    press(&display, &window, "Return");
    std::thread::sleep(Duration::from_millis(1500));
    for key in ["1", "2", "3"] {
        press(&display, &window, key);
    }
    wait_for_node(&sandbox, &display, &["label"], words.one_of_each);

    // Escape leaves the labeling, Ctrl+Comma opens Preferences.
    press(&display, &window, "Escape");
    press(&display, &window, "ctrl+comma");
    wait_for_node(
        &sandbox,
        &display,
        &["frame", "dialog", "window"],
        words.preferences,
    );
    let preferences = wait_for_window(&display, pid, words.preferences);
    press(&display, &preferences, "Escape");
    quit(&display, &window, app.take());
    let _ = launcher.kill();
    let _ = launcher.wait();
}
