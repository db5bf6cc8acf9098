//! The review page: the owned comic's cover large on the left, its best candidates side by side
//! on the right, and the keys to decide: Enter applies the highlighted candidate, 1-5 apply that
//! candidate, S or Right skip, Left goes back, Delete moves the comic to the trash, Ctrl+Z
//! undoes, Esc leaves. Cards at the top count the decisions; a threshold slider and "Apply All
//! Above Threshold" classify the clear ones at once, after a confirmation that says how many.
//!
//! Every decision goes at once to [`ReviewStore`], which owns the database connection; covers
//! are decoded by the UI's picture loader ([`PictureLoader`]), the comic shown first, then those
//! ahead, so a key press shows the next comic without waiting.
//!
//! With `RUST_LOG=vistazo::ui::review=debug` the page logs, for each key that moves to another
//! comic, the time from the key press to the first frame drawn after it (a diagnostic).

mod candidate_card;
mod keys;
mod layout;
pub mod store;

use crate::ui::failure::send;
use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Instant;

use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gdk, gio, glib};
use relm4::prelude::*;
use relm4::{Sender, WorkerController};

use self::candidate_card::{CandidateCard, candidate_title, percent};
use self::keys::install_keys;
use self::store::{ReviewStore, ReviewStoreInit, ReviewStoreInput, ReviewStoreOutput};
use super::pictures::{CoverKey, Fit, PictureError, PictureLoader, Priority, Source, TextureCache};
use crate::catalog::missing::MissingVolume;
use crate::i18n::{fill, gettext, ngettext};
use crate::matching::Threshold;
use crate::matching::review::{
    Decision, ReviewCounts, ReviewItem, ReviewSession, Undo, held_sentence,
};

/// Candidates shown, and keys 1 to this.
const CANDIDATES: usize = 5;
/// Comics ahead whose covers are decoded before they are shown.
const AHEAD: usize = 3;
/// Longest side of the owned cover and of a catalog cover, as decoded.
const OWNED_SIDE: u32 = 1000;
const CATALOG_SIDE: u32 = 520;
/// Width of the owned comic's column; the candidates get the rest.
const OWNED_WIDTH: i32 = 280;

pub struct ReviewInit {
    pub store: ReviewStoreInit,
    pub settings: gio::Settings,
}

#[derive(Debug)]
pub enum ReviewMsg {
    /// Read the comics waiting for review again.
    Reload,
    /// Apply candidate N (from 0).
    Apply(usize),
    ApplyHighlighted,
    /// Apply candidate N after the user confirmed a score below the threshold.
    Confirmed(usize),
    Skip,
    Back,
    Trash,
    Undo,
    Leave,
    Highlight(usize),
    /// Show variant cover M of candidate N large.
    Flip(usize, usize),
    ApplyAll,
    ApplyAllConfirmed,
    Threshold(f64),
    Store(ReviewStoreOutput),
    /// Show the covers like the current comic's, on the Comics page.
    FindSimilar,
    /// Look for the largest group of comics the catalog lacks on ComicVine.
    SearchMissing,
    Cover(CoverKey, Result<gdk::Texture, PictureError>),
}

#[derive(Debug)]
pub enum ReviewOutput {
    Leave,
    /// Rank the collection by likeness to this comic's cover, on the Comics page.
    FindSimilar(i32),
    /// A decision was saved: the collection's counts changed.
    Changed,
    /// Open the catalog window on this ComicVine search: the volume of comics the catalog lacks.
    SearchCatalog(String),
}

pub struct ReviewPage {
    session: ReviewSession,
    loaded: bool,
    threshold: f32,
    highlighted: usize,
    flipped: [usize; CANDIDATES],
    store: WorkerController<ReviewStore>,
    covers: PictureLoader<CoverKey>,
    /// The covers of the comics around the one shown; `None`: the cover cannot be read.
    textures: TextureCache<CoverKey>,
    root: gtk::Box,
    toasts: adw::ToastOverlay,
    last_toast: Option<adw::Toast>,
    /// When the key that moved to another comic was pressed, until the frame that shows it.
    pressed: Rc<Cell<Option<Instant>>>,
    /// The comic the view shows, to tell when it changed.
    shown: Cell<Option<usize>>,
    /// The volumes the catalog lacks for the comics, largest group first.
    missing: Vec<MissingVolume>,
}

