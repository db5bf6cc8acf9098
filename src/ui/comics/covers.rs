//! Cover thumbnails for the collection grid, loaded only for the tiles on screen.
//!
//! A tile asks for its cover when the grid binds it and lets go when the grid unbinds it.
//! Covers are decoded and scaled to the tile's size by the UI's picture loader
//! ([`crate::ui::pictures`]), the covers being looked at first, and kept in a bounded cache,
//! least recently shown out first.
//!
//! The pictures are the thumbnails Babelcomics4 keeps (or the cover page read from the comic
//! file when there is none), found through [`crate::matching::owned_cover_picture`].

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use relm4::gtk::{self, prelude::*};

use crate::library::ThumbnailStore;
use crate::ui::pictures::{Fit, PictureSlots, Source};

/// Size of a cover on a tile, in logical pixels (the 2:3 of a comic cover).
pub const COVER_WIDTH: i32 = 150;
pub const COVER_HEIGHT: i32 = 225;

/// Covers kept decoded: a few screens' worth on a large monitor, about 40 MB at this size.
const CACHE_CAPACITY: usize = 400;

#[derive(Default)]
struct Where {
    store: Option<ThumbnailStore>,
    /// Tiles bound before the collection said where its covers are.
    deferred: Vec<(gtk::glib::WeakRef<gtk::Picture>, i32, PathBuf)>,
}

/// Loads covers for the tiles of the grid. Clones share one cache.
#[derive(Clone)]
pub struct CoverLoader {
    slots: PictureSlots<i32>,
    place: Rc<RefCell<Where>>,
}

impl CoverLoader {
    /// Covers are read once [`Self::set_store`] says where.
    pub fn new() -> Self {
        Self {
            slots: PictureSlots::new(CACHE_CAPACITY),
            place: Rc::default(),
        }
    }

    /// Where the covers are; covers that could not be read are tried again.
    pub fn set_store(&self, store: ThumbnailStore) {
        let deferred = {
            let mut place = self.place.borrow_mut();
            place.store = Some(store);
            std::mem::take(&mut place.deferred)
        };
        self.forget_failures();
        for (picture, id, path) in deferred {
            if let Some(picture) = picture.upgrade() {
                self.show(&picture, id, &path.to_string_lossy());
            }
        }
    }

    /// The app switched to another collection, where the same ids name other comics: every
    /// cover kept or asked for is forgotten, and covers still being decoded are dropped.
    pub fn forget_all(&self) {
        *self.place.borrow_mut() = Where::default();
        self.slots.forget_all();
    }

    /// Lets the comics whose cover could not be read be tried again (a scan may have made
    /// their thumbnails).
    pub fn forget_failures(&self) {
        self.slots.forget_failures();
    }

    /// Shows comic `id`'s cover in `picture`, at once when it is cached, else when decoded.
    pub fn show(&self, picture: &gtk::Picture, id: i32, path: &str) {
        if self.slots.show_kept(picture, &id) {
            return;
        }
        let mut place = self.place.borrow_mut();
        let Some(store) = place.store.clone() else {
            picture.set_paintable(gtk::gdk::Paintable::NONE);
            place
                .deferred
                .push((picture.downgrade(), id, PathBuf::from(path)));
            return;
        };
        drop(place);
        let scale = u32::try_from(picture.scale_factor().max(1)).unwrap_or(1);
        let fit = Fit::Fill(
            COVER_WIDTH.unsigned_abs() * scale,
            COVER_HEIGHT.unsigned_abs() * scale,
        );
        let source = Source::OwnedCover {
            store,
            id_comicbook: id,
            path: PathBuf::from(path),
        };
        self.slots.show(picture, id, source, fit);
    }

    /// `picture` no longer shows comic `id`: its request is dropped unless another tile
    /// waits for the same cover.
    pub fn release(&self, picture: &gtk::Picture, id: i32) {
        self.place
            .borrow_mut()
            .deferred
            .retain(|(weak, _, _)| weak.upgrade().is_some_and(|p| &p != picture));
        self.slots.release(picture, &id);
    }
}
