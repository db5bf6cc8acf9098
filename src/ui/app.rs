//! The main window: a header bar with a view switcher, a page for comics and one for
//! interiors, and the primary menu. It starts the backend worker and shows what it reports.

use relm4::WorkerController;
use relm4::actions::{AccelsPlus, RelmAction, RelmActionGroup};
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio, glib};
use relm4::prelude::*;

use super::backend::{Backend, BackendInput, BackendOutput};
use super::catalog_dialog::{CatalogDialog, CatalogMsg};
use super::catalog_store::CatalogStoreInit;
use super::comics::{ComicsInit, ComicsMsg, ComicsOutput, ComicsPage};
use super::interiors::{InteriorsInit, InteriorsMsg, InteriorsOutput, InteriorsPage};
use super::interiors_worker::ModelChoice;
use super::review::{ReviewInit, ReviewMsg, ReviewOutput, ReviewPage};
use super::review_store::{ReviewStoreInit, ReviewStoreInput};
use super::{StartOptions, about, preferences};
use crate::cli::Page;
use crate::clip::RuntimeInfo;
use crate::config;
use crate::db::CollectionSummary;
use crate::i18n::gettext;
use crate::interiors::rounds::InteriorsSummary;

pub struct Init {
    pub options: StartOptions,
    pub settings: gio::Settings,
}

pub struct App {
    settings: gio::Settings,
    backend: WorkerController<Backend>,
    database: String,
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
    ShowPreferences,
    ShowCatalog,
    ShowAbout,
    /// Count the collection again: another program (Babelcomics4) may have changed it.
    Refresh,
    Interiors(InteriorsOutput),
    /// Show the review of suggestions.
    OpenReview,
    /// The review page became the visible one.
    ReviewShown,
    Review(ReviewOutput),
    Comics(ComicsOutput),
    Backend(BackendOutput),
}

