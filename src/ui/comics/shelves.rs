//! The five shelves above the grid, one linked row of toggle buttons: each says its name and
//! how many comics (or groups of copies) it holds, to the eye and to a screen reader alike.

use relm4::gtk::{self, prelude::*};

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
    pub root: gtk::Box,
    buttons: Vec<ShelfButton>,
}

impl ShelfBar {
    /// The shelves, All chosen; `chosen` hears each shelf the user picks.
    pub fn new(chosen: impl Fn(Shelf) + Clone + 'static) -> Self {
        let root = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        root.add_css_class("linked");
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
            root.append(&button);
            buttons.push(ShelfButton {
                shelf,
                button,
                count,
            });
        }
        Self { root, buttons }
    }

    /// The buttons in the order they are shown (Alt+1 to Alt+5).
    pub fn buttons(&self) -> Vec<gtk::ToggleButton> {
        self.buttons.iter().map(|b| b.button.clone()).collect()
    }

    /// Shows how many comics each shelf holds; the duplicates shelf counts its groups, once
    /// they are known.
    pub fn show(&self, counts: &Counts, duplicate_groups: Option<usize>) {
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
        }
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
