//! The GTK4/libadwaita app, built with Relm4. Components talk to the core only through the
//! background workers in this module, never with SQL or tensors of their own.

mod about;
mod accessible;
mod app;
mod backend;
mod background;
mod catalog;
mod collection_file;
mod comics;
mod engine;
mod failure;
mod fitting_scroll;
mod fold;
mod interiors;
mod pictures;
mod preferences;
mod progress;
mod review;
mod session_key;
mod settings;
mod stalls;
mod threshold;

use std::path::{Path, PathBuf};

use anyhow::Context;
use relm4::gtk::prelude::*;
use relm4::gtk::{gio, glib};
use relm4::{RelmApp, adw};

use crate::clip::DevicePreference;
use crate::config;
use crate::i18n::gettext;

/// `text` as Pango markup shows it: toasts read their title as markup, and a file or volume
/// name may hold an `&` or a `<`.
pub(crate) fn markup(text: &str) -> String {
    glib::markup_escape_text(text).to_string()
}

/// The page the window shows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Comics,
    Review,
    /// The Interiors page, with the labeling view open.
    Label,
    Interiors,
}

/// How the app was started: what the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// A collection file to open (`vistazo FILE.db`): it must already be a database.
    pub file: Option<PathBuf>,
    /// `--db`: the collection to open, created when missing.
    pub database: Option<PathBuf>,
    /// Where the app's own collection is, when nothing else is chosen or remembered.
    pub default_database: Option<PathBuf>,
    pub page: Option<Page>,
    /// `--model`: wins over the model folder in Preferences.
    pub model: Option<PathBuf>,
    /// `--device` when other than `auto`: wins over the device in Preferences.
    pub device: Option<DevicePreference>,
    /// `--thumbnails`: wins over the folder chosen in Preferences.
    pub thumbnails: Option<PathBuf>,
}

/// What the window starts with.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The collection to open first: the file given, else `--db`, else the one open last,
    /// else the default one.
    pub database: PathBuf,
    /// How to open it: a file given on the command line must already be a database.
    pub open_mode: backend::OpenMode,
    /// `--thumbnails`, which wins over the folder chosen in Preferences.
    pub thumbnails: Option<PathBuf>,
    pub page: Option<Page>,
    /// `--model`: wins over the model folder in Preferences.
    pub model: Option<PathBuf>,
    /// `--device` when other than `auto`: wins over the device in Preferences.
    pub device: Option<crate::clip::DevicePreference>,
}

/// A path as people read it: under the home folder, `~/…`.
pub(crate) fn display_path(path: &std::path::Path) -> String {
    match dirs::home_dir().and_then(|home| path.strip_prefix(home).ok().map(Path::to_owned)) {
        Some(inside) if !inside.as_os_str().is_empty() => {
            format!("~{}{}", std::path::MAIN_SEPARATOR, inside.display())
        }
        _ => path.display().to_string(),
    }
}

