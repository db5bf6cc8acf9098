//! The page's keyboard shortcuts and its folder dialog.

use relm4::ComponentSender;
use relm4::gtk::{self, glib, prelude::*};

use super::{ComicsMsg, ComicsPage};
use crate::i18n::gettext;

/// Shows a dialog asking for a folder of comics; the answer comes back as
/// [`ComicsMsg::FolderChosen`]. The caller keeps the dialog until then.
pub(super) fn choose_folder(
    window: Option<&gtk::Window>,
    sender: &ComponentSender<ComicsPage>,
) -> gtk::FileChooserNative {
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Add a Folder of Comics")),
        window,
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Add")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let sender = sender.clone();
    chooser.connect_response(move |chooser, response| {
        let folder = (response == gtk::ResponseType::Accept)
            .then(|| chooser.file().and_then(|file| file.path()))
            .flatten();
        sender.input(ComicsMsg::FolderChosen(folder));
    });
    chooser.show();
    chooser
}

/// The page's keyboard shortcuts, listed in the Keyboard Shortcuts window. They act only while
/// the page is on screen.
pub(super) fn add_shortcuts(
    root: &gtk::Box,
    search: &gtk::SearchEntry,
    shelves: &[gtk::ToggleButton],
    sender: &ComponentSender<ComicsPage>,
) {
    let controller = gtk::ShortcutController::new();
    controller.set_scope(gtk::ShortcutScope::Global);
    let shortcut = |accelerator: &str, act: Box<dyn Fn() + 'static>| {
        let page = root.downgrade();
        let action = gtk::CallbackAction::new(move |_, _| {
            if page.upgrade().is_some_and(|page| page.is_mapped()) {
                act();
                glib::Propagation::Stop
            } else {
                glib::Propagation::Proceed
            }
        });
        controller.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string(accelerator),
            Some(action),
        ));
    };
    let input = |message: fn() -> ComicsMsg| {
        let sender = sender.clone();
        Box::new(move || sender.input(message())) as Box<dyn Fn()>
    };
    shortcut("<Control><Shift>c", input(|| ComicsMsg::Classify));
    shortcut("<Control>z", input(|| ComicsMsg::UndoTrash));
    // Alt+1 to Alt+5 pick a shelf, in the order they are shown.
    for (at, shelf) in shelves.iter().map(|b| b.downgrade()).enumerate() {
        shortcut(
            &format!("<Alt>{}", at + 1),
            Box::new(move || {
                if let Some(button) = shelf.upgrade() {
                    button.set_active(true);
                }
            }),
        );
    }
    shortcut("<Control><Shift>o", input(|| ComicsMsg::AddFolder));
    let search = search.downgrade();
    shortcut(
        "<Control>f",
        Box::new(move || {
            if let Some(search) = search.upgrade() {
                search.grab_focus();
            }
        }),
    );
    root.add_controller(controller);
}
