//! The review page's widgets, built once: the page updates them itself (see
//! [`ReviewPage::update_view`](super::ReviewPage)) rather than through `relm4::view!`'s
//! `#[watch]`, which would set every watched property after every message. A key press must
//! show the next comic in the very next frame; only what changed is set.

use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, gio, glib};

use super::candidate_card::CandidateCard;
use super::{CANDIDATES, OWNED_WIDTH, ReviewMsg, ReviewPage, ReviewWidgets};
use crate::i18n::{fill, gettext};
use crate::ui::fold::Fold;

/// Narrower than this, the comic is shown above its candidates: beside them, fewer than two
/// candidates would show.
const MAIN_FOLD: i32 = 640;
/// Narrower than this, the button to look for a missing volume goes under its sentence.
const MISSING_FOLD: i32 = 500;

/// The page's widgets under `root`, and the overlay its toasts show in.
pub(super) fn build(
    root: &gtk::Box,
    sender: &ComponentSender<ReviewPage>,
    settings: &gio::Settings,
) -> (adw::ToastOverlay, ReviewWidgets) {
    let toasts = adw::ToastOverlay::new();
    toasts.set_vexpand(true);
    root.append(&toasts);
    let pages = gtk::Stack::new();
    toasts.set_child(Some(&pages));

    pages.add_named(
        &adw::StatusPage::builder()
            .icon_name("content-loading-symbolic")
            .title(gettext("Loading Suggestions…"))
            .build(),
        Some("loading"),
    );
    pages.add_named(
        &adw::StatusPage::builder()
            .icon_name("object-select-symbolic")
            .title(gettext("Nothing to Review"))
            .description(gettext(
                "Suggestions wait here when Classify Automatically could not decide a comic on its own. Run it on the Comics page, then come back.",
            ))
            .build(),
        Some("empty"),
    );

    let review = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(12)
        .margin_top(12)
        .margin_bottom(12)
        .margin_start(12)
        .margin_end(12)
        .build();
    // In a small window the page scrolls as a whole; otherwise the covers shrink to fit.
    pages.add_named(
        &gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&review)
            .build(),
        Some("review"),
    );

    // The five counts in a row, or in two where they do not fit whole.
    let stats_box = gtk::FlowBox::builder()
        .homogeneous(true)
        .selection_mode(gtk::SelectionMode::None)
        .column_spacing(8)
        .row_spacing(8)
        .min_children_per_line(1)
        .max_children_per_line(5)
        .build();
    let captions = [
        gettext("Total"),
        gettext("Classified"),
        gettext("Skipped"),
        gettext("Trash"),
        gettext("Remaining"),
    ];
    let stats = captions.map(|caption| {
        let card = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .css_classes(["card", "review-stat"])
            .build();
        let value = gtk::Label::builder()
            .label("0")
            .css_classes(["title-2", "numeric"])
            .build();
        card.append(&value);
        card.append(
            &gtk::Label::builder()
                .label(&caption)
                .css_classes(["caption", "dim-label"])
                .build(),
        );
        stats_box.insert(&card, -1);
        if let Some(child) = card.parent() {
            child.set_focusable(false);
            // A screen reader says the count with its caption ("Remaining: 6").
            let say = move |value: &gtk::Label| {
                crate::ui::accessible::name(
                    &child,
                    &fill(
                        &gettext("{caption}: {count}"),
                        &[("caption", &caption), ("count", &value.label())],
                    ),
                );
            };
            say(&value);
            value.connect_label_notify(say);
        }
        value
    });
    review.append(&stats_box);

    // Comics whose volume the catalog lacks wait here with no candidate worth taking:
    // say so, and offer to look for the volume.
    let missing_row = gtk::Box::builder()
        .css_classes(["card", "missing-volumes"])
        .visible(false)
        .build();
    // The button beside the sentence, or under it in a narrow window.
    let missing_fold = Fold::new(0, MISSING_FOLD);
    missing_fold.set_hexpand(true);
    missing_row.append(&missing_fold);
    let missing_text = gtk::Box::builder().spacing(12).hexpand(true).build();
    missing_fold.append(&missing_text);
    missing_text.append(
        &gtk::Image::builder()
            .icon_name("system-search-symbolic")
            .margin_start(12)
            .build(),
    );
    let missing_label = gtk::Label::builder()
        .xalign(0.0)
        .hexpand(true)
        .wrap(true)
        .margin_top(8)
        .margin_bottom(8)
        .build();
    missing_text.append(&missing_label);
    let search_missing = gtk::Button::builder()
        .label(gettext("_Search ComicVine"))
        .use_underline(true)
        .valign(gtk::Align::Center)
        .halign(gtk::Align::End)
        .margin_start(12)
        .margin_end(12)
        .margin_bottom(8)
        .margin_top(8)
        .tooltip_text(gettext(
            "Open the catalog on a search for this volume, to add it",
        ))
        .build();
    search_missing.connect_clicked(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(ReviewMsg::SearchMissing)
    ));
    missing_fold.append(&search_missing);
    review.append(&missing_row);

    // The threshold and its button side by side, or the button under the slider.
    let toolbar = Fold::new(12, 0);
    let threshold_row = gtk::Box::builder().spacing(12).hexpand(true).build();
    threshold_row.append(&gtk::Label::new(Some(&gettext("Threshold"))));
    let scale = gtk::Scale::new(
        gtk::Orientation::Horizontal,
        Some(&crate::ui::threshold::adjustment(settings)),
    );
    scale.set_hexpand(true);
    crate::ui::accessible::name(&scale, &gettext("Threshold"));
    scale.set_draw_value(false);
    scale.set_focus_on_click(false);
    scale.set_tooltip_text(Some(&gettext(
        "Applying a candidate below this similarity asks first",
    )));
    let threshold_label = gtk::Label::builder()
        .width_chars(5)
        .xalign(1.0)
        .css_classes(["numeric"])
        .build();
    let apply_all = gtk::Button::builder()
        .label(gettext("Apply All Above Threshold"))
        .focus_on_click(false)
        .css_classes(["suggested-action"])
        .build();
    apply_all.connect_clicked(glib::clone!(
        #[strong]
        sender,
        move |_| sender.input(ReviewMsg::ApplyAll)
    ));
    threshold_row.append(&scale);
    threshold_row.append(&threshold_label);
    toolbar.append(&threshold_row);
    toolbar.append(&apply_all);
    review.append(&toolbar);

    let body = gtk::Stack::builder().vexpand(true).build();
    review.append(&body);
    // The comic beside its candidates, or above them in a narrow window.
    let main = Fold::new(18, MAIN_FOLD);
    body.add_named(&main, Some("item"));
    body.add_named(
        &adw::StatusPage::builder()
            .icon_name("object-select-symbolic")
            .title(gettext("All Suggestions Reviewed"))
            .description(gettext(
                "Press ← to go back to a comic, or Esc to return to your comics.",
            ))
            .build(),
        Some("done"),
    );

    let left = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(6)
        .width_request(OWNED_WIDTH)
        .hexpand(false)
        .build();
    let owned = gtk::Picture::builder()
        .can_shrink(true)
        .content_fit(gtk::ContentFit::Contain)
        .vexpand(true)
        .build();
    let owned_stack = gtk::Stack::builder().vexpand(true).build();
    owned_stack.add_named(&owned, Some("picture"));
    owned_stack.add_named(
        &gtk::Image::builder()
            .icon_name("image-missing-symbolic")
            .pixel_size(64)
            .css_classes(["dim-label"])
            .build(),
        Some("missing"),
    );
    left.append(
        &gtk::Label::builder()
            .label(gettext("Your Comic"))
            .xalign(0.0)
            .css_classes(["heading"])
            .build(),
    );
    // Above the candidates the cover is as wide as the window: not taller than it is beside
    // them.
    left.append(
        &adw::Clamp::builder()
            .orientation(gtk::Orientation::Vertical)
            .maximum_size(OWNED_WIDTH * 3 / 2)
            .tightening_threshold(OWNED_WIDTH * 3 / 2)
            .vexpand(true)
            .child(&owned_stack)
            .build(),
    );
    let file_name = gtk::Label::builder()
        .ellipsize(gtk::pango::EllipsizeMode::Middle)
        .xalign(0.0)
        .css_classes(["body"])
        .build();
    let position = gtk::Label::builder()
        .xalign(0.0)
        .css_classes(["dim-label", "numeric"])
        .build();
    let decision = gtk::Label::builder()
        .xalign(0.0)
        .wrap(true)
        .css_classes(["accent"])
        .build();
    let file_notes = gtk::Label::builder()
        .xalign(0.0)
        .wrap(true)
        .visible(false)
        .css_classes(["warning", "caption"])
        .build();
    left.append(&file_name);
    left.append(&position);
    left.append(&file_notes);
    left.append(&decision);
    main.append(&left);

    let right = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(6)
        .hexpand(true)
        .build();
    right.append(
        &gtk::Label::builder()
            .label(gettext("Best Candidates"))
            .xalign(0.0)
            .css_classes(["heading"])
            .build(),
    );
    // Start: the cards take their natural height when there is room and shrink their
    // covers when there is not.
    // Room under the cards for the scrollbar, which would otherwise lie over their tags.
    let row = gtk::Box::builder()
        .spacing(8)
        .homogeneous(true)
        .halign(gtk::Align::Start)
        .valign(gtk::Align::Start)
        .margin_bottom(10)
        .build();
    let input = sender.input_sender().clone();
    let cards: Vec<CandidateCard> = (0..CANDIDATES)
        .map(|index| {
            let card = CandidateCard::new(index, &input);
            row.append(&card.root);
            card
        })
        .collect();
    let scroller = gtk::ScrolledWindow::builder()
        .vexpand(true)
        .vscrollbar_policy(gtk::PolicyType::Never)
        .propagate_natural_width(true)
        .child(&row)
        .build();
    right.append(&scroller);
    main.append(&right);

    review.append(
        &gtk::Label::builder()
            .label(gettext(
                "Enter applies · Ctrl+Enter applies all · 1–5 choose · S or → skips · ← goes back · Delete moves to the trash · Ctrl+Z undoes · Esc leaves",
            ))
            .wrap(true)
            .justify(gtk::Justification::Center)
            .css_classes(["caption", "dim-label"])
            .build(),
    );

    let widgets = ReviewWidgets {
        pages,
        missing: missing_row,
        missing_label,
        body,
        stats,
        scale,
        threshold: threshold_label,
        apply_all,
        owned,
        owned_stack,
        file_name,
        position,
        decision,
        file_notes,
        cards,
    };
    (toasts, widgets)
}
