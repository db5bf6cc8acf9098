//! The Interiors page's results gallery: a card per photo with its thumbnail, score, bucket,
//! caption and explanation, who labelled it and why the filters set it aside. Thumbnails come
//! from the UI's picture loader, only for the cards on screen.

use std::cell::Cell;
use std::rc::Rc;

use relm4::gtk::{self, gdk, prelude::*};
use relm4::prelude::*;
use relm4::typed_view::grid::RelmGridItem;

use crate::i18n::{fill, gettext, ngettext};
use crate::interiors::scoring::ScoredPhoto;
use crate::interiors::{LabelSource, Quality};
use crate::ui::pictures::{Fit, PictureSlots, Source};

/// Gallery thumbnails are decoded at this size, 4:3 like every card's photo, cropped around
/// the middle.
const THUMBNAIL_SIZE: (u32, u32) = (480, 360);
/// Decoded thumbnails kept in memory; the oldest go first.
pub const THUMBNAIL_CACHE: usize = 400;

/// One card of the results gallery.
pub struct GalleryPhoto {
    pub photo: ScoredPhoto,
    pub thumbnails: PictureSlots<i64>,
}

pub struct CardWidgets {
    picture: gtk::Picture,
    score: gtk::Label,
    bucket: gtk::Label,
    caption: gtk::Label,
    review: gtk::Label,
    label_note: gtk::Label,
    similar_note: gtk::Label,
    filter_note: gtk::Label,
    /// The photo the card shows now, to let its thumbnail go when the card is unbound.
    showing: Rc<Cell<i64>>,
}

impl RelmGridItem for GalleryPhoto {
    type Root = gtk::Box;
    type Widgets = CardWidgets;

    fn setup(_item: &gtk::ListItem) -> (gtk::Box, CardWidgets) {
        relm4::view! {
            root = gtk::Box {
                set_orientation: gtk::Orientation::Vertical,
                set_spacing: 6,
                set_margin_all: 6,
                set_width_request: 220,
                add_css_class: "card",

                // A scrolled window that never scrolls: it asks for exactly this height, so
                // every card's photo is the same size whatever the text below it.
                gtk::ScrolledWindow {
                    set_vscrollbar_policy: gtk::PolicyType::External,
                    set_hscrollbar_policy: gtk::PolicyType::Never,
                    set_propagate_natural_height: false,
                    set_height_request: 160,
                    set_can_target: false,
                    set_focusable: false,

                    #[name = "picture"]
                    gtk::Picture {
                        set_content_fit: gtk::ContentFit::Cover,
                        set_can_shrink: true,
                    },
                },
                gtk::Box {
                    set_spacing: 8,
                    set_margin_start: 10,
                    set_margin_end: 10,
                    #[name = "score"]
                    gtk::Label {
                        add_css_class: "title-1",
                        add_css_class: "numeric",
                    },
                    #[name = "bucket"]
                    gtk::Label {
                        set_valign: gtk::Align::Center,
                        add_css_class: "heading",
                    },
                },
                #[name = "caption"]
                gtk::Label {
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    set_lines: 2,
                    set_ellipsize: gtk::pango::EllipsizeMode::End,
                },
                #[name = "review"]
                gtk::Label {
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    set_lines: 4,
                    set_ellipsize: gtk::pango::EllipsizeMode::End,
                    add_css_class: "dim-label",
                    add_css_class: "caption",
                },
                #[name = "label_note"]
                gtk::Label {
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    add_css_class: "caption-heading",
                },
                #[name = "similar_note"]
                gtk::Label {
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    add_css_class: "caption-heading",
                    add_css_class: "accent",
                },
                #[name = "filter_note"]
                gtk::Label {
                    set_vexpand: true,
                    set_valign: gtk::Align::End,
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_margin_bottom: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    add_css_class: "caption",
                    add_css_class: "warning",
                },
            }
        }
        let widgets = CardWidgets {
            picture,
            score,
            bucket,
            caption,
            review,
            label_note,
            similar_note,
            filter_note,
            showing: Rc::new(Cell::new(-1)),
        };
        (root, widgets)
    }

