//! The GTK4/libadwaita app, built with Relm4. Components talk to the core only through the
//! background workers in this module, never with SQL or tensors of their own.

mod about;
mod app;
mod backend;
mod background;
mod candidate_card;
mod catalog_dialog;
mod catalog_store;
mod comics;
mod cover_loader;
mod interiors;
mod interiors_worker;
mod labeling;
mod photo_loader;
mod preferences;
mod review;
mod review_store;
mod session_key;
mod stalls;

use std::path::PathBuf;

use anyhow::Context;
use relm4::gtk::{gio, glib};
use relm4::{RelmApp, adw};

use crate::cli::{GlobalOptions, Page};
use crate::clip::DevicePreference;
use crate::config;
use crate::i18n::gettext;

/// What the app needs from the command line.
#[derive(Debug, Clone)]
pub struct StartOptions {
    pub database: PathBuf,
    /// `--thumbnails`, which wins over the folder chosen in Preferences.
    pub thumbnails: Option<PathBuf>,
    pub page: Option<Page>,
    /// `--model`: wins over the model folder in Preferences.
    pub model: Option<PathBuf>,
    /// `--device` when other than `auto`: wins over the device in Preferences.
    pub device: Option<crate::clip::DevicePreference>,
}

/// Runs the app until its window closes.
pub fn run(global: &GlobalOptions, page: Option<Page>) -> anyhow::Result<std::process::ExitCode> {
    prefer_portal_dialogs();
    gtk_init()?;
    register_resources()?;
    let settings = settings()?;
    let options = StartOptions {
        database: global.database_path()?,
        thumbnails: global.thumbnails.clone(),
        page,
        model: global.model.clone(),
        device: (global.device != DevicePreference::Auto).then_some(global.device),
    };

    // Relm4 runs its async work on a pool with one thread unless told otherwise.
    if std::env::var_os("RELM_THREADS").is_none() {
        // SAFETY: no other thread has been started yet.
        unsafe { std::env::set_var("RELM_THREADS", "2") };
    }

    let application = adw::Application::builder()
        .application_id(config::APP_ID)
        .resource_base_path(config::RESOURCE_BASE_PATH)
        .flags(gio::ApplicationFlags::NON_UNIQUE)
        .build();
    glib::set_application_name("Vistazo");
    gtk_window_default_icon();

    let app = RelmApp::from_app(application).with_args(Vec::new());
    app.run::<app::App>(app::Init { options, settings });
    Ok(std::process::ExitCode::SUCCESS)
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
                &gettext("the settings schema {} is not installed"),
                &[&config::SCHEMA_ID]
            ))
        })?;
    Ok(gio::Settings::new_full(
        &schema,
        None::<&gio::SettingsBackend>,
        None,
    ))
}
