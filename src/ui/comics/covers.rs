//! Cover thumbnails for the collection grid, loaded only for the tiles on screen.
//!
//! A tile asks for its cover when the grid binds it and lets go when the grid unbinds it.
//! Covers are decoded and scaled to the tile's size on a few decoding threads, newest request
//! first, so the covers being looked at come before the ones scrolled past; a request whose
//! tile was unbound before a thread took it is dropped. Decoded covers come back to the main
//! thread as small textures and are kept in a bounded cache, least recently shown out first.
//!
//! The pictures are the thumbnails Babelcomics4 keeps (or the cover page read from the comic
//! file when there is none), found through [`crate::matching::owned_cover_picture`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use image::RgbImage;
use image::imageops::{self, FilterType};
use relm4::gtk::{self, gdk, glib, prelude::*};

use crate::imaging::DecodeLimits;
use crate::library::ThumbnailStore;
use crate::matching::owned_cover_picture;
use crate::ui::background::give_way_to_the_window;

/// Size of a cover on a tile, in logical pixels (the 2:3 of a comic cover).
pub const COVER_WIDTH: i32 = 150;
pub const COVER_HEIGHT: i32 = 225;

/// Covers kept decoded: a few screens' worth on a large monitor, about 40 MB at this size.
const CACHE_CAPACITY: usize = 400;

/// A cover to decode.
struct Request {
    /// The collection it belongs to (see [`CoverLoader::set_store`]).
    generation: u64,
    id: i32,
    path: PathBuf,
    /// Device pixels wide and high.
    size: (u32, u32),
}

/// What a decoding thread sends back.
enum Decoded {
    Cover {
        id: i32,
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    },
    Failed {
        id: i32,
        reason: String,
    },
}

#[derive(Default)]
struct Pending {
    /// A stack: the newest request is taken first.
    requests: Vec<Request>,
    store: Option<ThumbnailStore>,
    /// Bumped when the app switches to another collection: comic ids then name other comics.
    generation: u64,
    closed: bool,
}

/// The requests, shared with the decoding threads.
#[derive(Default)]
struct Queue {
    pending: Mutex<Pending>,
    wake: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A decoding thread that panicked leaves plain data behind: go on with it.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next request and where the covers are; `None` once the loader is gone.
    fn next(&self) -> Option<(Request, ThumbnailStore)> {
        let mut pending = self.lock();
        loop {
            if pending.closed {
                return None;
            }
            if let Some(store) = pending.store.clone()
                && let Some(request) = pending.requests.pop()
            {
                return Some((request, store));
            }
            pending = self
                .wake
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// Recently shown covers; `None` marks a comic whose cover cannot be read, so that scrolling
/// back to it does not read its file again.
#[derive(Default)]
struct Cache {
    covers: HashMap<i32, (Option<gdk::Texture>, u64)>,
    clock: u64,
}

impl Cache {
    fn get(&mut self, id: i32) -> Option<Option<gdk::Texture>> {
        self.clock += 1;
        let clock = self.clock;
        self.covers.get_mut(&id).map(|(texture, used)| {
            *used = clock;
            texture.clone()
        })
    }

    fn insert(&mut self, id: i32, texture: Option<gdk::Texture>) {
        self.clock += 1;
        self.covers.insert(id, (texture, self.clock));
        if self.covers.len() > CACHE_CAPACITY
            && let Some(oldest) = self
                .covers
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
        {
            self.covers.remove(&oldest);
        }
    }
}

struct Inner {
    queue: Arc<Queue>,
    cache: RefCell<Cache>,
    /// The pictures waiting for each comic's cover.
    waiting: RefCell<HashMap<i32, Vec<glib::WeakRef<gtk::Picture>>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.wake.notify_all();
    }
}

/// Loads covers for the tiles of the grid. Clones share one cache and one set of threads.
#[derive(Clone)]
pub struct CoverLoader {
    inner: Rc<Inner>,
}

impl CoverLoader {
    /// Starts the decoding threads; covers are read once [`Self::set_store`] says where.
    pub fn new() -> Self {
        let queue = Arc::new(Queue::default());
        let (sender, receiver) = relm4::channel::<(u64, Decoded)>();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get().clamp(1, 4))
            .unwrap_or(2);
        for number in 0..threads {
            let queue = Arc::clone(&queue);
            let sender = sender.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("cover-{number}"))
                .spawn(move || decode_until_closed(&queue, &sender));
            if let Err(error) = spawned {
                tracing::warn!("cannot start a thread to decode covers: {error}");
            }
        }
        let inner = Rc::new(Inner {
            queue,
            cache: RefCell::default(),
            waiting: RefCell::default(),
        });
        let weak: Weak<Inner> = Rc::downgrade(&inner);
        relm4::spawn_local(async move {
            while let Some((generation, decoded)) = receiver.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                if generation == inner.queue.lock().generation {
                    deliver(&inner, decoded);
                }
            }
        });
        Self { inner }
    }

    /// Where the covers are; covers that could not be read are tried again.
    pub fn set_store(&self, store: ThumbnailStore) {
        self.inner.queue.lock().store = Some(store);
        self.inner.queue.wake.notify_all();
        self.forget_failures();
    }

    /// The app switched to another collection, where the same ids name other comics: every
    /// cover kept or asked for is forgotten, and covers still being decoded are dropped.
    pub fn forget_all(&self) {
        let mut pending = self.inner.queue.lock();
        pending.generation += 1;
        pending.requests.clear();
        pending.store = None;
        drop(pending);
        self.inner.cache.borrow_mut().covers.clear();
        self.inner.waiting.borrow_mut().clear();
    }

    /// Lets the comics whose cover could not be read be tried again (a scan may have made
    /// their thumbnails).
    pub fn forget_failures(&self) {
        self.inner
            .cache
            .borrow_mut()
            .covers
            .retain(|_, (texture, _)| texture.is_some());
    }

    /// Shows comic `id`'s cover in `picture`, at once when it is cached, else when decoded.
    pub fn show(&self, picture: &gtk::Picture, id: i32, path: &str) {
        if let Some(cached) = self.inner.cache.borrow_mut().get(id) {
            picture.set_paintable(cached.as_ref());
            return;
        }
        picture.set_paintable(None::<&gdk::Paintable>);
        let mut waiting = self.inner.waiting.borrow_mut();
        let pictures = waiting.entry(id).or_default();
        pictures.push(picture.downgrade());
        let scale = u32::try_from(picture.scale_factor().max(1)).unwrap_or(1);
        let size = (
            COVER_WIDTH.unsigned_abs() * scale,
            COVER_HEIGHT.unsigned_abs() * scale,
        );
        let mut pending = self.inner.queue.lock();
        // Asked again: it moves to the top of the stack.
        pending.requests.retain(|request| request.id != id);
        let generation = pending.generation;
        pending.requests.push(Request {
            generation,
            id,
            path: PathBuf::from(path),
            size,
        });
        drop(pending);
        self.inner.queue.wake.notify_one();
    }

    /// `picture` no longer shows comic `id`: its request is dropped unless another tile
    /// waits for the same cover.
    pub fn release(&self, picture: &gtk::Picture, id: i32) {
        let mut waiting = self.inner.waiting.borrow_mut();
        let Some(pictures) = waiting.get_mut(&id) else {
            return;
        };
        pictures.retain(|weak| weak.upgrade().is_some_and(|p| &p != picture));
        if pictures.is_empty() {
            waiting.remove(&id);
            self.inner
                .queue
                .lock()
                .requests
                .retain(|request| request.id != id);
        }
    }
}

