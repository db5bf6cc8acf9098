//! The five shelves above the grid, one linked row of toggle buttons: each says its name and
//! how many comics (or groups of copies) it holds, to the eye and to a screen reader alike.
//! Where the row does not fit, a drop-down of the same shelves takes its place.

use std::cell::RefCell;
use std::rc::Rc;

use relm4::adw;
use relm4::gtk::{self, glib, prelude::*};

use super::plural;
use super::tiles::{Counts, Shelf};
use crate::i18n::{fill, gettext, ngettext};

/// One shelf's button and the count beside its name.
struct ShelfButton {
    shelf: Shelf,
    button: gtk::ToggleButton,
    count: gtk::Label,
}

pub struct ShelfBar {
    /// The row of buttons, or the drop-down where the row does not fit.
    pub root: adw::Squeezer,
    buttons: Vec<ShelfButton>,
    compact: gtk::DropDown,
    /// The drop-down's items: each shelf's name and count.
    names: gtk::StringList,
    picked: glib::SignalHandlerId,
    /// Each shelf as a screen reader says it, in the buttons' order.
    spoken: Rc<RefCell<Vec<String>>>,
}

impl ShelfBar {
    /// The shelves, All chosen; `chosen` hears each shelf the user picks.
    pub fn new(chosen: impl Fn(Shelf) + Clone + 'static) -> Self {
        let row = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        row.add_css_class("linked");
        row.set_halign(gtk::Align::Start);
        let mut buttons: Vec<ShelfButton> = Vec::new();
        for shelf in [
            Shelf::All,
            Shelf::Unclassified,
            Shelf::Classified,
            Shelf::Trash,
            Shelf::Duplicates,
        ] {
            let name = gtk::Label::new(Some(&shelf_name(shelf)));
            let count = gtk::Label::new(None);
            count.add_css_class("dim-label");
            count.add_css_class("numeric");
            let child = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            child.append(&name);
            child.append(&count);
            let button = gtk::ToggleButton::builder().child(&child).build();
            match buttons.first() {
                Some(first) => button.set_group(Some(&first.button)),
                None => button.set_active(true),
            }
            if shelf == Shelf::Duplicates {
                button.set_tooltip_text(Some(&gettext(
                    "The comics owned more than once, side by side: Delete moves the copy you do not want to the trash",
                )));
            }
            let chosen = chosen.clone();
            button.connect_toggled(move |button| {
                if button.is_active() {
                    chosen(shelf);
                }
            });
            row.append(&button);
            buttons.push(ShelfButton {
                shelf,
                button,
                count,
            });
        }
        let names: Vec<String> = buttons.iter().map(|b| shelf_name(b.shelf)).collect();
        let names = gtk::StringList::new(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let compact = gtk::DropDown::builder().model(&names).build();
        compact.set_tooltip_text(Some(&gettext("Shelf")));
        let spoken: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(
            buttons.iter().map(|b| shelf_name(b.shelf)).collect(),
        ));
        say_chosen(&compact, &spoken.borrow());
        // The drop-down picks the button, the button tells the page; a button picked by its
        // shortcut shows in the drop-down.
        let toggles: Vec<gtk::ToggleButton> = buttons.iter().map(|b| b.button.clone()).collect();
        let picked = {
            let spoken = spoken.clone();
            compact.connect_selected_notify(move |compact| {
                if let Some(button) = toggles.get(compact.selected() as usize) {
                    button.set_active(true);
                }
                say_chosen(compact, &spoken.borrow());
            })
        };
        for (at, shelf) in buttons.iter().enumerate() {
            let compact = compact.downgrade();
            shelf.button.connect_toggled(move |button| {
                if let Some(compact) = compact.upgrade()
                    && button.is_active()
                {
                    compact.set_selected(at as u32);
                }
            });
        }
        let root = adw::Squeezer::builder()
            .transition_type(adw::SqueezerTransitionType::None)
            .build();
        root.add(&row);
        root.add(&compact);
        Self {
            root,
            buttons,
            compact,
            names,
            picked,
            spoken,
        }
    }