pub struct ReviewWidgets {
    pages: gtk::Stack,
    /// "Not in your catalog": the volumes the comics need, with a search for the first.
    missing: gtk::Box,
    missing_label: gtk::Label,
    body: gtk::Stack,
    stats: [gtk::Label; 5],
    scale: gtk::Scale,
    threshold: gtk::Label,
    apply_all: gtk::Button,
    owned: gtk::Picture,
    owned_stack: gtk::Stack,
    file_name: gtk::Label,
    position: gtk::Label,
    decision: gtk::Label,
    /// Why this comic is left out of "apply all".
    file_notes: gtk::Label,
    cards: Vec<CandidateCard>,
}

impl SimpleComponent for ReviewPage {
    type Init = ReviewInit;
    type Input = ReviewMsg;
    type Output = ReviewOutput;
    type Root = gtk::Box;
    type Widgets = ReviewWidgets;

    fn init_root() -> Self::Root {
        gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .focusable(true)
            .build()
    }

    fn init(
        init: ReviewInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let ReviewInit { store, settings } = init;
        let store = ReviewStore::builder()
            .detach_worker(store)
            .forward(sender.input_sender(), ReviewMsg::Store);
        let covers = {
            let sender = sender.input_sender().clone();
            PictureLoader::new(move |key, decoded| sender.emit(ReviewMsg::Cover(key, decoded)))
        };

        let (toasts, widgets) = layout::build(&root, &sender, &settings);

        let threshold = Threshold::clamped(settings.double("default-threshold")).value();
        widgets
            .scale
            .adjustment()
            .connect_value_changed(glib::clone!(
                #[strong]
                sender,
                move |adjustment| sender.input(ReviewMsg::Threshold(adjustment.value()))
            ));

        let pressed = Rc::new(Cell::new(None));
        install_keys(&root, &sender, &pressed);

        let model = ReviewPage {
            session: ReviewSession::default(),
            loaded: false,
            threshold,
            highlighted: 0,
            flipped: [0; CANDIDATES],
            store,
            covers,
            textures: TextureCache::new(usize::MAX),
            root: root.clone(),
            toasts,
            last_toast: None,
            missing: Vec::new(),
            pressed,
            shown: Cell::new(None),
        };
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: ReviewMsg, sender: ComponentSender<Self>) {
        let before = self.session.position();
        match message {
            ReviewMsg::Reload => self.store.emit(ReviewStoreInput::Load),
            ReviewMsg::Apply(candidate) => self.ask_to_apply(candidate, &sender),
            ReviewMsg::ApplyHighlighted => self.ask_to_apply(self.highlighted, &sender),
            ReviewMsg::Confirmed(candidate) => self.apply(candidate),
            ReviewMsg::Skip => self.session.skip(),
            ReviewMsg::Back => self.session.back(),
            ReviewMsg::Trash => self.trash(),
            ReviewMsg::Undo => self.undo(),
            ReviewMsg::Leave => {
                send(&sender, ReviewOutput::Leave);
            }
            ReviewMsg::Highlight(candidate) => self.highlighted = candidate,
            ReviewMsg::Flip(candidate, cover) => {
                if let Some(slot) = self.flipped.get_mut(candidate) {
                    *slot = cover;
                }
            }
            ReviewMsg::ApplyAll => self.ask_to_apply_all(&sender),
            ReviewMsg::ApplyAllConfirmed => {
                let changes = self.session.apply_all_above(self.threshold);
                if !changes.is_empty() {
                    self.store.emit(ReviewStoreInput::ApplyAll {
                        changes,
                        threshold: self.threshold,
                    });
                }
            }
            ReviewMsg::Threshold(value) => self.threshold = value as f32,
            ReviewMsg::Store(output) => self.stored(output, &sender),
            ReviewMsg::FindSimilar => {
                if let Some(item) = self.session.current() {
                    send(&sender, ReviewOutput::FindSimilar(item.comic_id));
                }
            }
            ReviewMsg::SearchMissing => {
                if let Some(group) = self.missing.first() {
                    send(&sender, ReviewOutput::SearchCatalog(group.query.clone()));
                }
            }
            ReviewMsg::Cover(key, Ok(texture)) => self.textures.insert(key, Ok(texture)),
            ReviewMsg::Cover(key, Err(error)) => {
                tracing::warn!("cannot show cover {key:?}: {error}");
                self.textures.insert(key, Err(error));
            }
        }
        if self.session.position() != before {
            self.highlighted = 0;
            self.flipped = [0; CANDIDATES];
        }
        self.load_around();
    }

