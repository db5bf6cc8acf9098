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

use super::covers::{COVER_HEIGHT, COVER_WIDTH, CoverLoader};
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
            (Some(volume), Some(number)) if !volume.trim().is_empty() => {
                Some(fill(&gettext("{} #{}"), &[&volume.trim(), &number.trim()]))
            }
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

    fn matches(&self, shelf: Shelf, words: &[String]) -> bool {
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
}

impl Shelf {
    fn holds(self, tile: &Tile) -> bool {
        match self {
            Self::All => !tile.in_trash,
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
}

/// The widgets showing each comic on screen (or about to be), by comic id.
type Bound = Rc<RefCell<HashMap<i32, TileWidgets>>>;

/// The grid and its model.
pub struct CoverGrid {
    store: gio::ListStore,
    bound: Bound,
    filter: gtk::CustomFilter,
    filtered: gtk::FilterListModel,
    filtering: Rc<RefCell<Filtering>>,
    view: gtk::GridView,
}

impl CoverGrid {
    pub fn new(loader: &CoverLoader) -> Self {
        let store = gio::ListStore::new::<glib::BoxedAnyObject>();
        let filtering = Rc::new(RefCell::new(Filtering::default()));
        let filter = gtk::CustomFilter::new(glib::clone!(
            #[strong]
            filtering,
            move |item| {
                let Some(item) = item.downcast_ref::<glib::BoxedAnyObject>() else {
                    return false;
                };
                let filtering = filtering.borrow();
                item.borrow::<Tile>()
                    .matches(filtering.shelf, &filtering.words)
            }
        ));
        let filtered = gtk::FilterListModel::new(Some(store.clone()), Some(filter.clone()));
        // A shelf switch or a search over tens of thousands of comics is filtered in slices
        // between frames: the window keeps answering and the grid fills as it goes.
        filtered.set_incremental(true);
        let selection = gtk::NoSelection::new(Some(filtered.clone()));
        let bound = Bound::default();
        let view = gtk::GridView::new(Some(selection), Some(factory(loader, &bound)));
        view.set_min_columns(1);
        follow_the_width(&view);
        view.add_css_class("cover-grid");
        Self {
            store,
            bound,
            filter,
            filtered,
            filtering,
            view,
        }
    }

    pub fn widget(&self) -> &gtk::GridView {
        &self.view
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
                let was_in = shown.matches(filtering.shelf, &filtering.words);
                let is_in = tile.matches(filtering.shelf, &filtering.words);
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

/// The widgets of one tile: a cover with a badge over it, and a title under it.
struct TileWidgets {
    frame: gtk::Overlay,
    picture: gtk::Picture,
    badge: gtk::Label,
    title: gtk::Label,
}

impl TileWidgets {
    fn build() -> (gtk::Box, Self) {
        let placeholder = gtk::Image::builder()
            .icon_name("image-x-generic-symbolic")
            .pixel_size(48)
            .css_classes(["dim-label"])
            .build();
        let picture = gtk::Picture::builder()
            .content_fit(gtk::ContentFit::Cover)
            .can_shrink(true)
            .build();
        let badge = gtk::Label::builder()
            .halign(gtk::Align::End)
            .valign(gtk::Align::Start)
            .css_classes(["cover-badge"])
            .visible(false)
            .build();
        let frame = gtk::Overlay::builder()
            .width_request(COVER_WIDTH)
            .height_request(COVER_HEIGHT)
            .halign(gtk::Align::Center)
            .overflow(gtk::Overflow::Hidden)
            .css_classes(["cover-frame"])
            .child(&placeholder)
            .build();
        frame.add_overlay(&picture);
        frame.add_overlay(&badge);
        let title = gtk::Label::builder()
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .lines(2)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .justify(gtk::Justification::Center)
            .max_width_chars(1)
            .width_request(COVER_WIDTH)
            .build();
        let tile = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .css_classes(["cover-tile"])
            .build();
        tile.append(&frame);
        tile.append(&title);
        (
            tile,
            Self {
                frame,
                picture,
                badge,
                title,
            },
        )
    }

    /// The widgets of a tile made by [`Self::build`], found again from its root.
    fn of(tile: &gtk::Widget) -> Option<Self> {
        let frame = tile.first_child()?.downcast::<gtk::Overlay>().ok()?;
        let title = frame.next_sibling()?.downcast::<gtk::Label>().ok()?;
        let picture = frame.first_child()?.next_sibling()?;
        let badge = picture.next_sibling()?.downcast::<gtk::Label>().ok()?;
        let picture = picture.downcast::<gtk::Picture>().ok()?;
        Some(Self {
            frame,
            picture,
            badge,
            title,
        })
    }

    fn show(&self, tile: &Tile) {
        self.title.set_label(&tile.title);
        self.frame.set_tooltip_text(Some(&tile.path));
        let badge = if tile.classified {
            Some((gettext("Classified"), "classified", "to-review"))
        } else if tile.to_review {
            Some((gettext("To Review"), "to-review", "classified"))
        } else {
            None
        };
        match badge {
            Some((text, class, other)) => {
                self.badge.set_label(&text);
                self.badge.remove_css_class(other);
                self.badge.add_css_class(class);
                self.badge.set_visible(true);
            }
            None => self.badge.set_visible(false),
        }
    }
}

fn list_parts(item: &glib::Object) -> Option<(TileWidgets, Option<glib::BoxedAnyObject>)> {
    let item = item.downcast_ref::<gtk::ListItem>()?;
    let widgets = TileWidgets::of(&item.child()?)?;
    Some((widgets, item.item().and_downcast::<glib::BoxedAnyObject>()))
}

fn factory(loader: &CoverLoader, bound: &Bound) -> gtk::SignalListItemFactory {
    let factory = gtk::SignalListItemFactory::new();
    factory.connect_setup(|_, item| {
        if let Some(item) = item.downcast_ref::<gtk::ListItem>() {
            let (tile, _) = TileWidgets::build();
            item.set_child(Some(&tile));
        }
    });
    factory.connect_bind(glib::clone!(
        #[strong]
        loader,
        #[strong]
        bound,
        move |_, item| {
            if let Some((widgets, Some(object))) = list_parts(item) {
                let tile = object.borrow::<Tile>();
                widgets.show(&tile);
                loader.show(&widgets.picture, tile.id, &tile.path);
                bound.borrow_mut().insert(tile.id, widgets);
            }
        }
    ));
    factory.connect_unbind(glib::clone!(
        #[strong]
        loader,
        #[strong]
        bound,
        move |_, item| {
            if let Some((widgets, Some(object))) = list_parts(item) {
                let id = object.borrow::<Tile>().id;
                loader.release(&widgets.picture, id);
                let mut bound = bound.borrow_mut();
                if bound
                    .get(&id)
                    .is_some_and(|shown| shown.picture == widgets.picture)
                {
                    bound.remove(&id);
                }
            }
        }
    ));
    factory
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
