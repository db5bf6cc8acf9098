//! The cover grid: a `GtkGridView` over a `gio::ListStore` of small objects, one per comic,
//! filtered by shelf (all, unclassified, classified, trash) and by what the search entry holds.
//!
//! The grid creates widgets only for the tiles on screen and recycles them while scrolling;
//! binding a tile asks the [`CoverLoader`] for its cover and unbinding lets it go, so a
//! collection of tens of thousands of comics costs a few dozen widgets and covers.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use relm4::gtk::{self, gio, glib, prelude::*};

mod widget;

use self::widget::{TileWidgets, factory};
use super::covers::{COVER_WIDTH, CoverLoader};
use crate::db::ComicTileRow;
use crate::i18n::{fill, gettext};

/// One comic as a tile shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    pub id: i32,
    pub path: String,
    /// "Series #number" when classified as an issue the catalog has, else the file name.
    pub title: String,
    pub classified: bool,
    pub in_trash: bool,
    /// Unclassified with a suggestion waiting for review.
    pub to_review: bool,
    /// What the search matches against, in lower case.
    search_text: String,
}

impl Tile {
    pub fn from_row(row: ComicTileRow) -> Self {
        let file_name = Path::new(&row.path)
            .file_stem()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| row.path.clone());
        let series = match (&row.volume, &row.number) {
            (Some(volume), Some(number)) if !volume.trim().is_empty() => Some(fill(
                &gettext("{volume} #{number}"),
                &[("volume", &volume.trim()), ("number", &number.trim())],
            )),
            _ => None,
        };
        let search_text = match &series {
            Some(series) => format!("{file_name}\n{series}").to_lowercase(),
            None => file_name.to_lowercase(),
        };
        let classified = row.issue.is_some();
        Self {
            id: row.id_comicbook,
            title: series.unwrap_or(file_name),
            classified,
            in_trash: row.in_trash,
            to_review: !classified && row.suggested,
            path: row.path,
            search_text,
        }
    }

    pub fn matches(&self, shelf: Shelf, words: &[String]) -> bool {
        shelf.holds(self) && words.iter().all(|word| self.search_text.contains(word))
    }
}

/// Which comics the grid shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Shelf {
    /// Every comic not in the trash.
    #[default]
    All,
    Unclassified,
    Classified,
    Trash,
    /// The comics owned more than once, a group after another.
    Duplicates,
}

impl Shelf {
    fn holds(self, tile: &Tile) -> bool {
        match self {
            Self::All | Self::Duplicates => !tile.in_trash,
            Self::Unclassified => !tile.in_trash && !tile.classified,
            Self::Classified => !tile.in_trash && tile.classified,
            Self::Trash => tile.in_trash,
        }
    }
}

/// How many comics each shelf holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub all: u64,
    pub unclassified: u64,
    pub classified: u64,
    pub trash: u64,
}

impl Counts {
    /// Every comic the collection has, trash included.
    pub fn collection(&self) -> u64 {
        self.all + self.trash
    }
}

