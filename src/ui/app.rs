//! The main window: a header bar with a view switcher, a page for comics and one for
//! interiors, and the primary menu. It starts the backend worker and shows what it reports.

mod menu;

use self::menu::{
    accept_drops, add_page_shortcuts, choose_collection, primary_menu, register_actions,
};
use relm4::WorkerController;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio, glib};
use relm4::prelude::*;

use std::path::{Path, PathBuf};

use super::backend::{Backend, BackendInput, BackendOutput, OpenMode};
use super::catalog::store::CatalogStoreInit;
use super::catalog::{CatalogDialog, CatalogMsg, CatalogOutput};
use super::collection_file::OpenCollection;
use super::comics::{ComicsInit, ComicsMsg, ComicsOutput, ComicsPage};
use super::engine::{ModelChoice, ModelOverrides, SharedEngine};
use super::interiors::labels::LabelInput;
use super::interiors::{InteriorsInit, InteriorsMsg, InteriorsOutput, InteriorsPage};
use super::review::store::{ReviewStoreInit, ReviewStoreInput};
use super::review::{ReviewInit, ReviewMsg, ReviewOutput, ReviewPage};
use super::settings::SharedSettings;
use super::{Page, StartOptions, about, preferences};
use crate::clip::RuntimeInfo;
use crate::config;
use crate::db::CollectionSummary;
use crate::db::discovery;
use crate::i18n::gettext;
use crate::interiors::rounds::InteriorsSummary;

pub struct Init {
    pub options: StartOptions,
    pub settings: gio::Settings,
}

/// Collections the Recent menu lists at most, besides the open one.
const RECENT_SHOWN: usize = 8;
/// The GSettings key with the collections opened last, newest first.
const RECENT_KEY: &str = "recent-collections";

pub struct App {
    settings: gio::Settings,
    backend: WorkerController<Backend>,
    /// The collection every worker works on.
    collection: OpenCollection,
    /// The collection open now, once the backend has opened one.
    opened: Option<PathBuf>,
    window: adw::ApplicationWindow,
    title: adw::ViewSwitcherTitle,
    /// The open collection, at the start of the header bar while the view switcher is shown.
    collection_title: adw::WindowTitle,
    /// The Recent submenu's items.
    recent_menu: gio::Menu,
    /// The Open or New Collection dialog while it is open: GTK does not keep native dialogs
    /// alive.
    chooser: Option<gtk::FileChooserNative>,
    summary: Option<CollectionSummary>,
    interiors: Option<InteriorsSummary>,
    interiors_page: Controller<InteriorsPage>,
    review: Controller<ReviewPage>,
    catalog: Controller<CatalogDialog>,
    /// The top-level pages, to switch to the review and back.
    pages: Option<adw::ViewStack>,
    comics: Controller<ComicsPage>,
    /// Open the labeling view as soon as the database is open (`gui --page label`).
    label_on_open: bool,
    runtime: Option<RuntimeInfo>,
    toasts: adw::ToastOverlay,
}

#[derive(Debug)]
pub enum AppMsg {
    /// Another program holds the collection; a job waits for it.
    CollectionBusy,
    /// Open this collection file, asking first when a job runs.
    OpenCollection(PathBuf, OpenMode),
    /// Open it, stopping the jobs that run.
    OpenConfirmed(PathBuf, OpenMode),
    /// Show the dialog to choose a collection file to open (`New`: where to create one).
    ChooseCollection(OpenMode),
    /// The collection dialog closed, with the file chosen if any.
    CollectionChosen(Option<PathBuf>, OpenMode),
    /// Files dropped on the window.
    Dropped(Vec<PathBuf>),
    ShowPreferences,
    ShowCatalog,
    ShowAbout,
    /// Count the collection again: another program (Babelcomics4) may have changed it.
    Refresh,
    Interiors(InteriorsOutput),
    Catalog(CatalogOutput),
    /// Show the review of suggestions.
    OpenReview,
    /// The review page became the visible one.
    ReviewShown,
    Review(ReviewOutput),
    Comics(ComicsOutput),
    Backend(BackendOutput),
}

#[relm4::component(pub)]
impl SimpleComponent for App {
    type Init = Init;
    type Input = AppMsg;
    type Output = ();

