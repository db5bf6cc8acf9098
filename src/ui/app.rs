//! The main window: a header bar with a view switcher, a page for comics and one for
//! interiors, and the primary menu. It starts the backend worker and shows what it reports.

use relm4::WorkerController;
use relm4::actions::{AccelsPlus, RelmAction, RelmActionGroup};
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio, glib};
use relm4::prelude::*;

use super::backend::{Backend, BackendInput, BackendOutput};
use super::comics::{ComicsInit, ComicsMsg, ComicsOutput, ComicsPage};
use super::labeling::{LabelingMsg, LabelingOutput, LabelingView};
use super::{StartOptions, about, preferences};
use crate::cli::Page;
use crate::clip::RuntimeInfo;
use crate::config;
use crate::db::CollectionSummary;
use crate::i18n::{fill, gettext, ngettext};
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
    comics: Controller<ComicsPage>,
    labeling: Controller<LabelingView>,
    labeling_open: bool,
    /// A training or auto-labeling round is running in the backend.
    busy: bool,
    /// Open the labeling view as soon as the database is open (`gui --page label`).
    label_on_open: bool,
    runtime: Option<RuntimeInfo>,
    toasts: adw::ToastOverlay,
}

#[derive(Debug)]
pub enum AppMsg {
    ShowPreferences,
    ShowAbout,
    /// Count the collection again: another program (Babelcomics4) may have changed it.
    Refresh,
    StartLabeling,
    Train,
    AutoLabel,
    Labeling(LabelingOutput),
    Comics(ComicsOutput),
    Backend(BackendOutput),
}

