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
    by_content: &gtk::ToggleButton,
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
    // The search by content, in every language: the button's access key is translated.
    let by_content = by_content.downgrade();
    shortcut(
        "<Alt>b",
        Box::new(move || {
            if let Some(toggle) = by_content.upgrade() {
                toggle.set_active(!toggle.is_active());
            }
        }),
    );
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

/// Typing a letter while the page is on screen starts a search with it, as in other GNOME
/// apps, unless the control with the focus took the key. The keys reach the window last, after
/// every control in it: the other pages' keys and any text field keep theirs.
pub(super) fn type_to_search(page: &gtk::Box, search: &gtk::SearchEntry) {
    let keys = gtk::EventControllerKey::new();
    let (page_ref, search_ref) = (page.downgrade(), search.downgrade());
    keys.connect_key_pressed(move |keys, key, _, modifiers| {
        let (Some(page), Some(search)) = (page_ref.upgrade(), search_ref.upgrade()) else {
            return glib::Propagation::Proceed;
        };
        let typed = key
            .to_unicode()
            .is_some_and(|c| !c.is_control() && !c.is_whitespace());
        let plain = !modifiers.intersects(
            gtk::gdk::ModifierType::CONTROL_MASK
                | gtk::gdk::ModifierType::ALT_MASK
                | gtk::gdk::ModifierType::SUPER_MASK,
        );
        if !(typed && plain && page.is_mapped()) || search.has_focus() {
            return glib::Propagation::Proceed;
        }
        // The entry's text field takes the key as if it had been typed there.
        let mut child = search.first_child();
        while let Some(widget) = child {
            if widget.is::<gtk::Text>() {
                search.grab_focus();
                if keys.forward(&widget) {
                    return glib::Propagation::Stop;
                }
                break;
            }
            child = widget.next_sibling();
        }
        glib::Propagation::Proceed
    });
    let keys = std::cell::RefCell::new(Some(keys));
    page.connect_realize(move |page| {
        if let Some(window) = page.root()
            && let Some(keys) = keys.borrow_mut().take()
        {
            window.add_controller(keys);
        }
    });
}
