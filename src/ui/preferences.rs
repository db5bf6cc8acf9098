//! The Preferences window: where the model runs and which model it is, the default threshold
//! for suggestions, the thumbnails folder, writing ComicInfo.xml, the edition preferred when a
//! cover is in several volumes (stored in the collection), the ComicVine API key, and where
//! the database lives. Every row but the key is bound to GSettings, so a change is saved
//! the moment it is made; the key goes to the system keyring (or, without one, is kept only
//! until the app closes), talked to off the main thread.

use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio, glib};

use std::path::{Path, PathBuf};

use super::session_key;
use crate::catalog::{self, ApiKey, keyring};
use crate::clip::{DevicePreference, RuntimeInfo};
use crate::db::{self, DbError, editions::Publisher};
use crate::i18n::{fill, gettext};
use crate::matching::Threshold;

const DEVICES: [DevicePreference; 3] = [
    DevicePreference::Auto,
    DevicePreference::Cpu,
    DevicePreference::Cuda,
];

pub struct PreferencesContext<'a> {
    pub settings: &'a gio::Settings,
    pub runtime: Option<&'a RuntimeInfo>,
    pub database: &'a str,
}

pub fn present(parent: &impl IsA<gtk::Window>, context: &PreferencesContext<'_>) {
    let window = adw::PreferencesWindow::builder()
        .transient_for(parent)
        .modal(true)
        .search_enabled(false)
        .default_width(640)
        .default_height(560)
        .build();
    let page = adw::PreferencesPage::builder()
        .title(gettext("General"))
        .icon_name("preferences-system-symbolic")
        .build();
    page.add(&model_group(&window, context));
    let comics = comics_group(&window, context.settings);
    comics.add(&editions_row(context.database));
    page.add(&comics);
    page.add(&comicvine_group(&window));
    page.add(&database_group(context.database));
    window.add(&page);
    crate::ui::accessible::name_controls(&window);
    window.present();
}

fn model_group(
    window: &adw::PreferencesWindow,
    context: &PreferencesContext<'_>,
) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Model"))
        .description(gettext(
            "Vistazo compares pictures with CLIP ViT-B/32, running on this computer.",
        ))
        .build();

    let labels = [
        gettext("Automatic"),
        gettext("Processor (CPU)"),
        gettext("Graphics card (CUDA)"),
    ];
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let device = adw::ComboRow::builder()
        .title(gettext("Device"))
        .subtitle(runtime_summary(context.runtime))
        .model(&gtk::StringList::new(&label_refs))
        .build();
    let settings = context.settings;
    let current: DevicePreference = settings.string("device").parse().unwrap_or_default();
    let index = DEVICES.iter().position(|d| *d == current).unwrap_or(0);
    device.set_selected(u32::try_from(index).unwrap_or(0));
    device.connect_selected_notify(glib::clone!(
        #[strong]
        settings,
        move |row| {
            let chosen = DEVICES
                .get(row.selected() as usize)
                .copied()
                .unwrap_or_default();
            if let Err(error) = settings.set_string("device", chosen.as_str()) {
                tracing::warn!("cannot save the device preference: {error}");
            }
        }
    ));
    group.add(&device);

    let folder = adw::ActionRow::builder()
        .title(gettext("Model Folder"))
        .build();
    update_model_subtitle(&folder, &settings.string("model-folder"));
    let choose = gtk::Button::builder()
        .icon_name("folder-open-symbolic")
        .tooltip_text(gettext("Choose a Folder With a CLIP Model"))
        .valign(gtk::Align::Center)
        .css_classes(["flat"])
        .build();
    let reset = gtk::Button::builder()
        .icon_name("edit-clear-symbolic")
        .tooltip_text(gettext("Use the Downloaded Model"))
        .valign(gtk::Align::Center)
        .css_classes(["flat"])
        .build();
    reset.set_sensitive(!settings.string("model-folder").is_empty());
    folder.add_suffix(&choose);
    folder.add_suffix(&reset);

    settings.connect_changed(
        Some("model-folder"),
        glib::clone!(
            #[weak]
            folder,
            #[weak]
            reset,
            move |settings, key| {
                let value = settings.string(key);
                update_model_subtitle(&folder, &value);
                reset.set_sensitive(!value.is_empty());
            }
        ),
    );
    reset.connect_clicked(glib::clone!(
        #[strong]
        settings,
        move |_| {
            if let Err(error) = settings.set_string("model-folder", "") {
                tracing::warn!("cannot reset the model folder: {error}");
            }
        }
    ));
    choose.connect_clicked(glib::clone!(
        #[weak]
        window,
        #[strong]
        settings,
        move |_| choose_folder(
            &window,
            &settings,
            "model-folder",
            &gettext("Choose a Folder With a CLIP Model")
        )
    ));
    group.add(&folder);
    group
}

