//! The search by picture content: a description typed, or "Find Similar Covers" of a comic,
//! ranks the grid by the covers' likeness, with a cut-off the user moves; a catalog issue found
//! can be assigned to a comic from there.

use relm4::adw;
use relm4::gtk::glib;
use relm4::gtk::prelude::*;

use super::collection::CollectionInput;
use super::content_bar::Assign;
use super::content_search::{Query, SearchInput, SearchOutput};
use super::tiles::{Ranking, Shelf};
use super::{ComicsMsg, ComicsPage};
use crate::i18n::{fill, gettext};

impl ComicsPage {
    /// Turns the search by picture content on or off; the entry's text is searched the new way.
    pub(super) fn set_content_mode(&mut self, on: bool) {
        if self.content == on {
            return;
        }
        self.content = on;
        self.content_generation += 1;
        self.example = None;
        if self.content_bar.toggle.is_active() != on {
            self.content_bar.toggle.set_active(on);
        }
        if on {
            self.grid.set_search("");
            self.run_content_query();
        } else {
            if let Some(source) = self.debounce.take() {
                source.remove();
            }
            self.content_bar.hide();
            self.grid.set_ranking(None);
            self.grid.set_search(&self.search);
        }
        self.update_shown();
    }

    /// Searches the typed description once typing pauses.
    pub(super) fn queue_content_query(&mut self) {
        self.content_generation += 1;
        if let Some(source) = self.debounce.take() {
            source.remove();
        }
        let (input, generation) = (self.input.clone(), self.content_generation);
        self.debounce = Some(glib::timeout_add_local_once(
            std::time::Duration::from_millis(350),
            move || input.emit(ComicsMsg::ContentQuery(generation)),
        ));
    }

    pub(super) fn run_content_query(&mut self) {
        let text = self.search.trim().to_owned();
        if text.is_empty() && self.example.is_none() {
            self.grid.set_ranking(None);
            self.content_bar.hide();
            self.content_bar.say(&gettext(
                "Describe what the cover shows; English descriptions work best.",
            ));
            return;
        }
        let query = match &self.example {
            Some((id, name)) => {
                self.content_bar.say(&fill(
                    &gettext("Looking for covers like “{name}”…"),
                    &[("name", name)],
                ));
                Query::Comic(*id)
            }
            None => {
                self.content_bar
                    .say(&fill(&gettext("Looking for “{text}”…"), &[("text", &text)]));
                Query::Text(text)
            }
        };
        self.search_worker.emit(SearchInput::Rank {
            query,
            generation: self.content_generation,
        });
    }

    /// Ranks the covers by their likeness to comic `id`'s.
    pub(super) fn find_similar(&mut self, id: i32) {
        let Some(name) = self.grid.title_of(id) else {
            return;
        };
        if !self.content {
            self.content = true;
            self.content_bar.toggle.set_active(true);
        }
        if let Some(source) = self.debounce.take() {
            source.remove();
        }
        self.content_generation += 1;
        self.example = Some((id, name));
        self.grid.set_search("");
        self.run_content_query();
    }

    pub(super) fn content_output(&mut self, output: SearchOutput) {
        match output {
            SearchOutput::Ranked {
                generation,
                comics,
                catalog,
            } => {
                if generation != self.content_generation || !self.content {
                    return;
                }
                let mut scores: Vec<f32> = comics.values().copied().collect();
                scores.sort_by(|a, b| b.total_cmp(a));
                // At first the best few dozen are shown; the cut-off lets the user see more.
                let cutoff = scores
                    .get(CONTENT_SHOWN.min(scores.len().saturating_sub(1)))
                    .copied()
                    .unwrap_or(-1.0);
                let least = scores.last().copied().unwrap_or(-1.0);
                let most = scores.first().copied().unwrap_or(1.0);
                self.grid.set_ranking(Some(Ranking {
                    scores: comics,
                    cutoff,
                }));
                self.content_bar.set_range(least, most, cutoff);
                self.content_bar
                    .set_count(cutoff, self.grid.count_at(cutoff));
                let what = match &self.example {
                    Some((_, name)) => fill(&gettext("Covers like “{name}”"), &[("name", name)]),
                    None => fill(
                        &gettext("Covers that fit “{search}”"),
                        &[("search", &self.search.trim())],
                    ),
                };
                self.content_bar.say(&what);
                self.ranked_by = Some(what);
                let assign = match &self.example {
                    Some((id, name)) => Assign::To(*id, name.clone()),
                    None => Assign::Choose(self.grid.best_unclassified(ASSIGN_CHOICES)),
                };
                self.content_bar.show_catalog(&catalog, &assign);
                self.update_shown();
            }
            SearchOutput::Assigned { comic_id, applied } => {
                if let Some(ranked) = &self.ranked_by {
                    self.content_bar.say(ranked);
                }
                let toast = if applied {
                    let toast = adw::Toast::builder()
                        .title(gettext("Classified. Undo puts it back as it was."))
                        .button_label(gettext("_Undo"))
                        .timeout(10)
                        .build();
                    let input = self.input.clone();
                    toast.connect_button_clicked(move |_| {
                        input.emit(ComicsMsg::Unassign(comic_id));
                    });
                    toast
                } else {
                    adw::Toast::new(&crate::ui::markup(&gettext(
                        "Nothing was changed: the comic was classified or trashed meanwhile.",
                    )))
                };
                self.toasts.add_toast(toast);
                self.collection.emit(CollectionInput::Load);
            }
            SearchOutput::Unassigned => self.collection.emit(CollectionInput::Load),
            SearchOutput::Duplicates(groups) => {
                self.duplicate_groups = Some(groups.len());
                self.grid.set_duplicates(groups);
                self.update_shown();
                if self.shelf == Shelf::Duplicates {
                    // The copies are side by side: the first one takes the keys (arrows,
                    // Delete) unless the user is typing a search.
                    self.grid.focus_first_when_shown();
                }
            }
            SearchOutput::Trashed { comic_id, in_trash } => {
                if in_trash {
                    self.trashed_copies.push(comic_id);
                    let toast = adw::Toast::builder()
                        .title(gettext("Moved to the trash"))
                        .button_label(gettext("_Undo"))
                        .timeout(10)
                        .build();
                    let input = self.input.clone();
                    toast.connect_button_clicked(move |_| input.emit(ComicsMsg::Untrash(comic_id)));
                    self.toasts.add_toast(toast);
                }
                self.collection.emit(CollectionInput::Load);
                if self.shelf == Shelf::Duplicates {
                    self.search_worker.emit(SearchInput::FindDuplicates);
                }
            }
            SearchOutput::Failed { generation, error } => {
                if generation == 0 || generation == self.content_generation {
                    self.content_bar.say(&error.to_string());
                    self.failure_toast(&error);
                }
            }
        }
    }
}

/// Comics shown at first by a search by content, before the user moves the cut-off.
const CONTENT_SHOWN: usize = 47;

/// Comics "Assign to a Comic…" offers, the best ranked unclassified ones.
const ASSIGN_CHOICES: usize = 8;