    view! {
        #[root]
        main_window = adw::ApplicationWindow {
            set_title: Some("Vistazo"),
            set_width_request: 360,
            set_height_request: 294,

            gtk::Box {
                set_orientation: gtk::Orientation::Vertical,

                adw::HeaderBar {
                    set_title_widget: Some(switcher_title),
                    // While the switcher takes the title's place, the collection is named here.
                    pack_start: collection_title,

                    pack_end = &gtk::MenuButton {
                        set_icon_name: "open-menu-symbolic",
                        set_tooltip_text: Some(&gettext("Main Menu")),
                        set_primary: true,
                        set_menu_model: Some(&primary_menu(&model.recent_menu)),
                    },
                },

                #[local_ref]
                toasts -> adw::ToastOverlay {
                    set_vexpand: true,

                    #[name = "stack"]
                    adw::ViewStack {
                        add_titled_with_icon[Some("comics"), &gettext("Comics"), "view-grid-symbolic"] = model.comics.widget(),
                        add_titled_with_icon[Some("review"), &gettext("Review"), "object-select-symbolic"] = model.review.widget(),
                        add_titled_with_icon[Some("interiors"), &gettext("Interiors"), "camera-photo-symbolic"] = model.interiors_page.widget(),
                    },
                },

                #[name = "switcher_bar"]
                adw::ViewSwitcherBar {},
            },
        }
    }