// Application-wide actions. The window keeps GTK's own "win" group (it provides
// win.show-help-overlay) and "window" group (window.close).
relm4::new_action_group!(AppActions, "app");
relm4::new_stateless_action!(PreferencesAction, AppActions, "preferences");
relm4::new_stateless_action!(AboutAction, AppActions, "about");
relm4::new_stateless_action!(QuitAction, AppActions, "quit");
// Opens the review of suggestions, for buttons elsewhere (action name "app.review").
relm4::new_stateless_action!(ReviewAction, AppActions, "review");
relm4::new_stateless_action!(CatalogAction, AppActions, "catalog");

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
                    #[wrap(Some)]
                    #[name = "switcher_title"]
                    set_title_widget = &adw::ViewSwitcherTitle {
                        set_title: "Vistazo",
                    },

                    pack_end = &gtk::MenuButton {
                        set_icon_name: "open-menu-symbolic",
                        set_tooltip_text: Some(&gettext("Main Menu")),
                        set_primary: true,
                        set_menu_model: Some(&primary_menu()),
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
        let backend = Backend::builder()
            .detach_worker(options.database.clone())
            .forward(sender.input_sender(), AppMsg::Backend);
        let interiors_page = InteriorsPage::builder()
            .launch(InteriorsInit {
                database: options.database.clone(),
                model: interiors_model(&options, &settings),
            })
            .forward(sender.input_sender(), AppMsg::Interiors);
        let comics = ComicsPage::builder()
            .launch(ComicsInit {
                database: options.database.clone(),
                settings: settings.clone(),
                model: options.model.clone(),
                device: options.device,
                thumbnails: options.thumbnails.clone(),
            })
            .forward(sender.input_sender(), AppMsg::Comics);
        backend.emit(BackendInput::Open);
        backend.emit(BackendInput::DetectRuntime);
        let chosen_thumbnails = settings.string("thumbnails-folder");
        let thumbnails = options.thumbnails.clone().or_else(|| {
            (!chosen_thumbnails.is_empty())
                .then(|| std::path::PathBuf::from(chosen_thumbnails.as_str()))
        });
        let review = ReviewPage::builder()
            .launch(ReviewInit {
                store: ReviewStoreInit {
                    database: options.database.clone(),
                    thumbnails: thumbnails.clone(),
                    write_comicinfo: write_comicinfo_preference(&settings),
                },
                settings: settings.clone(),
            })
            .forward(sender.input_sender(), AppMsg::Review);
        let catalog = CatalogDialog::builder()
            .launch(CatalogStoreInit {
                database: options.database.clone(),
                thumbnails,
            })
            .detach();

        let mut model = App {
            settings: settings.clone(),
            backend,
            database: options.database.display().to_string(),
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
        let toasts = &model.toasts;
        let widgets = view_output!();
        model.pages = Some(widgets.stack.clone());

        widgets.switcher_title.set_stack(Some(&widgets.stack));
        widgets.switcher_bar.set_stack(Some(&widgets.stack));
        widgets
            .switcher_title
            .bind_property("title-visible", &widgets.switcher_bar, "reveal")
            .sync_create()
            .build();

        restore_window_state(&root, &settings);
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
        let backend_sender = model.backend.sender().clone();
        let review_sender = model.review.model().store_sender();
        root.connect_close_request(glib::clone!(
            #[strong]
            settings,
            #[strong]
            backend_sender,
            #[strong]
            review_sender,
            #[weak(rename_to = stack)]
            widgets.stack,
            #[upgrade_or]
            glib::Propagation::Proceed,
            move |window| {
                save_window_state(window, &settings);
                // Labels are saved by the backend as they come; let it finish before the
                // process ends, waiting a moment at most.
                let (done, finished) = std::sync::mpsc::channel();
                if backend_sender.send(BackendInput::Flush(done)).is_ok()
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
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: AppMsg, _sender: ComponentSender<Self>) {
        match message {
            AppMsg::ShowPreferences => {
                if let Some(window) = relm4::main_application().active_window() {
                    preferences::present(
                        &window,
                        &preferences::PreferencesContext {
                            settings: &self.settings,
                            runtime: self.runtime.as_ref(),
                            database: &self.database,
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
            AppMsg::Interiors(InteriorsOutput::StartLabeling) => {
                self.backend.emit(BackendInput::LoadLabelingSession);
            }
            AppMsg::Interiors(InteriorsOutput::SaveLabel(change)) => {
                self.backend.emit(BackendInput::SaveLabel(change));
            }
            AppMsg::Interiors(InteriorsOutput::Train) => {
                self.interiors_page
                    .emit(InteriorsMsg::BackendWork(Some(gettext("Training…"))));
                self.backend.emit(BackendInput::Train);
            }
            AppMsg::Interiors(InteriorsOutput::AutoLabel) => {
                self.interiors_page
                    .emit(InteriorsMsg::BackendWork(Some(gettext(
                        "Labeling automatically…",
                    ))));
                self.backend.emit(BackendInput::AutoLabel);
            }
            AppMsg::Interiors(InteriorsOutput::Changed) => self.backend.emit(BackendInput::Refresh),
            AppMsg::Interiors(InteriorsOutput::Toast(message)) => {
                self.toasts.add_toast(adw::Toast::new(&message));
            }
            AppMsg::Backend(BackendOutput::Done {
                message,
                comics,
                interiors,
            }) => {
                self.summary = Some(comics);
                self.set_interiors(interiors);
                self.interiors_page.emit(InteriorsMsg::BackendWork(None));
                self.interiors_page.emit(InteriorsMsg::Rescore);
                self.toasts.add_toast(adw::Toast::new(&message));
            }
            AppMsg::Comics(ComicsOutput::ReviewRequested) => self.show_page("review"),
            AppMsg::OpenReview => self.show_page("review"),
            AppMsg::ReviewShown => {
                // The review reads the database once the backend has opened (and migrated) it.
                if self.summary.is_some() {
                    self.review.emit(ReviewMsg::Reload);
                }
                self.review.widget().grab_focus();
            }
            AppMsg::Review(ReviewOutput::Leave) => self.show_page("comics"),
            AppMsg::Review(ReviewOutput::Changed) => self.backend.emit(BackendInput::Refresh),
            AppMsg::Backend(BackendOutput::LabelingSession(photos)) => {
                self.interiors_page
                    .emit(InteriorsMsg::LabelingSession(photos));
            }
            AppMsg::Backend(BackendOutput::Opened {
                location,
                summary,
                interiors,
            }) => {
                self.database = location;
                self.summary = Some(summary);
                self.set_interiors(interiors);
                self.comics.emit(ComicsMsg::DatabaseOpened);
                if std::mem::take(&mut self.label_on_open) {
                    self.backend.emit(BackendInput::LoadLabelingSession);
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
            AppMsg::Backend(BackendOutput::Failed(reason)) => {
                self.interiors_page.emit(InteriorsMsg::BackendWork(None));
                let toast = adw::Toast::builder().title(reason).timeout(0).build();
                self.toasts.add_toast(toast);
            }
        }
    }
}

impl App {
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

/// The "Write ComicInfo.xml" preference, for the background workers, following changes.
fn write_comicinfo_preference(
    settings: &gio::Settings,
) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let flag = std::sync::Arc::new(AtomicBool::new(settings.boolean("write-comicinfo")));
    settings.connect_changed(
        Some("write-comicinfo"),
        glib::clone!(
            #[strong]
            flag,
            move |settings, key| flag.store(settings.boolean(key), Ordering::Relaxed)
        ),
    );
    flag
}

/// The model the interiors jobs load: `--model` and `--device`, else the preferences.
fn interiors_model(options: &StartOptions, settings: &gio::Settings) -> ModelChoice {
    let folder = options.model.clone().or_else(|| {
        let saved = settings.string("model-folder");
        (!saved.is_empty()).then(|| std::path::PathBuf::from(saved.as_str()))
    });
    let device = options
        .device
        .unwrap_or_else(|| settings.string("device").parse().unwrap_or_default());
    ModelChoice { folder, device }
}

fn primary_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let section = gio::Menu::new();
    section.append(Some(&gettext("_Catalog")), Some("app.catalog"));
    section.append(Some(&gettext("_Preferences")), Some("app.preferences"));
    section.append(
        Some(&gettext("_Keyboard Shortcuts")),
        Some("win.show-help-overlay"),
    );
    section.append(Some(&gettext("_About Vistazo")), Some("app.about"));
    menu.append_section(None, &section);
    menu
}

fn register_actions(window: &adw::ApplicationWindow, sender: &ComponentSender<App>) {
    let application = relm4::main_application();
    application.set_accelerators_for_action::<PreferencesAction>(&["<Control>comma"]);
    application.set_accelerators_for_action::<QuitAction>(&["<Control>q"]);
    application.set_accels_for_action("window.close", &["<Control>w"]);

    let preferences: RelmAction<PreferencesAction> = RelmAction::new_stateless(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(AppMsg::ShowPreferences)
    ));
    let about: RelmAction<AboutAction> = RelmAction::new_stateless(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(AppMsg::ShowAbout)
    ));
    // Quitting closes the window, so its size is saved like on any other close.
    let quit: RelmAction<QuitAction> = RelmAction::new_stateless(glib::clone!(
        #[weak]
        window,
        move |_| window.close()
    ));
    let review: RelmAction<ReviewAction> = RelmAction::new_stateless(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(AppMsg::OpenReview)
    ));
    let catalog: RelmAction<CatalogAction> = RelmAction::new_stateless(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(AppMsg::ShowCatalog)
    ));
    let mut actions = RelmActionGroup::<AppActions>::new();
    actions.add_action(review);
    actions.add_action(catalog);
    actions.add_action(preferences);
    actions.add_action(about);
    actions.add_action(quit);
    actions.register_for_main_application();
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