    fn update_view(&self, widgets: &mut Self::Widgets, _sender: ComponentSender<Self>) {
        widgets.missing.set_visible(!self.missing.is_empty());
        if let Some(group) = self.missing.first() {
            widgets
                .missing_label
                .set_label(&missing_sentence(group, self.missing.len()));
        }
        let page = if !self.loaded {
            "loading"
        } else if self.session.is_empty() {
            "empty"
        } else {
            "review"
        };
        widgets.pages.set_visible_child_name(page);

        let counts = self.session.counts();
        let ReviewCounts {
            total,
            classified,
            skipped,
            trash,
            remaining,
        } = counts;
        for (label, value) in widgets
            .stats
            .iter()
            .zip([total, classified, skipped, trash, remaining])
        {
            label.set_label(&value.to_string());
        }

        widgets.threshold.set_label(&percent(self.threshold));
        if (widgets.scale.value() as f32 - self.threshold).abs() > 0.001 {
            widgets.scale.set_value(f64::from(self.threshold));
        }
        let above = self.session.count_above(self.threshold);
        widgets.apply_all.set_sensitive(above > 0);
        widgets.apply_all.set_tooltip_text(Some(&fill(
            &ngettext(
                "{above} comic has a best candidate at or above the threshold",
                "{above} comics have a best candidate at or above the threshold",
                plural(above),
            ),
            &[("above", &above)],
        )));

        let shown_now = self.session.position();
        let changed = self.shown.replace(Some(shown_now)) != Some(shown_now);
        match self.session.current() {
            None => {
                widgets.body.set_visible_child_name("done");
                for card in &widgets.cards {
                    card.hide();
                }
            }
            Some(item) => {
                widgets.body.set_visible_child_name("item");
                self.show_item(widgets, item);
            }
        }
        if changed {
            self.measure_frame();
        } else {
            self.pressed.set(None);
        }
    }
}

impl ReviewPage {
    /// The sender that saves decisions, to wait for them when the window closes.
    pub fn store_sender(&self) -> Sender<ReviewStoreInput> {
        self.store.sender().clone()
    }