    fn init(init: Init, root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let Init { options, settings } = init;
        {
            let sender = sender.input_sender().clone();
            crate::db::busy::on_every_long_wait(move || sender.emit(AppMsg::CollectionBusy));
        }
        let collection = OpenCollection::new(options.database.clone());
        let engine = shared_engine(&options, &settings);
        let backend = Backend::builder()
            .detach_worker(())
            .forward(sender.input_sender(), AppMsg::Backend);
        let interiors_page = InteriorsPage::builder()
            .launch(InteriorsInit {
                collection: collection.clone(),
                engine: engine.clone(),
            })
            .forward(sender.input_sender(), AppMsg::Interiors);
        // One thumbnails folder for every page and job: `--thumbnails`, else the one
        // Preferences names when the job starts, else the database's own; a scan writes where
        // the review looks.
        let collection_settings = SharedSettings::follow(&settings, options.thumbnails.clone());
        let comics = ComicsPage::builder()
            .launch(ComicsInit {
                collection: collection.clone(),
                settings: settings.clone(),
                engine: engine.clone(),
                collection_settings: collection_settings.clone(),
            })
            .forward(sender.input_sender(), AppMsg::Comics);
        backend.emit(BackendInput::Open(
            options.database.clone(),
            options.open_mode,
        ));
        backend.emit(BackendInput::DetectRuntime);
        let review = ReviewPage::builder()
            .launch(ReviewInit {
                store: ReviewStoreInit {
                    collection: collection.clone(),
                    settings: collection_settings.clone(),
                },
                settings: settings.clone(),
            })
            .forward(sender.input_sender(), AppMsg::Review);
        let catalog = CatalogDialog::builder()
            .launch(CatalogStoreInit {
                collection: collection.clone(),
                engine: engine.clone(),
                settings: collection_settings,
            })
            .forward(sender.input_sender(), AppMsg::Catalog);

        let mut model = App {
            settings: settings.clone(),
            backend,
            collection,
            opened: None,
            window: root.clone(),
            title: adw::ViewSwitcherTitle::new(),
            collection_title: adw::WindowTitle::new("", ""),
            recent_menu: gio::Menu::new(),
            chooser: None,
            summary: None,
            interiors: None,
            interiors_page,
            review,
            catalog,
            pages: None,
            comics,
            label_on_open: options.page == Some(Page::Label),
            runtime: None,
            toasts: adw::ToastOverlay::new(),
        };
        model.show_recent();
        let toasts = &model.toasts;
        let switcher_title = &model.title;
        switcher_title.set_title("Vistazo");
        let collection_title = &model.collection_title;
        switcher_title
            .bind_property("title-visible", collection_title, "visible")
            .invert_boolean()
            .sync_create()
            .build();
        let widgets = view_output!();
        model.pages = Some(widgets.stack.clone());

        switcher_title.set_stack(Some(&widgets.stack));
        widgets.switcher_bar.set_stack(Some(&widgets.stack));
        switcher_title
            .bind_property("title-visible", &widgets.switcher_bar, "reveal")
            .sync_create()
            .build();

        restore_window_state(&root, &settings);
        // Every control gets the name a sighted person reads on it, once the pages are built.
        glib::idle_add_local_once(glib::clone!(
            #[weak]
            root,
            move || super::accessible::name_controls(&root)
        ));
        let first_page = match options.page {
            Some(Page::Comics) => "comics".to_owned(),
            Some(Page::Review) => "review".to_owned(),
            Some(Page::Interiors | Page::Label) => "interiors".to_owned(),
            None => settings.string("last-page").to_string(),
        };
        if widgets.stack.child_by_name(&first_page).is_some() {
            widgets.stack.set_visible_child_name(&first_page);
        }
        widgets
            .stack
            .connect_visible_child_name_notify(glib::clone!(
                #[strong]
                sender,
                move |stack| {
                    if stack.visible_child_name().as_deref() == Some("review") {
                        sender.input(AppMsg::ReviewShown);
                    }
                }
            ));
        let labels_sender = model.interiors_page.model().label_sender();
        let review_sender = model.review.model().store_sender();
        root.connect_close_request(glib::clone!(
            #[strong]
            settings,
            #[strong]
            labels_sender,
            #[strong]
            review_sender,
            #[weak(rename_to = stack)]
            widgets.stack,
            #[upgrade_or]
            glib::Propagation::Proceed,
            move |window| {
                save_window_state(window, &settings);
                // Labels are saved as they come; let the last ones reach the database before
                // the process ends, waiting a moment at most.
                let (done, finished) = std::sync::mpsc::channel();
                if labels_sender.send(LabelInput::Flush(done)).is_ok()
                    && finished
                        .recv_timeout(std::time::Duration::from_secs(3))
                        .is_err()
                {
                    tracing::warn!("the database was still busy when the window closed");
                }
                let (done, finished) = std::sync::mpsc::channel();
                if review_sender.send(ReviewStoreInput::Flush(done)).is_ok()
                    && finished
                        .recv_timeout(std::time::Duration::from_secs(3))
                        .is_err()
                {
                    tracing::warn!("the review was still saving when the window closed");
                }
                if let Some(name) = stack.visible_child_name()
                    && let Err(error) = settings.set_string("last-page", &name)
                {
                    tracing::warn!("cannot save the last page: {error}");
                }
                glib::Propagation::Proceed
            }
        ));
        root.connect_is_active_notify(glib::clone!(
            #[strong]
            sender,
            move |window| {
                if window.is_active() {
                    sender.input(AppMsg::Refresh);
                }
            }
        ));
        if config::is_devel() {
            root.add_css_class("devel");
        }

        register_actions(&root, &sender);
        add_page_shortcuts(&root, &widgets.stack);
        accept_drops(&root, &sender);
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: AppMsg, sender: ComponentSender<Self>) {
        match message {
            AppMsg::CollectionBusy => {
                let toast = adw::Toast::builder()
                    .title(gettext("Waiting for another program using the collection…"))
                    .timeout(10)
                    .build();
                self.toasts.add_toast(toast);
            }
            AppMsg::OpenCollection(path, mode) => self.ask_to_open(path, mode, &sender),
            AppMsg::OpenConfirmed(path, mode) => self.open(path, mode),
            AppMsg::ChooseCollection(mode) => {
                if self.chooser.is_none() {
                    self.chooser = Some(choose_collection(&self.window, mode, &sender));
                }
            }
            AppMsg::CollectionChosen(path, mode) => {
                if let Some(chooser) = self.chooser.take() {
                    chooser.destroy();
                }
                if let Some(path) = path {
                    self.ask_to_open(path, mode, &sender);
                }
            }
            AppMsg::Dropped(paths) => self.dropped(paths, &sender),
            AppMsg::ShowPreferences => {
                if let Some(window) = relm4::main_application().active_window() {
                    preferences::present(
                        &window,
                        &preferences::PreferencesContext {
                            settings: &self.settings,
                            runtime: self.runtime.as_ref(),
                            database: &self
                                .opened
                                .as_deref()
                                .unwrap_or(&self.collection.path())
                                .display()
                                .to_string(),
                        },
                    );
                }
            }
            AppMsg::ShowCatalog => self.catalog.emit(CatalogMsg::Show),
            AppMsg::ShowAbout => {
                if let Some(window) = relm4::main_application().active_window() {
                    about::present(&window);
                }
            }
            AppMsg::Refresh => {
                if self.summary.is_some() {
                    self.backend.emit(BackendInput::Refresh);
                    self.comics.emit(ComicsMsg::Refresh);
                }
            }
            AppMsg::Catalog(CatalogOutput::Changed) => {
                if self.summary.is_some() {
                    self.backend.emit(BackendInput::Refresh);
                    self.comics.emit(ComicsMsg::Refresh);
                    self.review.emit(ReviewMsg::Reload);
                }
            }
            AppMsg::Interiors(InteriorsOutput::Changed) => self.backend.emit(BackendInput::Refresh),
            AppMsg::Interiors(InteriorsOutput::Toast(message)) => {
                self.toasts
                    .add_toast(adw::Toast::new(&crate::ui::markup(&message)));
            }
            AppMsg::Interiors(InteriorsOutput::Failed(error)) => {
                self.toasts.add_toast(error.toast());
            }
            AppMsg::Comics(ComicsOutput::ReviewRequested) => self.show_page("review"),
            AppMsg::Comics(ComicsOutput::OpenCollection(path)) => {
                self.ask_to_open(path, OpenMode::Existing, &sender);
            }
            AppMsg::OpenReview => self.show_page("review"),
            AppMsg::ReviewShown => {
                // The review reads the database once the backend has opened (and migrated) it.
                if self.summary.is_some() {
                    self.review.emit(ReviewMsg::Reload);
                }
                self.review.widget().grab_focus();
            }
            AppMsg::Review(ReviewOutput::Leave) => self.show_page("comics"),
            AppMsg::Review(ReviewOutput::FindSimilar(comic_id)) => {
                self.show_page("comics");
                self.comics.emit(ComicsMsg::FindSimilar(comic_id));
            }
            AppMsg::Review(ReviewOutput::Changed) => self.backend.emit(BackendInput::Refresh),
            AppMsg::Review(ReviewOutput::SearchCatalog(query)) => {
                self.catalog.emit(CatalogMsg::ShowSearch(query));
            }
            AppMsg::Backend(BackendOutput::Opened {
                path,
                summary,
                interiors,
            }) => {
                let switched = self.opened.is_some();
                self.collection.switch(path.clone());
                self.show_collection(&path);
                self.opened = Some(path.clone());
                self.remember(&path);
                self.summary = Some(summary);
                if switched {
                    self.interiors_page.emit(InteriorsMsg::CollectionSwitched);
                    self.catalog.emit(CatalogMsg::CollectionSwitched);
                    self.review.emit(ReviewMsg::Reload);
                }
                self.set_interiors(interiors);
                self.comics.emit(ComicsMsg::DatabaseOpened);
                if summary.comics == 0 {
                    self.backend.emit(BackendInput::FindCollections);
                }
                if std::mem::take(&mut self.label_on_open) {
                    self.interiors_page.emit(InteriorsMsg::StartLabeling);
                }
                if self.visible_page().as_deref() == Some("review") {
                    self.review.emit(ReviewMsg::Reload);
                    self.review.widget().grab_focus();
                }
            }
            AppMsg::Backend(BackendOutput::Summary(summary, interiors)) => {
                self.summary = Some(summary);
                self.set_interiors(interiors);
            }
            AppMsg::Backend(BackendOutput::Runtime(runtime)) => self.runtime = Some(runtime),
            AppMsg::Backend(BackendOutput::Found(found)) => {
                self.comics.emit(ComicsMsg::Found(found));
            }
            AppMsg::Backend(BackendOutput::OpenFailed { path, reason }) => {
                self.cannot_open(&path, &reason);
            }
            AppMsg::Backend(BackendOutput::Failed(reason)) => {
                self.toasts.add_toast(reason.toast());
            }
        }
    }
}