#[derive(Default)]
struct Filtering {
    shelf: Shelf,
    words: Vec<String>,
    /// A search by picture content: how similar each comic's cover is to what was asked,
    /// and the least similarity shown. It replaces the search by name while it lasts.
    content: Option<Ranking>,
    /// The comics of the duplicates shelf: their group, their place in it, and what tells the
    /// copies apart (format and size).
    duplicates: HashMap<i32, (usize, usize, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct Ranking {
    pub scores: HashMap<i32, f32>,
    pub cutoff: f32,
}

impl Filtering {
    fn lets_through(&self, tile: &Tile) -> bool {
        if self.shelf == Shelf::Duplicates && !self.duplicates.contains_key(&tile.id) {
            return false;
        }
        match &self.content {
            Some(ranking) => {
                self.shelf.holds(tile)
                    && ranking
                        .scores
                        .get(&tile.id)
                        .is_some_and(|score| *score >= ranking.cutoff)
            }
            None => tile.matches(self.shelf, &self.words),
        }
    }

    fn score(&self, tile: &Tile) -> Option<f32> {
        self.content.as_ref()?.scores.get(&tile.id).copied()
    }

    /// What the tile says over its cover: its similarity during a search by content, else on
    /// the duplicates shelf what tells the copies apart.
    fn note(&self, id: i32) -> Option<(String, String)> {
        if let Some(score) = self.content.as_ref().and_then(|r| r.scores.get(&id)) {
            return Some((
                format!("{score:.2}"),
                gettext("How similar the cover is to what you asked for (cosine, −1 to 1)"),
            ));
        }
        if self.shelf != Shelf::Duplicates {
            return None;
        }
        self.duplicates.get(&id).map(|(.., note)| {
            (
                note.clone(),
                gettext(
                    "The copy's format, size and pages; Delete moves the one you do not want to the trash",
                ),
            )
        })
    }
}

/// The widgets showing each comic on screen (or about to be), by comic id.
type Bound = Rc<RefCell<HashMap<i32, TileWidgets>>>;

/// The grid and its model.
pub struct CoverGrid {
    store: gio::ListStore,
    bound: Bound,
    filter: gtk::CustomFilter,
    filtered: gtk::FilterListModel,
    sorter: gtk::CustomSorter,
    filtering: Rc<RefCell<Filtering>>,
    view: gtk::GridView,
}

/// "Find Similar Covers" of a tile: its menu item, and the key for the tile with the focus.
pub const FIND_SIMILAR_KEY: &str = "<Control><Shift>f";

impl CoverGrid {
    /// The grid; `find_similar` is called with a comic's id when the user asks for covers like
    /// its (from the tile's menu, or with [`FIND_SIMILAR_KEY`] on the focused tile).
    /// `trash` is called with the focused comic's id when Delete is pressed on the duplicates
    /// shelf.
    pub fn new(
        loader: &CoverLoader,
        find_similar: impl Fn(i32) + 'static,
        trash: impl Fn(i32) + 'static,
    ) -> Self {
        let store = gio::ListStore::new::<glib::BoxedAnyObject>();
        let filtering = Rc::new(RefCell::new(Filtering::default()));
        let filter = gtk::CustomFilter::new(glib::clone!(
            #[strong]
            filtering,
            move |item| {
                let Some(item) = item.downcast_ref::<glib::BoxedAnyObject>() else {
                    return false;
                };
                filtering.borrow().lets_through(&item.borrow::<Tile>())
            }
        ));
        let filtered = gtk::FilterListModel::new(Some(store.clone()), Some(filter.clone()));
        // A shelf switch or a search over tens of thousands of comics is filtered in slices
        // between frames: the window keeps answering and the grid fills as it goes.
        filtered.set_incremental(true);
        // By similarity during a search by content, else in collection order.
        let sorter = gtk::CustomSorter::new(glib::clone!(
            #[strong]
            filtering,
            move |a, b| {
                let filtering = filtering.borrow();
                let score = |item: &glib::Object| {
                    item.downcast_ref::<glib::BoxedAnyObject>()
                        .and_then(|item| filtering.score(&item.borrow::<Tile>()))
                };
                let group = |item: &glib::Object| {
                    item.downcast_ref::<glib::BoxedAnyObject>()
                        .and_then(|item| {
                            filtering
                                .duplicates
                                .get(&item.borrow::<Tile>().id)
                                .map(|(group, at, _)| (*group, *at))
                        })
                };
                match (score(a), score(b)) {
                    (Some(a), Some(b)) => b.total_cmp(&a).into(),
                    _ if filtering.shelf == Shelf::Duplicates => match (group(a), group(b)) {
                        (Some(a), Some(b)) => a.cmp(&b).into(),
                        _ => gtk::Ordering::Equal,
                    },
                    _ => gtk::Ordering::Equal,
                }
            }
        ));
        let sorted = gtk::SortListModel::new(Some(filtered.clone()), Some(sorter.clone()));
        let selection = gtk::NoSelection::new(Some(sorted));
        let bound = Bound::default();
        let find_similar: Rc<dyn Fn(i32)> = Rc::new(find_similar);
        let view = gtk::GridView::new(
            Some(selection),
            Some(factory(loader, &bound, &filtering, &find_similar)),
        );
        view.set_min_columns(1);
        follow_the_width(&view);
        view.add_css_class("cover-grid");
        let keys = gtk::ShortcutController::new();
        let focused_tile = {
            let bound = Rc::clone(&bound);
            move || {
                bound.borrow().iter().find_map(|(id, widgets)| {
                    widgets
                        .frame
                        .parent()
                        .and_then(|tile| tile.parent())
                        .is_some_and(|cell| cell.has_focus() || cell.is_focus())
                        .then_some(*id)
                })
            }
        };
        {
            let (filtering, focused_tile) = (Rc::clone(&filtering), focused_tile.clone());
            keys.add_shortcut(gtk::Shortcut::new(
                gtk::ShortcutTrigger::parse_string("Delete"),
                Some(gtk::CallbackAction::new(move |_, _| {
                    let on_shelf = filtering.borrow().shelf == Shelf::Duplicates;
                    match focused_tile().filter(|_| on_shelf) {
                        Some(id) => {
                            trash(id);
                            glib::Propagation::Stop
                        }
                        None => glib::Propagation::Proceed,
                    }
                })),
            ));
        }
        {
            let bound = Rc::clone(&bound);
            keys.add_shortcut(gtk::Shortcut::new(
                gtk::ShortcutTrigger::parse_string("Menu|<Shift>F10"),
                Some(gtk::CallbackAction::new(move |_, _| {
                    let tile = bound.borrow().values().find_map(|widgets| {
                        let tile = widgets.frame.parent()?;
                        let cell = tile.parent()?;
                        (cell.has_focus() || cell.is_focus()).then_some(tile)
                    });
                    match tile {
                        Some(tile) if tile.activate_action("tile.menu", None).is_ok() => {
                            glib::Propagation::Stop
                        }
                        _ => glib::Propagation::Proceed,
                    }
                })),
            ));
        }
        keys.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string(FIND_SIMILAR_KEY),
            Some(gtk::CallbackAction::new(move |_, _| match focused_tile() {
                Some(id) => {
                    find_similar(id);
                    glib::Propagation::Stop
                }
                None => glib::Propagation::Proceed,
            })),
        ));
        view.add_controller(keys);
        crate::ui::accessible::one_tab_stop(&view);
        Self {
            store,
            bound,
            filter,
            filtered,
            sorter,
            filtering,
            view,
        }
    }