/// The name of the folder a collection file belongs to: the one Babelcomics4 runs from (which
/// holds its `data/`), else the file's own folder.
pub(crate) fn collection_folder_name(path: &Path) -> String {
    let folder = path.parent();
    let folder = match folder {
        Some(data) if data.file_name().is_some_and(|name| name == "data") => data.parent(),
        other => other,
    };
    folder
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Shows a file dialog and keeps it alive until it answers, then closes it: GTK does not keep
/// native dialogs alive, and one dropped before its answer is gone at once.
pub(crate) fn show_until_answered(
    chooser: relm4::gtk::FileChooserNative,
    on_response: impl Fn(&relm4::gtk::FileChooserNative, relm4::gtk::ResponseType) + 'static,
) {
    let kept = std::rc::Rc::new(std::cell::RefCell::new(None));
    let release = std::rc::Rc::clone(&kept);
    chooser.connect_response(move |chooser, response| {
        on_response(chooser, response);
        chooser.destroy();
        release.borrow_mut().take();
    });
    chooser.show();
    kept.replace(Some(chooser));
}

/// Runs the app until its window closes. When the app already runs, its window is raised
/// instead (switching to `file` when given) and this process ends at once.
pub fn run(launch: Launch) -> anyhow::Result<std::process::ExitCode> {
    // Before anything starts a thread: it sets the environment.
    prefer_portal_dialogs();
    let given = match (&launch.file, &launch.database) {
        (Some(file), _) => Some((absolute(file)?, backend::OpenMode::Existing)),
        (None, Some(db)) => Some((absolute(db)?, backend::OpenMode::Start)),
        (None, None) => None,
    };
    if forward_to_running_app(given.as_ref().map(|(path, _)| path.as_path())) {
        return Ok(std::process::ExitCode::SUCCESS);
    }
    gtk_init()?;
    register_resources()?;
    let settings = settings()?;
    let (database, open_mode) = match given {
        Some(given) => given,
        None => match last_collection(&settings) {
            Some(last) => (last, backend::OpenMode::Start),
            None => (
                launch.default_database.clone().ok_or_else(|| {
                    anyhow::anyhow!(gettext(
                        "cannot find the user data folder: set XDG_DATA_HOME or pass --db PATH"
                    ))
                })?,
                backend::OpenMode::Start,
            ),
        },
    };
    let options = StartOptions {
        database,
        open_mode,
        thumbnails: launch.thumbnails,
        page: launch.page,
        model: launch.model,
        device: launch.device,
    };

    // Relm4 runs its async work on a pool with one thread unless told otherwise.
    if relm4::RELM_THREADS.set(2).is_err() {
        tracing::debug!("Relm4's thread count was set already");
    }

    // One instance: a second `vistazo` is handed to this one (see forward_to_running_app).
    let application = adw::Application::builder()
        .application_id(config::APP_ID)
        .resource_base_path(config::RESOURCE_BASE_PATH)
        .flags(gio::ApplicationFlags::empty())
        .build();
    application.connect_activate(|application| {
        if let Some(window) = application.active_window() {
            window.present();
        }
    });
    glib::set_application_name("Vistazo");
    gtk_window_default_icon();

    let app = RelmApp::from_app(application).with_args(Vec::new());
    app.run::<app::App>(app::Init { options, settings });
    Ok(std::process::ExitCode::SUCCESS)
}

/// `path` from the folder this process started in, for the running app, which may have
/// started elsewhere.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| {
        crate::i18n::fill(&gettext("cannot find {path}"), &[("path", &path.display())])
    })
}

/// The collection open when the app last ran, when it still exists.
fn last_collection(settings: &gio::Settings) -> Option<PathBuf> {
    settings
        .strv("recent-collections")
        .iter()
        .map(|path| PathBuf::from(path.as_str()))
        .next()
        .filter(|path| path.is_file())
}

/// When the app already runs in this session, raises its window (opening `file` there when
/// given) and returns true; this process then has nothing more to do. Where no session bus
/// runs, every process is its own app.
fn forward_to_running_app(file: Option<&Path>) -> bool {
    let Ok(bus) = gio::bus_get_sync(gio::BusType::Session, None::<&gio::Cancellable>) else {
        return false;
    };
    let running = bus
        .call_sync(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            Some(&(config::APP_ID,).to_variant()),
            Some(glib::VariantTy::new("(b)").expect("a valid D-Bus type")),
            gio::DBusCallFlags::NONE,
            2_000,
            None::<&gio::Cancellable>,
        )
        .ok()
        .and_then(|reply| reply.get::<(bool,)>())
        .is_some_and(|(running,)| running);
    if !running {
        return false;
    }
    let remote = gio::Application::new(Some(config::APP_ID), gio::ApplicationFlags::empty());
    if let Err(error) = remote.register(None::<&gio::Cancellable>) {
        tracing::warn!("cannot reach the running app: {error}");
        return false;
    }
    if !remote.is_remote() {
        // It ended meanwhile; this process carries on as the app.
        return false;
    }
    match file {
        Some(path) => {
            remote.activate_action("open-file", Some(&path.to_string_lossy().to_variant()))
        }
        None => remote.activate(),
    }
    if let Some(connection) = remote.dbus_connection()
        && let Err(error) = connection.flush_sync(None::<&gio::Cancellable>)
    {
        tracing::warn!("cannot reach the running app: {error}");
    }
    true
}