    /// The buttons in the order they are shown (Alt+1 to Alt+5).
    pub fn buttons(&self) -> Vec<gtk::ToggleButton> {
        self.buttons.iter().map(|b| b.button.clone()).collect()
    }

    /// Shows how many comics each shelf holds; the duplicates shelf counts its groups, once
    /// they are known.
    pub fn show(&self, counts: &Counts, duplicate_groups: Option<usize>) {
        let mut spoken = Vec::with_capacity(self.buttons.len());
        for ShelfButton {
            shelf,
            button,
            count,
        } in &self.buttons
        {
            let held = match shelf {
                Shelf::All => Some(counts.all),
                Shelf::Unclassified => Some(counts.unclassified),
                Shelf::Classified => Some(counts.classified),
                Shelf::Trash => Some(counts.trash),
                Shelf::Duplicates => duplicate_groups.map(|groups| groups as u64),
            };
            count.set_label(&held.map(|n| n.to_string()).unwrap_or_default());
            crate::ui::accessible::name(button, &spoken_name(*shelf, held));
            spoken.push(spoken_name(*shelf, held));
        }
        *self.spoken.borrow_mut() = spoken;
        say_chosen(&self.compact, &self.spoken.borrow());
        // The drop-down's items say the same; putting them back must not pick another shelf.
        let items: Vec<String> = self
            .buttons
            .iter()
            .map(|b| match b.count.label().as_str() {
                "" => shelf_name(b.shelf),
                count => fill(
                    &gettext("{shelf} ({count})"),
                    &[("shelf", &shelf_name(b.shelf)), ("count", &count)],
                ),
            })
            .collect();
        let unchanged = (0..self.names.n_items())
            .map(|at| self.names.string(at).unwrap_or_default())
            .eq(items.iter().map(String::as_str));
        if unchanged {
            return;
        }
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        let selected = self.compact.selected();
        self.compact.block_signal(&self.picked);
        self.names.splice(0, self.names.n_items(), &items);
        self.compact.set_selected(selected);
        self.compact.unblock_signal(&self.picked);
    }
}

/// Names the drop-down, and the button inside it that takes the focus, by the shelf chosen
/// and what it holds, as the row's buttons are named: "Shelf: All, 6 comics".
fn say_chosen(compact: &gtk::DropDown, spoken: &[String]) {
    let Some(chosen) = spoken.get(compact.selected() as usize) else {
        return;
    };
    let name = fill(&gettext("Shelf: {chosen}"), &[("chosen", chosen)]);
    crate::ui::accessible::name(compact, &name);
    let mut child = compact.first_child();
    while let Some(widget) = child {
        if widget.is::<gtk::ToggleButton>() {
            crate::ui::accessible::name(&widget, &name);
        }
        child = widget.next_sibling();
    }
}

fn shelf_name(shelf: Shelf) -> String {
    match shelf {
        Shelf::All => gettext("All"),
        Shelf::Unclassified => gettext("Unclassified"),
        Shelf::Classified => gettext("Classified"),
        Shelf::Trash => gettext("Trash"),
        Shelf::Duplicates => gettext("Duplicates"),
    }
}

/// A shelf as a screen reader says it: its name and how many comics (groups) it holds.
fn spoken_name(shelf: Shelf, held: Option<u64>) -> String {
    let name = shelf_name(shelf);
    let Some(count) = held else {
        return name;
    };
    let template = if shelf == Shelf::Duplicates {
        ngettext(
            "{shelf}, {count} group",
            "{shelf}, {count} groups",
            plural(count),
        )
    } else {
        ngettext(
            "{shelf}, {count} comic",
            "{shelf}, {count} comics",
            plural(count),
        )
    };
    fill(&template, &[("shelf", &name), ("count", &count)])
}