    /// The `count` unclassified comics out of the trash the search by content ranks first,
    /// as (id, title).
    pub fn best_unclassified(&self, count: usize) -> Vec<(i32, String)> {
        let filtering = self.filtering.borrow();
        let Some(ranking) = &filtering.content else {
            return Vec::new();
        };
        let mut ranked: Vec<(f32, i32, String)> = (0..self.store.n_items())
            .filter_map(|at| self.tile_at(at))
            .filter_map(|object| {
                let tile = object.borrow::<Tile>();
                let score = ranking.scores.get(&tile.id)?;
                (!tile.classified && !tile.in_trash).then(|| (*score, tile.id, tile.title.clone()))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked
            .into_iter()
            .take(count)
            .map(|(_, id, title)| (id, title))
            .collect()
    }

    /// The duplicates shelf's groups: each a list of comic ids, and for each comic what tells
    /// it from its copies.
    pub fn set_duplicates(&self, groups: Vec<Vec<(i32, String)>>) {
        let mut duplicates = HashMap::new();
        for (group, comics) in groups.into_iter().enumerate() {
            for (at, (id, note)) in comics.into_iter().enumerate() {
                duplicates.insert(id, (group, at, note));
            }
        }
        self.filtering.borrow_mut().duplicates = duplicates;
        self.filter.changed(gtk::FilterChange::Different);
        self.sorter.changed(gtk::SorterChange::Different);
        self.show_scores();
    }

    /// The title of comic `id`'s tile.
    pub fn title_of(&self, id: i32) -> Option<String> {
        (0..self.store.n_items())
            .filter_map(|at| self.tile_at(at))
            .find(|object| object.borrow::<Tile>().id == id)
            .map(|object| object.borrow::<Tile>().title.clone())
    }

    /// Ranks the comics by picture content (`Some`), or back by name and collection order.
    pub fn set_ranking(&self, ranking: Option<Ranking>) {
        self.filtering.borrow_mut().content = ranking;
        self.filter.changed(gtk::FilterChange::Different);
        self.sorter.changed(gtk::SorterChange::Different);
        self.show_scores();
        if let Some(adjustment) = self.view.vadjustment() {
            adjustment.set_value(0.0);
        }
    }

    /// The least similarity a comic needs to be shown during a search by content.
    pub fn set_cutoff(&self, cutoff: f32) {
        let change = {
            let mut filtering = self.filtering.borrow_mut();
            let Some(ranking) = filtering.content.as_mut() else {
                return;
            };
            let old = std::mem::replace(&mut ranking.cutoff, cutoff);
            if cutoff > old {
                gtk::FilterChange::MoreStrict
            } else {
                gtk::FilterChange::LessStrict
            }
        };
        self.filter.changed(change);
    }

    /// How many comics a cut-off would show, on the shelf.
    pub fn count_at(&self, cutoff: f32) -> usize {
        let filtering = self.filtering.borrow();
        let Some(ranking) = &filtering.content else {
            return 0;
        };
        (0..self.store.n_items())
            .filter_map(|at| self.tile_at(at))
            .filter(|object| {
                let tile = object.borrow::<Tile>();
                filtering.shelf.holds(&tile)
                    && ranking.scores.get(&tile.id).is_some_and(|s| *s >= cutoff)
            })
            .count()
    }

    /// The similarity on the tiles on screen, or none.
    fn show_scores(&self) {
        let filtering = self.filtering.borrow();
        for (id, widgets) in self.bound.borrow().iter() {
            widgets.show_note(filtering.note(*id));
        }
    }

    pub fn widget(&self) -> &gtk::GridView {
        &self.view
    }

    /// Moves the keyboard focus to the first tile once the filter has let it through, unless
    /// a text entry has the focus.
    pub fn focus_first_when_shown(&self) {
        let view = self.view.clone();
        let filtered = self.filtered.clone();
        let mut tries = 0;
        glib::timeout_add_local(std::time::Duration::from_millis(50), move || {
            tries += 1;
            let typing = view
                .root()
                .and_then(|root| root.focus())
                .is_some_and(|focus| focus.is::<gtk::Text>());
            if typing || tries > 40 {
                return glib::ControlFlow::Break;
            }
            if filtered.n_items() == 0 || !view.is_mapped() {
                return glib::ControlFlow::Continue;
            }
            view.grab_focus();
            glib::ControlFlow::Break
        });
    }

    /// Shows `tiles` instead of what the grid had. When the comics are the same ones in the
    /// same order (a classification changed some), the changed tiles are updated in place and
    /// only the tiles on screen are redrawn: the grid keeps its scroll position, and a thousand
    /// classified comics do not make a thousand changes to the list (each one restyles every
    /// tile GTK keeps, which froze the window for most of a minute).
    pub fn replace(&self, tiles: Vec<Tile>) {
        let current = self.store.n_items();
        let same_comics = current as usize == tiles.len()
            && tiles.iter().enumerate().all(|(at, tile)| {
                self.tile_at(at as u32)
                    .is_some_and(|object| object.borrow::<Tile>().id == tile.id)
            });
        if !same_comics {
            let objects: Vec<glib::BoxedAnyObject> =
                tiles.into_iter().map(glib::BoxedAnyObject::new).collect();
            self.store.splice(0, current, &objects);
            return;
        }
        let (mut left, mut entered) = (false, false);
        {
            let filtering = self.filtering.borrow();
            let bound = self.bound.borrow();
            for (at, tile) in tiles.into_iter().enumerate() {
                let Some(object) = self.tile_at(at as u32) else {
                    continue;
                };
                let mut shown = object.borrow_mut::<Tile>();
                if *shown == tile {
                    continue;
                }
                let was_in = filtering.lets_through(&shown);
                let is_in = filtering.lets_through(&tile);
                left |= was_in && !is_in;
                entered |= is_in && !was_in;
                *shown = tile;
                if let Some(widgets) = bound.get(&shown.id) {
                    widgets.show(&shown);
                }
            }
        }
        let change = match (left, entered) {
            (false, false) => None,
            (true, false) => Some(gtk::FilterChange::MoreStrict),
            (false, true) => Some(gtk::FilterChange::LessStrict),
            (true, true) => Some(gtk::FilterChange::Different),
        };
        if let Some(change) = change {
            self.filter.changed(change);
        }
    }

    /// Empties the grid (the app switched to another collection).
    pub fn clear(&self) {
        self.store.remove_all();
    }

    fn tile_at(&self, at: u32) -> Option<glib::BoxedAnyObject> {
        self.store.item(at).and_downcast::<glib::BoxedAnyObject>()
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for at in 0..self.store.n_items() {
            let Some(object) = self.tile_at(at) else {
                continue;
            };
            let tile = object.borrow::<Tile>();
            if tile.in_trash {
                counts.trash += 1;
            } else {
                counts.all += 1;
                if tile.classified {
                    counts.classified += 1;
                } else {
                    counts.unclassified += 1;
                }
            }
        }
        counts
    }

    pub fn set_shelf(&self, shelf: Shelf) {
        let changed = {
            let mut filtering = self.filtering.borrow_mut();
            std::mem::replace(&mut filtering.shelf, shelf) != shelf
        };
        if changed {
            self.filter.changed(gtk::FilterChange::Different);
            self.sorter.changed(gtk::SorterChange::Different);
            self.show_scores();
            if let Some(adjustment) = self.view.vadjustment() {
                adjustment.set_value(0.0);
            }
        }
    }

    /// Shows only the comics whose file name or series holds every word of `text`.
    pub fn set_search(&self, text: &str) {
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        let change = {
            let mut filtering = self.filtering.borrow_mut();
            let old = std::mem::replace(&mut filtering.words, words);
            let new = &filtering.words;
            if old == *new {
                None
            } else if old
                .iter()
                .all(|w| new.iter().any(|n| n.contains(w.as_str())))
            {
                Some(gtk::FilterChange::MoreStrict)
            } else if new
                .iter()
                .all(|n| old.iter().any(|w| w.contains(n.as_str())))
            {
                Some(gtk::FilterChange::LessStrict)
            } else {
                Some(gtk::FilterChange::Different)
            }
        };
        if let Some(change) = change {
            self.filter.changed(change);
        }
    }

    /// How many tiles the shelf and the search let through so far.
    pub fn shown(&self) -> u32 {
        self.filtered.n_items()
    }

    /// Whether the shelf or the search is still being applied to some comics.
    pub fn filtering(&self) -> bool {
        self.filtered.pending() > 0
    }

    /// Calls `changed` after the tiles shown or the comics still to filter change: once per
    /// turn of the main loop, however many changes that turn made.
    pub fn connect_shown_changed(&self, changed: impl Fn() + 'static) {
        let changed = Rc::new(changed);
        let queued = Rc::new(Cell::new(false));
        let queue = move || {
            if !queued.replace(true) {
                let (changed, queued) = (Rc::clone(&changed), Rc::clone(&queued));
                glib::idle_add_local_once(move || {
                    queued.set(false);
                    changed();
                });
            }
        };
        let on_items = queue.clone();
        self.filtered
            .connect_items_changed(move |_, _, _, _| on_items());
        self.filtered
            .connect_notify_local(Some("pending"), move |_, _| queue());
    }
}

/// Keeps the grid's most columns at what its width holds. GTK keeps tiles ready for the most
/// columns times thirty rows around the ones on screen, so a fixed maximum wide enough for any
/// screen (64) made it build and bind nearly two thousand tiles on every shelf switch.
fn follow_the_width(view: &gtk::GridView) {
    view.set_max_columns(8);
    view.connect_hadjustment_notify(|view| {
        let Some(adjustment) = view.hadjustment() else {
            return;
        };
        let view = view.downgrade();
        adjustment.connect_page_size_notify(move |adjustment| {
            let fit = (adjustment.page_size() / f64::from(COVER_WIDTH)).floor();
            // At least one column; the cast saturates, and the clamp keeps it sane.
            let columns = (fit as u32).clamp(1, 64);
            let Some(view) = view.upgrade() else {
                return;
            };
            if view.max_columns() != columns {
                // Not during the allocation that changed the width.
                glib::idle_add_local_once(move || view.set_max_columns(columns));
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(path: &str, issue: Option<&str>, series: Option<(&str, &str)>, trash: bool) -> Tile {
        Tile::from_row(ComicTileRow {
            id_comicbook: 1,
            path: path.to_owned(),
            issue: issue.map(str::to_owned),
            volume: series.map(|s| s.0.to_owned()),
            number: series.map(|s| s.1.to_owned()),
            in_trash: trash,
            suggested: true,
        })
    }

    #[test]
    fn a_classified_comic_is_titled_by_its_series_and_found_by_either_name() {
        let saga = tile("/c/saga_01.cbz", Some("70"), Some(("Saga", "1")), false);
        assert_eq!(saga.title, "Saga #1");
        assert!(!saga.to_review);
        let words = |text: &str| {
            text.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert!(saga.matches(Shelf::Classified, &words("saga #1")));
        assert!(saga.matches(Shelf::All, &words("_01")));
        assert!(!saga.matches(Shelf::Unclassified, &[]));
        assert!(!saga.matches(Shelf::All, &words("batman")));
    }

    #[test]
    fn an_unclassified_comic_is_titled_by_its_file_and_may_wait_for_review() {
        let scan = tile("/c/scan 42.cbr", None, None, false);
        assert_eq!(scan.title, "scan 42");
        assert!(scan.to_review);
        assert!(scan.matches(Shelf::Unclassified, &[]));
        let trashed = tile("/c/old.cbz", None, None, true);
        assert!(trashed.matches(Shelf::Trash, &[]));
        assert!(!trashed.matches(Shelf::All, &[]));
    }
}
