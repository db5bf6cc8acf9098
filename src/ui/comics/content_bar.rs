//! What the Comics page shows during a search by picture content: the toggle that turns it on
//! beside the search entry, a bar saying what the covers are ranked by with the cut-off the user
//! moves, and the catalog covers that fit best, each with the way to assign its issue.

use std::cell::RefCell;

use relm4::gtk::{self, glib, prelude::*};

use super::ComicsMsg;
use super::content_search::CatalogHit;
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::ProgressMonitor;
use crate::ui::fold::Fold;
use crate::ui::pictures::{Fit, PictureSlots, Source};

/// How often the bar reads what the search is doing.
const READ_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Catalog covers in the strip, in logical pixels.
const STRIP_COVER: (i32, i32) = (100, 150);

/// Which comic a catalog cover offers to classify.
pub enum Assign {
    /// The comic the covers were found like (its id and name).
    To(i32, String),
    /// One of these (id, name), the unclassified comics the search ranks first.
    Choose(Vec<(i32, String)>),
}

pub struct ContentBar {
    pub toggle: gtk::ToggleButton,
    /// The bar under the search row.
    pub status: gtk::Revealer,
    what: gtk::Label,
    scale: gtk::Scale,
    cutoff: gtk::Label,
    count: gtk::Label,
    /// The catalog's best covers.
    pub catalog: gtk::Revealer,
    strip: gtk::Box,
    covers: PictureSlots<i32>,
    shown: RefCell<Vec<(i32, gtk::Picture)>>,
    input: relm4::Sender<ComicsMsg>,
}

impl ContentBar {
    pub fn new(input: &relm4::Sender<ComicsMsg>) -> Self {
        let toggle = gtk::ToggleButton::builder()
            .label(gettext("_By Content"))
            .use_underline(true)
            .tooltip_text(gettext(
                "Search by what the covers show, described in words, instead of by name",
            ))
            .build();
        {
            let input = input.clone();
            toggle.connect_toggled(move |button| {
                input.emit(ComicsMsg::ContentMode(button.is_active()));
            });
        }
        let what = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["heading"])
            .build();
        let scale = gtk::Scale::with_range(gtk::Orientation::Horizontal, -1.0, 1.0, 0.01);
        scale.set_draw_value(false);
        scale.set_width_request(160);
        scale.set_hexpand(true);
        scale.set_tooltip_text(Some(&gettext("Covers less similar than this are left out")));
        crate::ui::accessible::name(&scale, &gettext("Similarity"));
        {
            let input = input.clone();
            scale.connect_value_changed(move |scale| {
                input.emit(ComicsMsg::ContentCutoff(scale.value() as f32));
            });
        }
        let cutoff = gtk::Label::builder()
            .css_classes(["numeric", "dim-label"])
            .width_chars(5)
            .build();
        let count = gtk::Label::builder()
            .css_classes(["dim-label"])
            .width_chars(12)
            .xalign(1.0)
            .build();
        // What the covers are ranked by, then the cut-off and what it lets through: in a row,
        // or one under the other in a narrow window.
        let row = Fold::new(12, 0);
        row.set_margin_start(12);
        row.set_margin_end(12);
        row.set_margin_bottom(6);
        row.append(&what);
        let controls = Fold::new(12, 0);
        let cutoff_row = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        cutoff_row.append(&gtk::Label::new(Some(&gettext("Similarity at least"))));
        cutoff_row.append(&cutoff);
        controls.append(&cutoff_row);
        let scale_row = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        scale_row.append(&scale);
        scale_row.append(&count);
        controls.append(&scale_row);
        row.append(&controls);
        let status = gtk::Revealer::builder().child(&row).build();