fn deliver(inner: &Inner, decoded: Decoded) {
    let (id, texture) = match decoded {
        Decoded::Cover {
            id,
            width,
            height,
            rgb,
        } => {
            let bytes = glib::Bytes::from_owned(rgb);
            let texture = gdk::MemoryTexture::new(
                i32::try_from(width).unwrap_or(i32::MAX),
                i32::try_from(height).unwrap_or(i32::MAX),
                gdk::MemoryFormat::R8g8b8,
                &bytes,
                width as usize * 3,
            );
            (id, Some(texture.upcast::<gdk::Texture>()))
        }
        Decoded::Failed { id, reason } => {
            tracing::debug!("no cover for comic {id}: {reason}");
            (id, None)
        }
    };
    inner.cache.borrow_mut().insert(id, texture.clone());
    let pictures = inner.waiting.borrow_mut().remove(&id).unwrap_or_default();
    for picture in pictures.iter().filter_map(glib::WeakRef::upgrade) {
        picture.set_paintable(texture.as_ref());
    }
}

fn decode_until_closed(queue: &Queue, sender: &relm4::Sender<(u64, Decoded)>) {
    give_way_to_the_window();
    let limits = DecodeLimits::default();
    while let Some((request, store)) = queue.next() {
        let Request {
            generation,
            id,
            path,
            size,
        } = request;
        let decoded = match owned_cover_picture(&store, id, &path, &limits) {
            Ok(picture) => {
                let cover = fill(&picture, size);
                Decoded::Cover {
                    id,
                    width: cover.width(),
                    height: cover.height(),
                    rgb: cover.into_raw(),
                }
            }
            Err(error) => Decoded::Failed {
                id,
                reason: error.to_string(),
            },
        };
        if sender.send((generation, decoded)).is_err() {
            break;
        }
    }
}

/// Scales `picture` to fill `size` exactly, cropping the middle of what does not fit.
fn fill(picture: &RgbImage, (width, height): (u32, u32)) -> RgbImage {
    let (w, h) = picture.dimensions();
    if w == 0 || h == 0 {
        return RgbImage::new(width, height);
    }
    // The largest part of the picture with the target's proportions.
    let (crop_w, crop_h) = if u64::from(w) * u64::from(height) > u64::from(h) * u64::from(width) {
        (
            (u64::from(h) * u64::from(width) / u64::from(height)) as u32,
            h,
        )
    } else {
        (
            w,
            (u64::from(w) * u64::from(height) / u64::from(width)) as u32,
        )
    };
    let (crop_w, crop_h) = (crop_w.max(1), crop_h.max(1));
    let middle = imageops::crop_imm(picture, (w - crop_w) / 2, (h - crop_h) / 2, crop_w, crop_h);
    imageops::resize(&middle.to_image(), width, height, FilterType::Triangle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_fill_the_tile_keeping_their_middle() {
        // A wide picture: left third red, middle green, right third blue.
        let wide = RgbImage::from_fn(300, 150, |x, _| match x / 100 {
            0 => image::Rgb([255, 0, 0]),
            1 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        let tile = fill(&wide, (40, 60));
        assert_eq!(tile.dimensions(), (40, 60));
        assert_eq!(tile.get_pixel(20, 30).0, [0, 255, 0]);
    }
}