fn update_model_subtitle(row: &adw::ActionRow, folder: &str) {
    if folder.is_empty() {
        row.set_subtitle(&gettext(
            "openai/clip-vit-base-patch32, downloaded once on first use",
        ));
    } else {
        row.set_subtitle(&glib::markup_escape_text(folder));
    }
}

/// Asks for a folder and saves it under the string `key`.
fn choose_folder(
    window: &adw::PreferencesWindow,
    settings: &gio::Settings,
    key: &'static str,
    title: &str,
) {
    let chooser = gtk::FileChooserNative::new(
        Some(title),
        Some(window),
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Select")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let settings = settings.clone();
    super::show_until_answered(chooser, move |chooser, response| {
        if response == gtk::ResponseType::Accept
            && let Some(path) = chooser.file().and_then(|file| file.path())
            && let Err(error) = settings.set_string(key, &path.to_string_lossy())
        {
            tracing::warn!("cannot save {key}: {error}");
        }
    });
}

fn runtime_summary(runtime: Option<&RuntimeInfo>) -> String {
    match runtime {
        None => gettext("Checking what this computer offers…"),
        Some(info) if info.cuda_available => fill(
            &gettext("Detected: CUDA with {count} devices · libtorch {version}"),
            &[
                ("count", &info.cuda_devices),
                ("version", &info.libtorch_version),
            ],
        ),
        Some(info) => fill(
            &gettext("Detected: processor only, {count} threads · libtorch {version}"),
            &[
                ("count", &info.cpu_threads),
                ("version", &info.libtorch_version),
            ],
        ),
    }
}

fn comics_group(
    window: &adw::PreferencesWindow,
    settings: &gio::Settings,
) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Comics"))
        .build();
    let threshold = adw::ActionRow::builder()
        .title(gettext("Default Threshold"))
        .subtitle(gettext(
            "Suggestions at or above this similarity can be applied without asking",
        ))
        .build();
    // The one place the default is set; the pages' sliders only read it.
    let spin = gtk::SpinButton::with_range(
        f64::from(Threshold::MIN),
        f64::from(Threshold::MAX),
        f64::from(Threshold::STEP),
    );
    spin.set_digits(2);
    spin.set_valign(gtk::Align::Center);
    settings.bind("default-threshold", &spin, "value").build();
    threshold.add_suffix(&spin);
    threshold.set_activatable_widget(Some(&spin));
    group.add(&threshold);
    group.add(&thumbnails_row(window, settings));

    let comicinfo = adw::ActionRow::builder()
        .title(gettext("Write ComicInfo.xml"))
        .subtitle(gettext(
            "Save the issue’s details inside the comic file when a classification is applied",
        ))
        .build();
    let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
    settings.bind("write-comicinfo", &switch, "active").build();
    comicinfo.add_suffix(&switch);
    comicinfo.set_activatable_widget(Some(&switch));
    group.add(&comicinfo);
    group
}

/// The publishers of the collection's catalog and the preference, as stored in the collection.
struct Editions {
    publishers: Vec<Publisher>,
    chosen: Option<i32>,
    learnt: Option<String>,
}

fn read_editions(database: &Path) -> Result<Editions, DbError> {
    let mut db = db::open_existing(database)?;
    let publishers = db.catalog_publishers()?;
    let chosen = db.chosen_preferred_publisher()?.map(|p| p.id_publisher);
    let learnt = match db.preferred_publisher()? {
        Some(preferred) if preferred.learnt => Some(preferred.publisher.name),
        _ => None,
    };
    Ok(Editions {
        publishers,
        chosen,
        learnt,
    })
}