    fn bind(&mut self, widgets: &mut CardWidgets, root: &mut gtk::Box) {
        let photo = &self.photo;
        let bucket = photo.card.bucket.parse::<Quality>().ok();
        // The card and the grid's cell around it say the same: score, rating, explanation.
        let spoken = fill(
            &gettext("Score {score}, {rating}: {caption}"),
            &[
                ("score", &format!("{:.0}", photo.card.score)),
                ("rating", &bucket.map(quality_name).unwrap_or_default()),
                ("caption", &photo.card.caption),
            ],
        );
        crate::ui::accessible::name(root, &spoken);
        if let Some(cell) = root.parent() {
            crate::ui::accessible::name(&cell, &spoken);
        }
        widgets.showing.set(photo.photo_id);
        widgets.score.set_label(&format!("{:.0}", photo.card.score));
        widgets
            .bucket
            .set_label(&bucket.map(quality_name).unwrap_or_default());
        for class in ["success", "warning", "error"] {
            widgets.bucket.remove_css_class(class);
        }
        if let Some(quality) = bucket {
            widgets.bucket.add_css_class(match quality {
                Quality::Good => "success",
                Quality::Medium => "warning",
                Quality::Bad => "error",
            });
        }
        widgets.caption.set_label(&photo.card.caption);
        widgets.review.set_label(&photo.card.review.join("\n"));
        let (label_note, filter_note) = notes(photo);
        widgets.label_note.set_label(&label_note);
        widgets.label_note.set_visible(!label_note.is_empty());
        let similar_note = similar_note(photo);
        widgets.similar_note.set_label(&similar_note);
        widgets.similar_note.set_visible(!similar_note.is_empty());
        widgets.filter_note.set_label(&filter_note);
        widgets.filter_note.set_visible(!filter_note.is_empty());
        widgets
            .picture
            .set_tooltip_text(Some(&photo.path.to_string_lossy()));
        let scale = u32::try_from(widgets.picture.scale_factor().max(1)).unwrap_or(1);
        self.thumbnails.show(
            &widgets.picture,
            photo.photo_id,
            Source::File(photo.path.clone()),
            Fit::Fill(THUMBNAIL_SIZE.0 * scale, THUMBNAIL_SIZE.1 * scale),
        );
    }

    fn unbind(&mut self, widgets: &mut CardWidgets, _root: &mut gtk::Box) {
        self.thumbnails
            .release(&widgets.picture, &widgets.showing.replace(-1));
        widgets.picture.set_paintable(gdk::Paintable::NONE);
    }
}

pub fn quality_name(quality: Quality) -> String {
    match quality {
        Quality::Good => gettext("Good"),
        Quality::Medium => gettext("Medium"),
        Quality::Bad => gettext("Bad"),
    }
}

/// Where the photo sits among photos of the same scene taken seconds apart: the best one says
/// how many there are, the others follow it.
fn similar_note(photo: &ScoredPhoto) -> String {
    match photo.similar {
        Some(place) if place.rank == 1 => fill(
            &ngettext(
                "Best of {count} similar photo",
                "Best of {count} similar photos",
                place.of as u32,
            ),
            &[("count", &place.of)],
        ),
        Some(place) => fill(
            &gettext("Similar photo {rank} of {count}"),
            &[("rank", &place.rank), ("count", &place.of)],
        ),
        None => String::new(),
    }
}

/// Who labelled the photo, and why the filters set it aside.
fn notes(photo: &ScoredPhoto) -> (String, String) {
    let label = match photo.label {
        Some((quality, LabelSource::Human)) => fill(
            &gettext("You labelled it {quality}"),
            &[("quality", &quality_name(quality).to_lowercase())],
        ),
        Some((quality, LabelSource::Auto)) => fill(
            &gettext("Labelled {quality} automatically"),
            &[("quality", &quality_name(quality).to_lowercase())],
        ),
        None => String::new(),
    };
    let mut filters = Vec::new();
    if !photo.passes_semantic {
        filters.push(gettext("Set aside: not recognisably a room"));
    }
    if !photo.visual_issues.is_empty() {
        filters.push(gettext("Set aside by the visual filter"));
    }
    (label, filters.join("\n"))
}