/// Asks GTK to show file dialogs through the desktop's portal, in another process, wherever
/// a portal runs (inside Flatpak it always does). GTK's own dialog opens the files of the
/// folders it lists to guess their types; when one of them is the database, closing it drops
/// every SQLite lock this process holds on it (POSIX locks belong to the process, not to the
/// file descriptor), and another program closing the same database could then checkpoint and
/// delete the write-ahead log under the app. Only where the portal is installed: forcing
/// portals where there is none would leave links and the like with nothing to open them.
fn prefer_portal_dialogs() {
    if !portal_installed() {
        return;
    }
    let flags = std::env::var("GDK_DEBUG").unwrap_or_default();
    if flags
        .split([',', ':', ';', ' '])
        .any(|flag| flag.eq_ignore_ascii_case("portals"))
    {
        return;
    }
    let flags = if flags.trim().is_empty() {
        "portals".to_owned()
    } else {
        format!("{flags},portals")
    };
    // SAFETY: called before GTK starts, while the command line's thread is the only one.
    unsafe { std::env::set_var("GDK_DEBUG", flags) };
}

/// Whether the desktop portal can be started on the session bus: its D-Bus service file is in
/// one of the data folders.
fn portal_installed() -> bool {
    let folders = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|folders| !folders.trim().is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".to_owned());
    std::env::split_paths(&folders).any(|folder| {
        folder
            .join("dbus-1/services/org.freedesktop.portal.Desktop.service")
            .is_file()
    })
}

fn gtk_init() -> anyhow::Result<()> {
    relm4::gtk::init().map_err(|_| {
        anyhow::anyhow!(gettext(
            "cannot open a window: no display found (is this a graphical session?)"
        ))
    })?;
    adw::init().context(gettext("cannot start libadwaita"))
}

fn register_resources() -> anyhow::Result<()> {
    let bytes = glib::Bytes::from_static(include_bytes!(concat!(
        env!("OUT_DIR"),
        "/vistazo.gresource"
    )));
    let resource = gio::Resource::from_data(&bytes).context("the bundled resources are corrupt")?;
    gio::resources_register(&resource);
    Ok(())
}

fn gtk_window_default_icon() {
    relm4::gtk::Window::set_default_icon_name(config::APP_ID);
    if let Some(display) = relm4::gtk::gdk::Display::default() {
        relm4::gtk::IconTheme::for_display(&display)
            .add_resource_path(&format!("{}/icons", config::RESOURCE_BASE_PATH));
    }
}

/// The app's GSettings: the installed schema when there is one, else the one compiled with
/// this build.
pub fn settings() -> anyhow::Result<gio::Settings> {
    let default_source = gio::SettingsSchemaSource::default();
    let schema = default_source
        .as_ref()
        .and_then(|source| source.lookup(config::SCHEMA_ID, true))
        .or_else(|| {
            gio::SettingsSchemaSource::from_directory(
                config::build_schema_dir(),
                default_source.as_ref(),
                false,
            )
            .ok()?
            .lookup(config::SCHEMA_ID, false)
        })
        .ok_or_else(|| {
            anyhow::anyhow!(crate::i18n::fill(
                &gettext("the settings schema {schema} is not installed"),
                &[("schema", &config::SCHEMA_ID)]
            ))
        })?;
    Ok(gio::Settings::new_full(
        &schema,
        None::<&gio::SettingsBackend>,
        None,
    ))
}
