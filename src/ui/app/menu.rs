//! The window's menu and actions: the primary menu, the application-wide actions with their
//! shortcuts, the page shortcuts, the dialog to choose a collection, and dropping files on the
//! window.

use std::path::PathBuf;

use relm4::ComponentSender;
use relm4::actions::{AccelsPlus, RelmAction, RelmActionGroup};
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};

use super::{App, AppMsg};
use crate::i18n::gettext;
use crate::ui::backend::OpenMode;

// Application-wide actions. The window keeps GTK's own "win" group (it provides
// win.show-help-overlay) and "window" group (window.close).
relm4::new_action_group!(AppActions, "app");
relm4::new_stateless_action!(PreferencesAction, AppActions, "preferences");
relm4::new_stateless_action!(AboutAction, AppActions, "about");
relm4::new_stateless_action!(QuitAction, AppActions, "quit");
// Opens the review of suggestions, for buttons elsewhere (action name "app.review").
relm4::new_stateless_action!(ReviewAction, AppActions, "review");
relm4::new_stateless_action!(CatalogAction, AppActions, "catalog");
relm4::new_stateless_action!(OpenCollectionAction, AppActions, "open-collection");
relm4::new_stateless_action!(NewCollectionAction, AppActions, "new-collection");
// Opens the collection file it is given: the Recent menu, and `vistazo FILE.db` while the app
// runs (the second process activates it in this one).
relm4::new_stateful_action!(OpenFileAction, AppActions, "open-file", String, ());

/// Shows the dialog to choose a collection to open (`New`: where to create a new one); the
/// answer comes back as [`AppMsg::CollectionChosen`]. The caller keeps the dialog until then.
pub(super) fn choose_collection(
    window: &adw::ApplicationWindow,
    mode: OpenMode,
    sender: &ComponentSender<App>,
) -> gtk::FileChooserNative {
    let (title, action, accept) = match mode {
        OpenMode::New => (
            gettext("New Collection"),
            gtk::FileChooserAction::Save,
            gettext("_Create"),
        ),
        OpenMode::Start | OpenMode::Existing => (
            gettext("Open a Collection"),
            gtk::FileChooserAction::Open,
            gettext("_Open"),
        ),
    };
    let chooser = gtk::FileChooserNative::new(
        Some(&title),
        Some(window),
        action,
        Some(&accept),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    if mode == OpenMode::New {
        chooser.set_current_name(&gettext("Comics.db"));
    } else {
        let collections = gtk::FileFilter::new();
        collections.set_name(Some(&gettext("Collections (SQLite databases)")));
        for mime in ["application/vnd.sqlite3", "application/x-sqlite3"] {
            collections.add_mime_type(mime);
        }
        for pattern in ["*.db", "*.sqlite", "*.sqlite3"] {
            collections.add_pattern(pattern);
        }
        let everything = gtk::FileFilter::new();
        everything.set_name(Some(&gettext("All Files")));
        everything.add_pattern("*");
        chooser.add_filter(&collections);
        chooser.add_filter(&everything);
    }
    let sender = sender.clone();
    chooser.connect_response(move |chooser, response| {
        let path = (response == gtk::ResponseType::Accept)
            .then(|| chooser.file().and_then(|file| file.path()))
            .flatten();
        sender.input(AppMsg::CollectionChosen(path, mode));
    });
    chooser.show();
    chooser
}

/// Files dropped anywhere on the window go to [`App::dropped`].
pub(super) fn accept_drops(window: &adw::ApplicationWindow, sender: &ComponentSender<App>) {
    let target = gtk::DropTarget::new(
        gtk::gdk::FileList::static_type(),
        gtk::gdk::DragAction::COPY,
    );
    let sender = sender.clone();
    target.connect_drop(move |_, value, _, _| {
        let Ok(files) = value.get::<gtk::gdk::FileList>() else {
            return false;
        };
        let paths: Vec<PathBuf> = files
            .files()
            .iter()
            .filter_map(|file| file.path())
            .collect();
        if paths.is_empty() {
            return false;
        }
        sender.input(AppMsg::Dropped(paths));
        true
    });
    window.add_controller(target);
}

pub(super) fn primary_menu(recent: &gio::Menu) -> gio::Menu {
    let menu = gio::Menu::new();
    let collections = gio::Menu::new();
    collections.append(
        Some(&gettext("_Open Collection…")),
        Some("app.open-collection"),
    );
    collections.append(
        Some(&gettext("_New Collection…")),
        Some("app.new-collection"),
    );
    collections.append_submenu(Some(&gettext("_Recent")), recent);
    menu.append_section(None, &collections);
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

pub(super) fn register_actions(window: &adw::ApplicationWindow, sender: &ComponentSender<App>) {
    let application = relm4::main_application();
    application.set_accelerators_for_action::<PreferencesAction>(&["<Control>comma"]);
    application.set_accelerators_for_action::<QuitAction>(&["<Control>q"]);
    application.set_accels_for_action("window.close", &["<Control>w"]);
    application.set_accelerators_for_action::<OpenCollectionAction>(&["<Control>o"]);
    application.set_accelerators_for_action::<NewCollectionAction>(&["<Control>n"]);
    let open: RelmAction<OpenCollectionAction> = RelmAction::new_stateless(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(AppMsg::ChooseCollection(OpenMode::Existing))
    ));
    let new: RelmAction<NewCollectionAction> = RelmAction::new_stateless(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(AppMsg::ChooseCollection(OpenMode::New))
    ));
    let open_file: RelmAction<OpenFileAction> = RelmAction::new_with_target_value(glib::clone!(
        #[strong]
        sender,
        #[weak]
        window,
        move |_, path: String| {
            window.present();
            sender.input(AppMsg::OpenCollection(
                PathBuf::from(path),
                OpenMode::Existing,
            ));
        }
    ));

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
    actions.add_action(open);
    actions.add_action(new);
    actions.add_action(open_file);
    actions.add_action(preferences);
    actions.add_action(about);
    actions.add_action(quit);
    actions.register_for_main_application();
}

/// Ctrl+1, Ctrl+2 and Ctrl+3 go to the Comics, Review and Interiors pages.
pub(super) fn add_page_shortcuts(window: &adw::ApplicationWindow, stack: &adw::ViewStack) {
    let controller = gtk::ShortcutController::new();
    controller.set_scope(gtk::ShortcutScope::Global);
    for (key, page) in [("1", "comics"), ("2", "review"), ("3", "interiors")] {
        let stack = stack.downgrade();
        let action = gtk::CallbackAction::new(move |_, _| {
            if let Some(stack) = stack.upgrade() {
                stack.set_visible_child_name(page);
            }
            glib::Propagation::Stop
        });
        controller.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string(&format!("<Control>{key}")),
            Some(action),
        ));
    }
    window.add_controller(controller);
}
