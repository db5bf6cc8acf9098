//! The Preferences window: where the model runs and which model it is, the default threshold
//! for suggestions, and where the database lives. Every row is bound to GSettings, so a change
//! is saved the moment it is made.

use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio, glib};

use crate::clip::{DevicePreference, RuntimeInfo};
use crate::i18n::{fill, gettext};

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
    page.add(&comics_group(context.settings));
    page.add(&database_group(context.database));
    window.add(&page);
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
        move |_| choose_model_folder(&window, &settings)
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

fn choose_model_folder(window: &adw::PreferencesWindow, settings: &gio::Settings) {
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Choose a Folder With a CLIP Model")),
        Some(window),
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Select")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    chooser.connect_response(glib::clone!(
        #[strong]
        settings,
        move |chooser, response| {
            if response == gtk::ResponseType::Accept
                && let Some(path) = chooser.file().and_then(|file| file.path())
                && let Err(error) = settings.set_string("model-folder", &path.to_string_lossy())
            {
                tracing::warn!("cannot save the model folder: {error}");
            }
            chooser.destroy();
        }
    ));
    chooser.show();
}

fn runtime_summary(runtime: Option<&RuntimeInfo>) -> String {
    match runtime {
        None => gettext("Checking what this computer offers…"),
        Some(info) if info.cuda_available => fill(
            &gettext("Detected: CUDA with {} devices · libtorch {}"),
            &[&info.cuda_devices, &info.libtorch_version],
        ),
        Some(info) => fill(
            &gettext("Detected: processor only, {} threads · libtorch {}"),
            &[&info.cpu_threads, &info.libtorch_version],
        ),
    }
}

fn comics_group(settings: &gio::Settings) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Comics"))
        .build();
    let threshold = adw::ActionRow::builder()
        .title(gettext("Default Threshold"))
        .subtitle(gettext(
            "Suggestions at or above this similarity can be applied without asking",
        ))
        .build();
    let spin = gtk::SpinButton::with_range(0.5, 0.99, 0.01);
    spin.set_digits(2);
    spin.set_valign(gtk::Align::Center);
    settings.bind("default-threshold", &spin, "value").build();
    threshold.add_suffix(&spin);
    threshold.set_activatable_widget(Some(&spin));
    group.add(&threshold);
    group
}

fn database_group(database: &str) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Database"))
        .description(gettext(
            "To work on a Babelcomics4 collection, start Vistazo with --db pointing to its data/babelcomics.db.",
        ))
        .build();
    let row = adw::ActionRow::builder()
        .title(gettext("Location"))
        .subtitle(glib::markup_escape_text(database).as_str())
        .build();
    group.add(&row);
    group
}