impl App {
    /// Opens `path` in place of the collection open now; when a job runs, asks first whether to
    /// stop it.
    fn ask_to_open(&mut self, path: PathBuf, mode: OpenMode, sender: &ComponentSender<Self>) {
        if mode != OpenMode::New && self.opened.as_deref() == Some(path.as_path()) {
            self.window.present();
            return;
        }
        if !self.busy() {
            self.open(path, mode);
            return;
        }
        let dialog = adw::MessageDialog::builder()
            .transient_for(&self.window)
            .modal(true)
            .title(gettext("Stop the Running Job?"))
            .heading(gettext("Stop the Running Job?"))
            .body(crate::i18n::fill(
                &gettext(
                    "Opening {name} stops the job running in this collection first. What it has done so far is kept, and it goes on from there the next time.",
                ),
                &[("name", &file_name(&path))],
            ))
            .build();
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("open", &gettext("_Stop and Open"));
        dialog.set_response_appearance("open", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let sender = sender.clone();
        dialog.connect_response(None, move |_, response| {
            if response == "open" {
                sender.input(AppMsg::OpenConfirmed(path.clone(), mode));
            }
        });
        crate::ui::accessible::present(&dialog);
    }

    /// Stops the jobs that run and asks the backend to open `path`; the workers follow once it
    /// is open ([`BackendOutput::Opened`]).
    fn open(&mut self, path: PathBuf, mode: OpenMode) {
        self.comics.emit(ComicsMsg::Cancel);
        self.interiors_page.emit(InteriorsMsg::Cancel);
        self.catalog.emit(CatalogMsg::Cancel);
        self.backend.emit(BackendInput::Open(path, mode));
    }

    /// Whether a job runs that opening another collection would stop.
    fn busy(&self) -> bool {
        self.comics.model().busy()
            || self.interiors_page.model().busy()
            || self.catalog.model().busy()
    }

    /// A collection file dropped on the window is opened; folders dropped on the Comics page
    /// are added to the collection, and photos or folders dropped on the Interiors page are
    /// imported.
    fn dropped(&mut self, paths: Vec<PathBuf>, sender: &ComponentSender<Self>) {
        if let Some(database) = paths
            .iter()
            .find(|path| path.is_file() && discovery::is_sqlite_file(path).unwrap_or(false))
        {
            self.ask_to_open(database.clone(), OpenMode::Existing, sender);
            return;
        }
        match self.visible_page().as_deref() {
            Some("interiors") => self.interiors_page.emit(InteriorsMsg::Import(paths)),
            _ => {
                let folders: Vec<PathBuf> = paths.into_iter().filter(|p| p.is_dir()).collect();
                if folders.is_empty() {
                    self.toasts.add_toast(adw::Toast::new(&crate::ui::markup(&gettext(
                        "Drop a folder of comics here to add it, or a collection file to open it",
                    ))));
                    return;
                }
                self.show_page("comics");
                self.comics.emit(ComicsMsg::FoldersDropped(folders));
            }
        }
    }

    /// The window's title names the open collection; the header shows its folder.
    fn show_collection(&self, path: &Path) {
        let name = file_name(path);
        self.window.set_title(Some(&crate::i18n::fill(
            &gettext("{name} — Vistazo"),
            &[("name", &name)],
        )));
        let folder = path.parent().map(super::display_path).unwrap_or_default();
        let full = super::display_path(path);
        self.title.set_title(&name);
        self.title.set_subtitle(&folder);
        self.title.set_tooltip_text(Some(&full));
        self.collection_title.set_title(&name);
        self.collection_title.set_subtitle(&folder);
        self.collection_title.set_tooltip_text(Some(&full));
    }

    /// Puts `path` first in the recent collections.
    fn remember(&self, path: &Path) {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        let path = path.to_string_lossy().into_owned();
        let mut recent: Vec<String> = self
            .settings
            .strv(RECENT_KEY)
            .iter()
            .map(|item| item.to_string())
            .filter(|item| *item != path)
            .collect();
        recent.insert(0, path);
        recent.truncate(RECENT_SHOWN + 1);
        let recent: Vec<&str> = recent.iter().map(String::as_str).collect();
        if let Err(error) = self.settings.set_strv(RECENT_KEY, recent.as_slice()) {
            tracing::warn!("cannot remember the recent collections: {error}");
        }
        self.show_recent();
    }

    /// Fills the Recent submenu: the collections opened before that still exist, but the one
    /// open now.
    fn show_recent(&self) {
        self.recent_menu.remove_all();
        let open_now = self
            .opened
            .as_deref()
            .map(|path| path.canonicalize().unwrap_or_else(|_| path.to_owned()));
        let recent = self.settings.strv(RECENT_KEY);
        let shown = recent
            .iter()
            .map(|item| PathBuf::from(item.as_str()))
            .filter(|path| path.is_file() && Some(path) != open_now.as_ref())
            .take(RECENT_SHOWN);
        for path in shown {
            let label = crate::i18n::fill(
                &gettext("{name} in {folder}"),
                &[
                    ("name", &file_name(&path)),
                    ("folder", &super::collection_folder_name(&path)),
                ],
            )
            // A menu label's underscores mark its access key.
            .replace('_', "__");
            let item = gio::MenuItem::new(Some(&label), None);
            item.set_action_and_target_value(
                Some("app.open-file"),
                Some(&path.to_string_lossy().to_variant()),
            );
            self.recent_menu.append_item(&item);
        }
    }

    /// Says why `path` could not be opened; the collection open before stays open.
    fn cannot_open(&self, path: &Path, reason: &str) {
        if self.opened.is_none() {
            let toast = adw::Toast::builder()
                .title(super::markup(reason))
                .timeout(0)
                .build();
            self.toasts.add_toast(toast);
            // Nothing is open yet: the app's own collection instead.
            if let Some(default) = crate::db::default_path().filter(|default| default != path) {
                self.backend
                    .emit(BackendInput::Open(default, OpenMode::Start));
            }
            return;
        }
        let dialog = adw::MessageDialog::builder()
            .transient_for(&self.window)
            .modal(true)
            .title(gettext("Cannot Open the Collection"))
            .heading(gettext("Cannot Open the Collection"))
            .body(crate::i18n::fill(
                &gettext("{error}\n\nThe collection {name} is still open."),
                &[
                    ("error", &reason),
                    (
                        "name",
                        &self.opened.as_deref().map(file_name).unwrap_or_default(),
                    ),
                ],
            ))
            .build();
        tracing::debug!("cannot open {}: {reason}", path.display());
        dialog.add_response("close", &gettext("_Close"));
        crate::ui::accessible::present(&dialog);
    }

    fn set_interiors(&mut self, interiors: InteriorsSummary) {
        self.interiors = Some(interiors);
        self.interiors_page.emit(InteriorsMsg::Summary(interiors));
    }

    fn show_page(&self, name: &str) {
        if let Some(pages) = &self.pages {
            pages.set_visible_child_name(name);
        }
    }

    fn visible_page(&self) -> Option<String> {
        self.pages
            .as_ref()
            .and_then(|pages| pages.visible_child_name())
            .map(|name| name.to_string())
    }
}

/// A collection file's name, as the title shows it.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The app's one CLIP engine, following the model and device chosen in Preferences (unless
/// `--model` or `--device` fixed them for this run).
fn shared_engine(options: &StartOptions, settings: &gio::Settings) -> SharedEngine {
    let overrides = ModelOverrides {
        folder: options.model.clone(),
        device: options.device,
    };
    let engine = SharedEngine::new(ModelChoice::current(&overrides, settings));
    for key in ["model-folder", "device"] {
        let engine = engine.clone();
        let overrides = overrides.clone();
        settings.connect_changed(Some(key), move |settings, _| {
            engine.set_choice(ModelChoice::current(&overrides, settings));
        });
    }
    engine
}

fn restore_window_state(window: &adw::ApplicationWindow, settings: &gio::Settings) {
    window.set_default_size(settings.int("window-width"), settings.int("window-height"));
    if settings.boolean("window-maximized") {
        window.maximize();
    }
}

fn save_window_state(window: &adw::ApplicationWindow, settings: &gio::Settings) {
    let (width, height) = window.default_size();
    let results = [
        settings.set_int("window-width", width),
        settings.set_int("window-height", height),
        settings.set_boolean("window-maximized", window.is_maximized()),
    ];
    for error in results.into_iter().filter_map(Result::err) {
        tracing::warn!("cannot save the window size: {error}");
    }
}
