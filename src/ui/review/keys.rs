//! The review page's keys: caught before a focused button could take Enter, except the ones
//! that move the threshold slider while it has the focus.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use relm4::ComponentSender;
use relm4::gtk::{self, gdk, gio, glib, prelude::*};

use super::{ReviewMsg, ReviewPage};

/// The keys of the page, caught before a focused button could take Enter, and the page's
/// `review.undo` action for the Undo button of its toasts.
pub(super) fn install_keys(
    root: &gtk::Box,
    sender: &ComponentSender<ReviewPage>,
    pressed: &Rc<Cell<Option<Instant>>>,
) {
    let keys = gtk::EventControllerKey::new();
    keys.set_propagation_phase(gtk::PropagationPhase::Capture);
    keys.connect_key_pressed(glib::clone!(
        #[strong]
        sender,
        #[strong]
        pressed,
        move |controller, key, _, modifiers| match message_for(key, modifiers) {
            // The threshold slider moves by the arrow keys, Home, End and Page Up/Down while
            // it has the focus; they do not decide about the comic then.
            Some(_) if slider_has_focus(controller) && moves_a_slider(key) => {
                glib::Propagation::Proceed
            }
            Some(message) => {
                pressed.set(Some(Instant::now()));
                sender.input(message);
                glib::Propagation::Stop
            }
            None => glib::Propagation::Proceed,
        }
    ));
    root.add_controller(keys);

    let actions = gio::SimpleActionGroup::new();
    let undo = gio::SimpleAction::new("undo", None);
    undo.connect_activate(glib::clone!(
        #[strong]
        sender,
        move |_, _| sender.input(ReviewMsg::Undo)
    ));
    actions.add_action(&undo);
    root.insert_action_group("review", Some(&actions));
}

/// The message a key press means on the review page.
/// Whether the focus of the window `controller` listens in is on a slider.
pub(super) fn slider_has_focus(controller: &gtk::EventControllerKey) -> bool {
    controller
        .widget()
        .and_then(|widget| widget.root())
        .and_then(|root| root.focus())
        .is_some_and(|focus| focus.is::<gtk::Range>())
}

/// The keys a focused slider moves by.
pub(super) fn moves_a_slider(key: gdk::Key) -> bool {
    matches!(
        key,
        gdk::Key::Left
            | gdk::Key::Right
            | gdk::Key::KP_Left
            | gdk::Key::KP_Right
            | gdk::Key::Up
            | gdk::Key::Down
            | gdk::Key::Home
            | gdk::Key::End
            | gdk::Key::Page_Up
            | gdk::Key::Page_Down
    )
}

pub(super) fn message_for(key: gdk::Key, modifiers: gdk::ModifierType) -> Option<ReviewMsg> {
    if modifiers.contains(gdk::ModifierType::CONTROL_MASK) {
        // Ctrl+Shift+F: the Comics page's "Find Similar Covers", for the comic shown.
        if modifiers.contains(gdk::ModifierType::SHIFT_MASK)
            && (key == gdk::Key::f || key == gdk::Key::F)
        {
            return Some(ReviewMsg::FindSimilar);
        }
        // Ctrl+Enter: Enter applies one comic, Ctrl+Enter all that the rule lets apply.
        if matches!(
            key,
            gdk::Key::Return | gdk::Key::KP_Enter | gdk::Key::ISO_Enter
        ) {
            return Some(ReviewMsg::ApplyAll);
        }
        return (key == gdk::Key::z || key == gdk::Key::Z).then_some(ReviewMsg::Undo);
    }
    if modifiers.intersects(gdk::ModifierType::ALT_MASK | gdk::ModifierType::SUPER_MASK) {
        return None;
    }
    let number = |n: usize| Some(ReviewMsg::Apply(n));
    match key {
        gdk::Key::Return | gdk::Key::KP_Enter | gdk::Key::ISO_Enter => {
            Some(ReviewMsg::ApplyHighlighted)
        }
        gdk::Key::_1 | gdk::Key::KP_1 => number(0),
        gdk::Key::_2 | gdk::Key::KP_2 => number(1),
        gdk::Key::_3 | gdk::Key::KP_3 => number(2),
        gdk::Key::_4 | gdk::Key::KP_4 => number(3),
        gdk::Key::_5 | gdk::Key::KP_5 => number(4),
        gdk::Key::s | gdk::Key::S | gdk::Key::Right | gdk::Key::KP_Right => Some(ReviewMsg::Skip),
        gdk::Key::Left | gdk::Key::KP_Left => Some(ReviewMsg::Back),
        gdk::Key::Delete | gdk::Key::KP_Delete => Some(ReviewMsg::Trash),
        gdk::Key::Escape => Some(ReviewMsg::Leave),
        _ => None,
    }
}