    fn show_item(&self, widgets: &ReviewWidgets, item: &ReviewItem) {
        let texture = self.textures.peek(&CoverKey::Comic(item.comic_id));
        widgets.owned.set_paintable(texture);
        let missing = self.textures.failed(&CoverKey::Comic(item.comic_id));
        widgets
            .owned_stack
            .set_visible_child_name(if missing { "missing" } else { "picture" });
        widgets.file_name.set_label(
            &item
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        widgets
            .file_name
            .set_tooltip_text(Some(&item.path.to_string_lossy()));
        widgets.position.set_label(&fill(
            &gettext("{position} of {total}"),
            &[
                ("position", &(self.session.position() + 1)),
                ("total", &self.session.len()),
            ],
        ));
        // What the file itself says against an automatic match.
        let mut notes: Vec<String> = Vec::new();
        if let Some(page) = &item.truncated_cover {
            notes.push(fill(
                &gettext(
                    "Its cover ({name}) is a truncated picture: part of it is missing, so the match is yours to decide and Apply All leaves it out.",
                ),
                &[("name", page)],
            ));
        }
        if let Some(problem) = item.tagged.as_ref().and_then(|tag| tag.problem()) {
            notes.push(problem);
        }
        let editions = item.editions();
        if editions.len() >= 2 {
            notes.push(fill(
                &gettext(
                    "Its cover is the same in {count} editions: pick the one you own. Vistazo learns which publisher you prefer from your picks.",
                ),
                &[("count", &editions.len())],
            ));
        }
        widgets.file_notes.set_visible(!notes.is_empty());
        widgets.file_notes.set_label(&notes.join("\n"));
        let decision = match self.session.current_decision() {
            Some(Decision::Applied(candidate)) => item.candidates.get(candidate).map(|c| {
                fill(
                    &gettext("Classified as {title}. Ctrl+Z undoes."),
                    &[("title", &candidate_title(c))],
                )
            }),
            Some(Decision::Trashed) => Some(gettext("In the trash. Ctrl+Z undoes.")),
            Some(Decision::Skipped) => Some(gettext("Skipped for now.")),
            None => None,
        };
        widgets.decision.set_visible(decision.is_some());
        widgets
            .decision
            .set_label(decision.as_deref().unwrap_or_default());

        for (index, card) in widgets.cards.iter().enumerate() {
            match item.candidates.get(index) {
                Some(candidate) => card.show(
                    candidate,
                    &self.textures,
                    self.flipped[index],
                    index == self.highlighted,
                    self.threshold,
                ),
                None => card.hide(),
            }
        }
    }

    /// Logs the time from the key press to the first frame drawn after the new comic was set.
    fn measure_frame(&self) {
        let Some(pressed) = self.pressed.take() else {
            return;
        };
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let Some(clock) = self.root.frame_clock() else {
            return;
        };
        let ready = self
            .session
            .current()
            .is_none_or(|item| self.textures.contains(&CoverKey::Comic(item.comic_id)));
        let handler: Rc<Cell<Option<glib::SignalHandlerId>>> = Rc::new(Cell::new(None));
        let id = clock.connect_after_paint(glib::clone!(
            #[strong]
            handler,
            move |clock| {
                tracing::debug!(
                    "review: next comic drawn {:.1} ms after the key (cover ready: {ready})",
                    pressed.elapsed().as_secs_f64() * 1000.0
                );
                if let Some(id) = handler.take() {
                    clock.disconnect(id);
                }
            }
        ));
        handler.set(Some(id));
        self.root.queue_draw();
    }

    fn ask_to_apply(&mut self, candidate: usize, sender: &ComponentSender<Self>) {
        let Some(item) = self.session.current() else {
            return;
        };
        let Some(chosen) = item.candidates.get(candidate) else {
            return;
        };
        if self
            .session
            .current_decision()
            .is_some_and(|d| d != Decision::Skipped)
        {
            self.toast(
                &gettext("This comic is decided already; Ctrl+Z undoes the last decision"),
                false,
            );
            return;
        }
        let score = chosen.candidate.signals.combined;
        if score >= self.threshold {
            self.apply(candidate);
            return;
        }
        let body = fill(
            &gettext(
                "{title} is {score} similar, below your threshold of {threshold}. Apply it anyway?",
            ),
            &[
                ("title", &candidate_title(chosen)),
                ("score", &percent(score)),
                ("threshold", &percent(self.threshold)),
            ],
        );
        let dialog = adw::MessageDialog::builder()
            .heading(gettext("Apply a Weak Match?"))
            .body(body)
            .title(gettext("Apply a Weak Match?"))
            .modal(true)
            .build();
        if let Some(window) = self.root.root().and_downcast::<gtk::Window>() {
            dialog.set_transient_for(Some(&window));
        }
        dialog.add_responses(&[
            ("cancel", &gettext("_Cancel")),
            ("apply", &gettext("_Apply")),
        ]);
        dialog.set_response_appearance("apply", adw::ResponseAppearance::Suggested);
        dialog.set_default_response(Some("apply"));
        dialog.set_close_response("cancel");
        let input = sender.input_sender().clone();
        dialog.connect_response(None, move |_, response| {
            if response == "apply" {
                input.emit(ReviewMsg::Confirmed(candidate));
            }
        });
        crate::ui::accessible::present(&dialog);
    }

    fn apply(&mut self, candidate: usize) {
        let title = self
            .session
            .current()
            .and_then(|item| item.candidates.get(candidate))
            .map(candidate_title);
        let Some(change) = self.session.apply(candidate) else {
            return;
        };
        self.store.emit(ReviewStoreInput::Apply {
            change,
            threshold: self.threshold,
        });
        if let Some(title) = title {
            self.toast(
                &fill(&gettext("Classified as {title}"), &[("title", &title)]),
                true,
            );
        }
    }

    fn trash(&mut self) {
        let name = self.session.current().map(file_name);
        let Some(comic_id) = self.session.trash() else {
            return;
        };
        self.store.emit(ReviewStoreInput::Trash(comic_id));
        if let Some(name) = name {
            self.toast(
                &fill(&gettext("{name} moved to the trash"), &[("name", &name)]),
                true,
            );
        }
    }

    fn undo(&mut self) {
        let Some(undo) = self.session.undo() else {
            self.toast(&gettext("Nothing to undo"), false);
            return;
        };
        let message = match &undo {
            Undo::Classification { .. } => gettext("Classification undone"),
            Undo::Trash { .. } => gettext("Taken out of the trash"),
            Undo::Batch { comic_ids } => fill(
                &ngettext(
                    "{count} classification undone",
                    "{count} classifications undone",
                    plural(comic_ids.len()),
                ),
                &[("count", &comic_ids.len())],
            ),
        };
        self.store.emit(ReviewStoreInput::Undo(undo));
        self.toast(&message, false);
    }

    fn ask_to_apply_all(&mut self, sender: &ComponentSender<Self>) {
        let count = self.session.count_above(self.threshold);
        let held = held_sentence(&self.session.held_above(self.threshold));
        if count == 0 {
            let message = match &held {
                Some(held) => fill(
                    &gettext("No comic can be applied without you: {held}"),
                    &[("held", held)],
                ),
                None => gettext("No comic's best candidate reaches the threshold"),
            };
            self.toast(&message, false);
            return;
        }
        let heading = fill(
            &ngettext(
                "Apply {count} Match?",
                "Apply {count} Matches?",
                plural(count),
            ),
            &[("count", &count)],
        );
        let body = fill(
            &ngettext(
                "{count} comic is classified as its best candidate, which scores at least {threshold}. Ctrl+Z undoes this.",
                "{count} comics are classified as their best candidate, which scores at least {threshold}. Ctrl+Z undoes them all.",
                plural(count),
            ),
            &[("count", &count), ("threshold", &percent(self.threshold))],
        );
        let body = match held {
            Some(held) => format!(
                "{body}\n\n{}",
                fill(&gettext("{held}."), &[("held", &held)])
            ),
            None => body,
        };
        let dialog = adw::MessageDialog::builder()
            .heading(&heading)
            .body(body)
            .title(&heading)
            .modal(true)
            .build();
        if let Some(window) = self.root.root().and_downcast::<gtk::Window>() {
            dialog.set_transient_for(Some(&window));
        }
        dialog.add_responses(&[
            ("cancel", &gettext("_Cancel")),
            ("apply", &gettext("_Apply All")),
        ]);
        dialog.set_response_appearance("apply", adw::ResponseAppearance::Suggested);
        dialog.set_default_response(Some("apply"));
        dialog.set_close_response("cancel");
        let input = sender.input_sender().clone();
        dialog.connect_response(None, move |_, response| {
            if response == "apply" {
                input.emit(ReviewMsg::ApplyAllConfirmed);
            }
        });
        crate::ui::accessible::present(&dialog);
    }

    fn stored(&mut self, output: ReviewStoreOutput, sender: &ComponentSender<Self>) {
        match output {
            ReviewStoreOutput::Loaded(items, missing) => {
                self.missing = missing;
                self.session = ReviewSession::new(items);
                self.loaded = true;
                self.textures.clear();
                self.covers.cancel_all();
                if self.root.is_mapped() {
                    self.root.grab_focus();
                }
            }
            ReviewStoreOutput::Saved => {
                send(sender, ReviewOutput::Changed);
            }
            ReviewStoreOutput::AppliedAll(count) => {
                send(sender, ReviewOutput::Changed);
                self.toast(
                    &fill(
                        &ngettext(
                            "{count} comic classified",
                            "{count} comics classified",
                            plural(count),
                        ),
                        &[("count", &count)],
                    ),
                    true,
                );
            }
            ReviewStoreOutput::Refused(comics) => {
                for comic in &comics {
                    self.session.refused(*comic);
                }
                send(sender, ReviewOutput::Changed);
                self.toast(
                    &fill(
                        &ngettext(
                            "{count} comic changed since it was suggested and was left as it is",
                            "{count} comics changed since they were suggested and were left as they are",
                            plural(comics.len()),
                        ),
                        &[("count", &comics.len())],
                    ),
                    false,
                );
            }
            ReviewStoreOutput::Failed(reason) => {
                self.show_toast(reason.toast());
            }
        }
    }

    fn toast(&mut self, text: &str, with_undo: bool) {
        let toast = adw::Toast::new(&crate::ui::markup(text));
        if with_undo {
            toast.set_button_label(Some(&gettext("Undo")));
            let root = self.root.clone();
            toast.connect_button_clicked(move |_| {
                // The page's own action, so the toast needs no handle on the component.
                let _ = root.activate_action("review.undo", None);
            });
        }
        self.show_toast(toast);
    }

    fn show_toast(&mut self, toast: adw::Toast) {
        // One toast at a time: a quick reviewer would otherwise queue dozens.
        if let Some(previous) = self.last_toast.take() {
            previous.dismiss();
        }
        self.toasts.add_toast(toast.clone());
        self.last_toast = Some(toast);
    }

    /// Asks for the covers of the current comic, then of those ahead and the one before, and
    /// forgets the others.
    fn load_around(&mut self) {
        if !self.loaded {
            return;
        }
        let position = self.session.position();
        let mut order: Vec<usize> = (position..position + AHEAD + 1).collect();
        if position > 0 {
            order.push(position - 1);
        }
        let mut wanted: Vec<(CoverKey, Source, Fit, Priority)> = Vec::new();
        for (at, index) in order.into_iter().enumerate() {
            let priority = if at == 0 {
                Priority::Now
            } else {
                Priority::Ahead
            };
            let Some(item) = self.session.item(index) else {
                continue;
            };
            let owned = match &item.thumbnail {
                Some(file) => Source::File(file.clone()),
                None => Source::ComicFile(item.path.clone()),
            };
            wanted.push((
                CoverKey::Comic(item.comic_id),
                owned,
                Fit::Within(OWNED_SIDE),
                priority,
            ));
            for candidate in item.candidates.iter().take(CANDIDATES) {
                for cover in &candidate.covers {
                    if let Some(file) = &cover.file {
                        wanted.push((
                            CoverKey::Catalog(cover.id_cover),
                            Source::File(file.clone()),
                            Fit::Within(CATALOG_SIDE),
                            priority,
                        ));
                    }
                }
            }
        }
        let keep: HashSet<CoverKey> = wanted.iter().map(|(key, ..)| *key).collect();
        self.textures.retain(|key| keep.contains(key));
        self.covers.retain(|key| keep.contains(key));
        for (key, source, fit, priority) in wanted {
            // Asked again, a cover still queued moves to its new priority.
            if !self.textures.contains(&key) {
                self.covers.load(key, source, fit, priority);
            }
        }
    }
}

fn file_name(item: &ReviewItem) -> String {
    item.path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// "Not in your catalog: Iron Unknown (1999), 3 comics — and 2 more volumes."
fn missing_sentence(first: &MissingVolume, groups: usize) -> String {
    let name = match first.year {
        Some(year) => format!("{} ({year})", first.series),
        None => first.series.clone(),
    };
    let comics = first.comics.len();
    let sentence = fill(
        &ngettext(
            "Not in your catalog: {volume}, {count} comic.",
            "Not in your catalog: {volume}, {count} comics.",
            plural(comics),
        ),
        &[("volume", &name), ("count", &comics)],
    );
    if groups > 1 {
        let more = groups - 1;
        format!(
            "{sentence} {}",
            fill(
                &ngettext(
                    "{count} more volume is missing too: vistazo catalog missing lists them.",
                    "{count} more volumes are missing too: vistazo catalog missing lists them.",
                    plural(more),
                ),
                &[("count", &more)],
            )
        )
    } else {
        sentence
    }
}

fn plural(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