/// Which edition to apply when one cover is in several volumes of the catalog: the one of a
/// publisher the user names, or (the first choice) the one learnt from their picks in review.
/// It is stored in the collection itself, read and written off the main thread.
fn editions_row(database: &str) -> adw::ComboRow {
    let row = adw::ComboRow::builder()
        .title(gettext("Preferred Edition"))
        .subtitle(gettext(
            "When one cover is in several editions, apply the one of this publisher",
        ))
        .sensitive(false)
        .build();
    let path = PathBuf::from(database);
    glib::spawn_future_local(glib::clone!(
        #[weak]
        row,
        async move {
            let read = {
                let path = path.clone();
                gio::spawn_blocking(move || read_editions(&path)).await
            };
            let editions = match read {
                Ok(Ok(editions)) => editions,
                Ok(Err(error)) => {
                    row.set_subtitle(&glib::markup_escape_text(&error.to_string()));
                    return;
                }
                Err(_) => return,
            };
            row.set_subtitle(&match &editions.learnt {
                Some(name) => fill(
                    &gettext("When one cover is in several editions, apply the one of this publisher. Automatic: learnt from your picks in review, {name} so far."),
                    &[("name", name)],
                ),
                None => gettext("When one cover is in several editions, apply the one of this publisher. Automatic: learnt from your picks in review."),
            });
            let mut labels = vec![gettext("Automatic")];
            labels.extend(editions.publishers.iter().map(|p| p.name.clone()));
            let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            row.set_model(Some(&gtk::StringList::new(&refs)));
            let selected = editions
                .chosen
                .and_then(|id| {
                    editions
                        .publishers
                        .iter()
                        .position(|p| p.id_publisher == id)
                })
                .map_or(0, |at| at + 1);
            row.set_selected(u32::try_from(selected).unwrap_or(0));
            row.set_sensitive(!editions.publishers.is_empty());
            let ids: Vec<i32> = editions.publishers.iter().map(|p| p.id_publisher).collect();
            row.connect_selected_notify(move |row| {
                let chosen = (row.selected() as usize)
                    .checked_sub(1)
                    .and_then(|at| ids.get(at).copied());
                let path = path.clone();
                glib::spawn_future_local(async move {
                    let saved = gio::spawn_blocking(move || {
                        db::open_existing(&path)?.set_preferred_publisher(chosen)
                    })
                    .await;
                    if let Ok(Err(error)) = saved {
                        tracing::warn!("cannot save the preferred edition: {error}");
                    }
                });
            });
        }
    ));
    row
}

fn thumbnails_row(window: &adw::PreferencesWindow, settings: &gio::Settings) -> adw::ActionRow {
    let row = adw::ActionRow::builder()
        .title(gettext("Thumbnails Folder"))
        .tooltip_text(gettext("Vistazo uses a new folder from its next start"))
        .build();
    update_thumbnails_subtitle(&row, &settings.string("thumbnails-folder"));
    let choose = gtk::Button::builder()
        .icon_name("folder-open-symbolic")
        .tooltip_text(gettext("Choose the Thumbnails Folder"))
        .valign(gtk::Align::Center)
        .css_classes(["flat"])
        .build();
    let reset = gtk::Button::builder()
        .icon_name("edit-clear-symbolic")
        .tooltip_text(gettext("Use the Folder the Database Names"))
        .valign(gtk::Align::Center)
        .css_classes(["flat"])
        .build();
    reset.set_sensitive(!settings.string("thumbnails-folder").is_empty());
    row.add_suffix(&choose);
    row.add_suffix(&reset);
    settings.connect_changed(
        Some("thumbnails-folder"),
        glib::clone!(
            #[weak]
            row,
            #[weak]
            reset,
            move |settings, key| {
                let value = settings.string(key);
                update_thumbnails_subtitle(&row, &value);
                reset.set_sensitive(!value.is_empty());
            }
        ),
    );
    reset.connect_clicked(glib::clone!(
        #[strong]
        settings,
        move |_| {
            if let Err(error) = settings.set_string("thumbnails-folder", "") {
                tracing::warn!("cannot reset the thumbnails folder: {error}");
            }
        }
    ));
    choose.connect_clicked(glib::clone!(
        #[weak]
        window,
        #[strong]
        settings,
        move |_| choose_folder(
            &window,
            &settings,
            "thumbnails-folder",
            &gettext("Choose the Thumbnails Folder")
        )
    ));
    row
}

fn update_thumbnails_subtitle(row: &adw::ActionRow, folder: &str) {
    if folder.is_empty() {
        row.set_subtitle(&gettext(
            "The folder the database names, as Babelcomics4 keeps it",
        ));
    } else {
        row.set_subtitle(&glib::markup_escape_text(folder));
    }
}