// Application-wide actions. The window keeps GTK's own "win" group (it provides
// win.show-help-overlay) and "window" group (window.close).
relm4::new_action_group!(AppActions, "app");
relm4::new_stateless_action!(PreferencesAction, AppActions, "preferences");
relm4::new_stateless_action!(AboutAction, AppActions, "about");
relm4::new_stateless_action!(QuitAction, AppActions, "quit");

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
                        add_titled_with_icon[Some("interiors"), &gettext("Interiors"), "camera-photo-symbolic"] = &gtk::Stack {
                            set_transition_type: gtk::StackTransitionType::SlideLeftRight,

                            add_named[Some("overview")] = &adw::StatusPage {
                                set_icon_name: Some("camera-photo-symbolic"),
                                #[watch]
                                set_title: &interiors_title(model.interiors.as_ref()),
                                #[watch]
                                set_description: Some(&interiors_description(model.interiors.as_ref())),

                                #[wrap(Some)]
                                set_child = &gtk::Box {
                                    set_halign: gtk::Align::Center,
                                    set_spacing: 12,
                                    #[watch]
                                    set_visible: model.interiors.is_some_and(|i| i.photos > 0),

                                    gtk::Button {
                                        set_label: &gettext("Start Labeling"),
                                        add_css_class: "pill",
                                        add_css_class: "suggested-action",
                                        connect_clicked => AppMsg::StartLabeling,
                                    },
                                    gtk::Button {
                                        set_label: &gettext("Train"),
                                        set_tooltip_text: Some(&gettext("Learn from your labels")),
                                        add_css_class: "pill",
                                        #[watch]
                                        set_sensitive: !model.busy,
                                        connect_clicked => AppMsg::Train,
                                    },
                                    gtk::Button {
                                        set_label: &gettext("Auto-Label"),
                                        set_tooltip_text: Some(&gettext("Label the photos the model is sure of")),
                                        add_css_class: "pill",
                                        #[watch]
                                        set_sensitive: !model.busy && model.interiors.is_some_and(|i| i.rounds > 0),
                                        connect_clicked => AppMsg::AutoLabel,
                                    },
                                },
                            },
                            add_named[Some("labeling")] = model.labeling.widget(),
                            // After the children: the names must exist when this is first set.
                            #[watch]
                            set_visible_child_name: if model.labeling_open { "labeling" } else { "overview" },
                        },
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
        let comics = ComicsPage::builder()
            .launch(ComicsInit {
                database: options.database.clone(),
                settings: settings.clone(),
                model: options.model.clone(),
                device: options.device,
                thumbnails: options.thumbnails.clone(),
            })
            .forward(sender.input_sender(), AppMsg::Comics);
        let labeling = LabelingView::builder()
            .launch(())
            .forward(sender.input_sender(), AppMsg::Labeling);
        backend.emit(BackendInput::Open);
        backend.emit(BackendInput::DetectRuntime);

        let model = App {
            settings: settings.clone(),
            backend,
            database: options.database.display().to_string(),
            summary: None,
            interiors: None,
            comics,
            labeling,
            labeling_open: false,
            busy: false,
            label_on_open: options.page == Some(Page::Label),
            runtime: None,
            toasts: adw::ToastOverlay::new(),
        };
        let toasts = &model.toasts;
        let widgets = view_output!();

        widgets.switcher_title.set_stack(Some(&widgets.stack));
        widgets.switcher_bar.set_stack(Some(&widgets.stack));
        widgets
            .switcher_title
            .bind_property("title-visible", &widgets.switcher_bar, "reveal")
            .sync_create()
            .build();

        restore_window_state(&root, &settings);
        let first_page = match options.page {
            Some(Page::Comics | Page::Review) => "comics".to_owned(),
            Some(Page::Interiors | Page::Label) => "interiors".to_owned(),
            None => settings.string("last-page").to_string(),
        };
        if widgets.stack.child_by_name(&first_page).is_some() {
            widgets.stack.set_visible_child_name(&first_page);
        }
        let backend_sender = model.backend.sender().clone();
        root.connect_close_request(glib::clone!(
            #[strong]
            settings,
            #[strong]
            backend_sender,
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
            AppMsg::StartLabeling => self.backend.emit(BackendInput::LoadLabelingSession),
            AppMsg::Train => {
                self.busy = true;
                self.backend.emit(BackendInput::Train);
            }
            AppMsg::AutoLabel => {
                self.busy = true;
                self.backend.emit(BackendInput::AutoLabel);
            }
            AppMsg::Backend(BackendOutput::Done {
                message,
                comics,
                interiors,
            }) => {
                self.busy = false;
                self.summary = Some(comics);
                self.interiors = Some(interiors);
                self.toasts.add_toast(adw::Toast::new(&message));
            }
            AppMsg::Labeling(LabelingOutput::Save(change)) => {
                self.backend.emit(BackendInput::SaveLabel(change));
            }
            AppMsg::Labeling(LabelingOutput::Leave) => self.labeling_open = false,
            AppMsg::Comics(ComicsOutput::ReviewRequested) => {
                tracing::info!("the review of suggestions was asked for");
            }
            AppMsg::Backend(BackendOutput::LabelingSession(photos)) => {
                if photos.is_empty() {
                    self.toasts.add_toast(adw::Toast::new(&gettext(
                        "There are no photos to label yet",
                    )));
                } else {
                    self.labeling.emit(LabelingMsg::Start(photos));
                    self.labeling_open = true;
                    self.labeling.widget().grab_focus();
                }
            }
            AppMsg::Backend(BackendOutput::Opened {
                location,
                summary,
                interiors,
            }) => {
                self.database = location;
                self.summary = Some(summary);
                self.comics.emit(ComicsMsg::DatabaseOpened);
                self.interiors = Some(interiors);
                if std::mem::take(&mut self.label_on_open) {
                    self.backend.emit(BackendInput::LoadLabelingSession);
                }
            }
            AppMsg::Backend(BackendOutput::Summary(summary, interiors)) => {
                self.summary = Some(summary);
                self.interiors = Some(interiors);
            }
            AppMsg::Backend(BackendOutput::Runtime(runtime)) => self.runtime = Some(runtime),
            AppMsg::Backend(BackendOutput::Failed(reason)) => {
                self.busy = false;
                let toast = adw::Toast::builder().title(reason).timeout(0).build();
                self.toasts.add_toast(toast);
            }
        }
    }
}

fn primary_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let section = gio::Menu::new();
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
    let mut actions = RelmActionGroup::<AppActions>::new();
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

fn interiors_title(summary: Option<&InteriorsSummary>) -> String {
    match summary {
        Some(summary) if summary.photos > 0 => fill(
            &ngettext(
                "{} Photo of Interiors",
                "{} Photos of Interiors",
                u32::try_from(summary.photos).unwrap_or(u32::MAX),
            ),
            &[&summary.photos],
        ),
        _ => gettext("Score Photos of Interiors"),
    }
}

fn interiors_description(summary: Option<&InteriorsSummary>) -> String {
    match summary {
        Some(summary) if summary.photos > 0 => {
            let mut text = fill(
                &gettext("Your labels: {} bad, {} medium, {} good. Automatic labels: {}."),
                &[
                    &summary.human.bad,
                    &summary.human.medium,
                    &summary.human.good,
                    &(summary.auto.bad + summary.auto.medium + summary.auto.good),
                ],
            );
            if let Some(accuracy) = summary.accuracy {
                text.push(' ');
                text.push_str(&fill(
                    &gettext("The latest model rates {}% of your labels right."),
                    &[&format!("{:.0}", accuracy * 100.0)],
                ));
            }
            text
        }
        _ => gettext(
            "Import a folder of room photos and label a few of them with the keys 1, 2 and 3 (bad, medium, good). Vistazo learns from your labels and scores every photo from 0 to 100, with a short explanation.",
        ),
    }
}