        let strip = gtk::Box::builder()
            .spacing(12)
            .margin_start(12)
            .margin_end(12)
            .margin_bottom(12)
            .build();
        let scroller = gtk::ScrolledWindow::builder()
            .vscrollbar_policy(gtk::PolicyType::Never)
            .child(&strip)
            .build();
        let heading = gtk::Label::builder()
            .label(gettext("In the Catalog"))
            .xalign(0.0)
            .margin_start(12)
            .css_classes(["heading"])
            .build();
        let catalog_box = gtk::Box::new(gtk::Orientation::Vertical, 6);
        catalog_box.append(&heading);
        catalog_box.append(&scroller);
        let catalog = gtk::Revealer::builder().child(&catalog_box).build();
        Self {
            toggle,
            status,
            what,
            scale,
            cutoff,
            count,
            catalog,
            strip,
            covers: PictureSlots::new(64),
            shown: RefCell::default(),
            input: input.clone(),
        }
    }

    /// Says what the search is doing while `monitor` tells of its work: loading the model,
    /// reading the covers that have no embedding yet.
    pub fn follow(&self, monitor: &ProgressMonitor) {
        let what = self.what.downgrade();
        let status = self.status.downgrade();
        let monitor = monitor.clone();
        let mut shown = 0;
        glib::timeout_add_local(READ_EVERY, move || {
            let (Some(what), Some(status)) = (what.upgrade(), status.upgrade()) else {
                return glib::ControlFlow::Break;
            };
            let report = monitor.report();
            if report.changes != shown && report.state.is_active() {
                let text = match report.total {
                    Some(total) => fill(
                        &gettext("{text} {done} of {total}"),
                        &[
                            ("text", &report.label),
                            ("done", &report.done),
                            ("total", &total),
                        ],
                    ),
                    None => report.label.clone(),
                };
                what.set_label(&text);
                status.set_reveal_child(true);
            }
            shown = report.changes;
            glib::ControlFlow::Continue
        });
    }

    /// Says what the comics are ranked by, or what the search is doing.
    pub fn say(&self, text: &str) {
        self.what.set_label(text);
        self.status.set_reveal_child(true);
    }

    /// The cut-off's range, from the least to the most similar comic, and where it is.
    pub fn set_range(&self, least: f32, most: f32, cutoff: f32) {
        let (least, most) = (
            f64::from(least),
            f64::from(most).max(f64::from(least) + 0.01),
        );
        self.scale.set_range(least, most);
        self.scale.set_value(f64::from(cutoff));
        self.scale.set_sensitive(true);
    }

    /// How many comics the cut-off lets through.
    pub fn set_count(&self, cutoff: f32, comics: usize) {
        self.cutoff.set_label(&format!("{cutoff:.2}"));
        self.count.set_label(&fill(
            &ngettext(
                "{comics} comic",
                "{comics} comics",
                u32::try_from(comics).unwrap_or(u32::MAX),
            ),
            &[("comics", &comics)],
        ));
    }

    /// Shows the catalog's best covers, each offering to classify a comic as its issue: the
    /// comic of "Find Similar Covers", or one of those the search ranks first.
    pub fn show_catalog(&self, hits: &[CatalogHit], assign: &Assign) {
        self.clear_catalog();
        for hit in hits {
            let card = gtk::Box::builder()
                .orientation(gtk::Orientation::Vertical)
                .spacing(4)
                .width_request(STRIP_COVER.0 + 20)
                .build();
            let picture = gtk::Picture::builder()
                .content_fit(gtk::ContentFit::Cover)
                .can_shrink(true)
                .width_request(STRIP_COVER.0)
                .height_request(STRIP_COVER.1)
                .halign(gtk::Align::Center)
                .css_classes(["card"])
                .build();
            let title = fill(
                &gettext("{volume} #{number}"),
                &[
                    ("volume", &hit.volume.trim()),
                    ("number", &hit.number.trim()),
                ],
            );
            picture.set_tooltip_text(Some(&title));
            if let Some(file) = &hit.file {
                let scale = u32::try_from(picture.scale_factor().max(1)).unwrap_or(1);
                self.covers.show(
                    &picture,
                    hit.id_cover,
                    Source::File(file.clone()),
                    Fit::Fill(
                        STRIP_COVER.0.unsigned_abs() * scale,
                        STRIP_COVER.1.unsigned_abs() * scale,
                    ),
                );
            }
            card.append(&picture);
            let label = gtk::Label::builder()
                .label(&title)
                .ellipsize(gtk::pango::EllipsizeMode::End)
                .max_width_chars(14)
                .css_classes(["caption"])
                .build();
            card.append(&label);
            let score = gtk::Label::builder()
                .label(format!("{:.2}", hit.score))
                .tooltip_text(gettext(
                    "How similar the cover is to what you asked for (cosine, −1 to 1)",
                ))
                .css_classes(["caption", "numeric", "dim-label"])
                .build();
            card.append(&score);
            match assign {
                Assign::To(comic_id, name) => {
                    let button = gtk::Button::builder()
                        .label(gettext("Assign"))
                        .tooltip_text(fill(
                            &gettext("Classify “{name}” as {title}"),
                            &[("name", name), ("title", &title)],
                        ))
                        .css_classes(["flat"])
                        .halign(gtk::Align::Center)
                        .build();
                    let input = self.input.clone();
                    let (comic_id, issue, title) =
                        (*comic_id, hit.id_comicbook_info, title.clone());
                    button.connect_clicked(move |_| {
                        input.emit(ComicsMsg::AssignIssue {
                            comic_id,
                            id_comicbook_info: issue,
                            title: title.clone(),
                        });
                    });
                    card.append(&button);
                }
                Assign::Choose(comics) if !comics.is_empty() => {
                    card.append(&self.choose_comic(comics, hit.id_comicbook_info, &title));
                }
                Assign::Choose(_) => {}
            }
            self.strip.append(&card);
            self.shown.borrow_mut().push((hit.id_cover, picture));
        }
        self.catalog.set_reveal_child(!hits.is_empty());
    }

    /// "Assign to a Comic…": a menu of `comics` (id, name) to classify as issue `issue`.
    fn choose_comic(&self, comics: &[(i32, String)], issue: i32, title: &str) -> gtk::MenuButton {
        let list = gtk::Box::new(gtk::Orientation::Vertical, 0);
        let heading = gtk::Label::builder()
            .label(fill(&gettext("Classify as {title}:"), &[("title", &title)]))
            .xalign(0.0)
            .margin_start(8)
            .margin_end(8)
            .margin_bottom(4)
            .css_classes(["heading"])
            .build();
        list.append(&heading);
        let popover = gtk::Popover::builder().child(&list).build();
        popover.add_css_class("menu");
        for (comic_id, name) in comics {
            let button = gtk::Button::builder()
                .label(name)
                .css_classes(["flat"])
                .build();
            if let Some(label) = button.child().and_downcast::<gtk::Label>() {
                label.set_xalign(0.0);
            }
            let input = self.input.clone();
            let (comic_id, title) = (*comic_id, title.to_owned());
            let popover = popover.downgrade();
            button.connect_clicked(move |_| {
                if let Some(popover) = popover.upgrade() {
                    popover.popdown();
                }
                input.emit(ComicsMsg::AssignIssue {
                    comic_id,
                    id_comicbook_info: issue,
                    title: title.clone(),
                });
            });
            list.append(&button);
        }
        gtk::MenuButton::builder()
            .label(gettext("Assign…"))
            .tooltip_text(gettext(
                "Assign to a comic: classify one of the unclassified comics that fit best as this issue",
            ))
            .popover(&popover)
            .css_classes(["flat"])
            .halign(gtk::Align::Center)
            .build()
    }

    fn clear_catalog(&self) {
        for (id, picture) in self.shown.borrow_mut().drain(..) {
            self.covers.release(&picture, &id);
        }
        while let Some(child) = self.strip.first_child() {
            self.strip.remove(&child);
        }
    }

    /// Back to the search by name.
    pub fn hide(&self) {
        self.status.set_reveal_child(false);
        self.catalog.set_reveal_child(false);
        self.clear_catalog();
    }

    /// The app switched to another collection: covers of the old one are forgotten.
    pub fn forget(&self) {
        self.hide();
        self.covers.forget_all();
    }
}