/// The ComicVine key: typed here, kept in the system keyring (or for this session only).
fn comicvine_group(window: &adw::PreferencesWindow) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("ComicVine"))
        .description(gettext("Checking the system keyring…"))
        .build();
    let entry = adw::PasswordEntryRow::builder()
        .title(gettext("API Key"))
        .show_apply_button(true)
        .build();
    let forget = gtk::Button::builder()
        .icon_name("user-trash-symbolic")
        .tooltip_text(gettext("Forget the Key"))
        .valign(gtk::Align::Center)
        .css_classes(["flat"])
        .build();
    entry.add_suffix(&forget);
    group.add(&entry);

    in_background(keyring::stored_key(false), {
        let group = group.clone();
        let entry = entry.clone();
        move |found| {
            if let Ok(Some(key)) = &found {
                entry.set_text(key.expose());
            }
            group.set_description(Some(&key_status(&found.map(|key| key.is_some()))));
        }
    });

    entry.connect_apply(glib::clone!(
        #[weak]
        group,
        #[weak]
        window,
        move |row| {
            let Some(key) = ApiKey::new(row.text().as_str()) else {
                return;
            };
            let kept = key.clone();
            in_background(
                async move { keyring::store_key(&key).await },
                move |stored| {
                    let toast = match stored {
                        Ok(()) => {
                            session_key::forget();
                            group.set_description(Some(&key_status(&Ok(true))));
                            gettext("The key is stored in the system keyring")
                        }
                        Err(error) => {
                            tracing::info!("the ComicVine key stays in memory: {error}");
                            session_key::remember(kept);
                            group.set_description(Some(&key_status(&Err(error))));
                            gettext("The key is kept until Vistazo closes")
                        }
                    };
                    window.add_toast(adw::Toast::new(&crate::ui::markup(&toast)));
                },
            );
        }
    ));
    forget.connect_clicked(glib::clone!(
        #[weak]
        group,
        #[weak]
        entry,
        move |_| {
            session_key::forget();
            entry.set_text("");
            in_background(keyring::forget_key(), move |forgotten| {
                let status = match forgotten {
                    Ok(()) => Ok(false),
                    Err(error) => Err(error),
                };
                group.set_description(Some(&key_status(&status)));
            });
        }
    ));
    group
}

/// What the ComicVine group says about where the key is: `Ok(true)` when the keyring holds
/// one, `Ok(false)` when it holds none, or why the keyring cannot be used.
fn key_status(keyring: &Result<bool, keyring::KeyringError>) -> String {
    let mut status = match keyring {
        Ok(true) => gettext("Your key is stored in the system keyring."),
        Ok(false) => gettext(
            "Get a free key from ComicVine’s API page and apply it here: Vistazo stores it in the system keyring.",
        ),
        Err(keyring::KeyringError::Locked) => {
            gettext("The system keyring is locked; it asks to be unlocked when you apply a key.")
        }
        Err(_) if session_key::is_kept() => gettext(
            "No system keyring is running here, so your key is kept only until Vistazo closes.",
        ),
        Err(_) => gettext(
            "No system keyring is running here: a key applied now is kept only until Vistazo closes.",
        ),
    };
    if std::env::var_os(catalog::KEY_VARIABLE).is_some() {
        status.push(' ');
        status.push_str(&fill(
            &gettext("{variable} is set and is used instead."),
            &[("variable", &catalog::KEY_VARIABLE)],
        ));
    }
    status
}

/// Runs `work` on the app's async runtime (the keyring needs one) and hands its result to
/// `done` on the main thread.
fn in_background<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
    done: impl FnOnce(T) + 'static,
) {
    let handle = relm4::spawn(work);
    relm4::spawn_local(async move {
        match handle.await {
            Ok(result) => done(result),
            Err(error) => tracing::warn!("the keyring request stopped: {error}"),
        }
    });
}

fn database_group(database: &str) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Database"))
        .description(gettext(
            "To work on another Babelcomics4 collection, choose Open Collection in the main menu.",
        ))
        .build();
    let row = adw::ActionRow::builder()
        .title(gettext("Location"))
        .subtitle(glib::markup_escape_text(database).as_str())
        .build();
    group.add(&row);
    group
}
