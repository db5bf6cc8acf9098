//! The first run: while the collection is empty the page says what to do and offers the
//! Babelcomics4 collections found on this computer.

use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};

use super::{ComicsOutput, ComicsPage, plural};
use crate::db::discovery::FoundCollection;
use crate::i18n::{fill, gettext, ngettext};

impl ComicsPage {
    pub(super) fn empty_description(&self) -> String {
        if self.offered > 0 {
            ngettext(
                "This collection is empty. Vistazo found a Babelcomics4 collection on this computer: open it to classify its comics, or start here by adding the folders that hold your comic files.",
                "This collection is empty. Vistazo found Babelcomics4 collections on this computer: open one to classify its comics, or start here by adding the folders that hold your comic files.",
                u32::try_from(self.offered).unwrap_or(u32::MAX),
            )
        } else {
            gettext(
                "Add the folders that hold your comic files, then add the volumes you own from ComicVine to the catalog. Vistazo compares the covers and suggests the issue each comic is. Already using Babelcomics4? Open its collection, the babelcomics.db file in its data folder.",
            )
        }
    }

    /// Lists the Babelcomics4 collections found, but the one open; the first one's Open button
    /// becomes the window's default, so Enter opens it.
    pub(super) fn show_found(&mut self, sender: &ComponentSender<Self>) {
        // GTK 4.8 reaches for the default widget after it is gone: let go of it first.
        if let Some(window) = self.found_list.root().and_downcast::<gtk::Window>()
            && window
                .default_widget()
                .is_some_and(|widget| widget.is_ancestor(&self.found_list))
        {
            window.set_default_widget(None::<&gtk::Widget>);
        }
        while let Some(row) = self.found_list.first_child() {
            self.found_list.remove(&row);
        }
        let open_now = self.collection_file.path();
        let open_now = open_now.canonicalize().unwrap_or(open_now);
        let mut first_button = None;
        self.offered = 0;
        for found in self.found.iter().filter(|found| found.path != open_now) {
            let row = adw::ActionRow::builder()
                .title(
                    glib::markup_escape_text(&crate::ui::collection_folder_name(&found.path))
                        .as_str(),
                )
                .subtitle(glib::markup_escape_text(&found_details(found)).as_str())
                .subtitle_lines(2)
                .build();
            let button = gtk::Button::builder()
                .label(gettext("_Open"))
                .use_underline(true)
                .valign(gtk::Align::Center)
                .build();
            if first_button.is_none() {
                button.add_css_class("suggested-action");
                first_button = Some(button.clone());
            }
            let path = found.path.clone();
            let output = sender.output_sender().clone();
            button.connect_clicked(move |_| {
                if output
                    .send(ComicsOutput::OpenCollection(path.clone()))
                    .is_err()
                {
                    tracing::debug!("nobody listens for collections to open");
                }
            });
            row.add_suffix(&button);
            row.set_activatable_widget(Some(&button));
            self.found_list.append(&row);
            self.offered += 1;
        }
        let Some(button) = first_button else {
            return;
        };
        // Once the page is on screen: the stack shows it after this update.
        let list = self.found_list.clone();
        glib::idle_add_local_once(move || {
            if !list.is_mapped() {
                return;
            }
            if let Some(window) = list.root().and_downcast::<gtk::Window>() {
                window.set_default_widget(Some(&button));
            }
            button.grab_focus();
        });
    }
}

/// Where a found collection is and how many comics it holds.
fn found_details(found: &FoundCollection) -> String {
    let location = crate::ui::display_path(&found.path);
    match found.comics {
        Some(comics) => fill(
            &ngettext(
                "{location} · {comics} comic",
                "{location} · {comics} comics",
                plural(comics.unsigned_abs()),
            ),
            &[("location", &location), ("comics", &comics)],
        ),
        None => location,
    }
}
