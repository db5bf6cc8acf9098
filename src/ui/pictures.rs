//! The UI's one way to show a picture: every page (the collection grid, review, the catalog,
//! labeling, the Interiors gallery and its charts) decodes through here.
//!
//! - [`decode`] reads a picture from where it is ([`Source`]) and [`fit`]s it to the size the
//!   page shows, the one scale-or-crop of the UI; [`texture`] turns packed RGB into a texture,
//!   the one copy the UI makes of a decoded picture.
//! - [`PictureLoader`] queues requests for a few decoding threads that every loader shares, so
//!   that what is on screen on any page comes before what a page wants ahead of time
//!   ([`Priority`]); the texture is made on the decoding thread and handed to the page on the
//!   main thread, or dropped when the page asked for something else meanwhile.
//! - [`TextureCache`] keeps the textures a page shows, least recently shown out first, with the
//!   pictures that cannot be read remembered so that they are not read again.
//! - [`PictureSlots`] joins the three for lists whose rows come and go (the grid, the gallery):
//!   a row shows a key's picture and lets it go when it is unbound.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::path::PathBuf;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use image::RgbImage;
use image::imageops::{self, FilterType};
use relm4::gtk::{self, gdk, glib, prelude::*};

use crate::imaging::{self, DecodeLimits};
use crate::library::{self, ThumbnailStore};
use crate::matching::owned_cover_picture;
use crate::ui::background::give_way_to_the_window;

/// A cover the review page or the catalog shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoverKey {
    /// The cover of an owned comic, by comic id.
    Comic(i32),
    /// A catalog cover, by cover id.
    Catalog(i32),
}

/// Where a picture is.
#[derive(Debug, Clone)]
pub enum Source {
    /// A picture file.
    File(PathBuf),
    /// The cover page inside a comic file.
    ComicFile(PathBuf),
    /// An owned comic's cover: the thumbnail Babelcomics4 keeps, else the cover page of its
    /// file.
    OwnedCover {
        store: ThumbnailStore,
        id_comicbook: i32,
        path: PathBuf,
    },
}

/// The size a page shows a picture at, in device pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fit {
    /// Scaled down, keeping its proportions, to at most this on its longest side.
    Within(u32),
    /// Exactly this wide and high, cropped around its middle to those proportions.
    Fill(u32, u32),
}

/// Why a picture cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    #[error("{0}")]
    Unreadable(String),
    #[error("{}", crate::i18n::gettext("the decoder stopped on this picture"))]
    Crashed,
}

/// How soon a page needs a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Wanted ahead of time (the next comics to review): oldest request first.
    Ahead,
    /// On screen now: newest request first, so what was scrolled to last comes first.
    Now,
}

/// Reads the picture at `source` and fits it to `fit`.
pub fn decode(source: &Source, fit: Fit) -> Result<RgbImage, PictureError> {
    let limits = DecodeLimits::default();
    let unreadable = |error: &dyn std::fmt::Display| PictureError::Unreadable(error.to_string());
    let picture = match source {
        Source::File(path) => imaging::load_rgb(path, &limits).map_err(|e| unreadable(&e))?,
        Source::ComicFile(path) => library::read_cover(path)
            .map_err(|e| unreadable(&e))?
            .image
            .into_rgb8(),
        Source::OwnedCover {
            store,
            id_comicbook,
            path,
        } => {
            owned_cover_picture(store, *id_comicbook, path, &limits).map_err(|e| unreadable(&e))?
        }
    };
    Ok(self::fit(picture, fit))
}

/// Scales `picture` to `fit`; a picture smaller than `Within` asks stays as it is.
pub fn fit(picture: RgbImage, fit: Fit) -> RgbImage {
    let (w, h) = picture.dimensions();
    if w == 0 || h == 0 {
        return match fit {
            Fit::Within(_) => picture,
            Fit::Fill(width, height) => RgbImage::new(width, height),
        };
    }
    match fit {
        Fit::Within(side) if w.max(h) <= side => picture,
        Fit::Within(side) => {
            let scale = f64::from(side) / f64::from(w.max(h));
            let width = ((f64::from(w) * scale).round() as u32).max(1);
            let height = ((f64::from(h) * scale).round() as u32).max(1);
            imageops::resize(&picture, width, height, FilterType::Triangle)
        }
        Fit::Fill(width, height) => {
            let (width, height) = (width.max(1), height.max(1));
            // The largest part of the picture with the target's proportions.
            let (crop_w, crop_h) =
                if u64::from(w) * u64::from(height) > u64::from(h) * u64::from(width) {
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
            let middle =
                imageops::crop_imm(&picture, (w - crop_w) / 2, (h - crop_h) / 2, crop_w, crop_h)
                    .to_image();
            if (crop_w, crop_h) == (width, height) {
                middle
            } else {
                imageops::resize(&middle, width, height, FilterType::Triangle)
            }
        }
    }
}

/// A texture of `picture`, whose pixels move into it without another copy.
pub fn texture(picture: RgbImage) -> gdk::Texture {
    let (width, height) = picture.dimensions();
    let bytes = glib::Bytes::from_owned(picture.into_raw());
    gdk::MemoryTexture::new(
        i32::try_from(width).unwrap_or(i32::MAX),
        i32::try_from(height).unwrap_or(i32::MAX),
        gdk::MemoryFormat::R8g8b8,
        &bytes,
        width as usize * 3,
    )
    .upcast()
}

/// A decoded picture on its way back to the page that asked.
type Reply = Box<dyn FnOnce(Result<gdk::Texture, PictureError>) + Send>;

/// One picture to decode.
struct Job {
    /// Which loader asked, and its request: to drop it when the loader no longer wants it.
    loader: u64,
    ticket: u64,
    priority: Priority,
    source: Source,
    fit: Fit,
    reply: Reply,
}

/// The requests of every loader, shared with the decoding threads.
#[derive(Default)]
struct Queue {
    jobs: Mutex<Vec<Job>>,
    wake: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Vec<Job>> {
        // A decoding thread that panicked leaves plain data behind: go on with it.
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The job to do next: the newest of those on screen, else the oldest of those ahead.
    fn take(jobs: &mut Vec<Job>) -> Option<Job> {
        let now = jobs
            .iter()
            .rposition(|job| job.priority == Priority::Now)
            .or_else(|| (!jobs.is_empty()).then_some(0))?;
        Some(jobs.remove(now))
    }

    fn next(&self) -> Job {
        let mut jobs = self.lock();
        loop {
            if let Some(job) = Self::take(&mut jobs) {
                return job;
            }
            jobs = self.wake.wait(jobs).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The decoding threads, started with the first loader and kept while the app runs.
fn shared_queue() -> &'static Arc<Queue> {
    static QUEUE: OnceLock<Arc<Queue>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let queue = Arc::new(Queue::default());
        let threads = std::thread::available_parallelism()
            .map(|n| n.get().clamp(1, 4))
            .unwrap_or(2);
        for number in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("picture-{number}"))
                .spawn(move || {
                    give_way_to_the_window();
                    loop {
                        let job = queue.next();
                        // A decoder that panics on a hostile file costs that picture only.
                        let decoded =
                            std::panic::catch_unwind(|| decode(&job.source, job.fit).map(texture))
                                .unwrap_or(Err(PictureError::Crashed));
                        (job.reply)(decoded);
                    }
                });
            if let Err(error) = spawned {
                tracing::warn!("cannot start a thread to decode pictures: {error}");
            }
        }
        queue
    })
}

fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

struct LoaderInner<K> {
    id: u64,
    /// The request each key waits for; a reply with another ticket is for a request dropped.
    tickets: RefCell<HashMap<K, u64>>,
}

impl<K> Drop for LoaderInner<K> {
    fn drop(&mut self) {
        shared_queue().lock().retain(|job| job.loader != self.id);
    }
}

/// Decodes pictures for one page, which gets each texture (or why not) by key on the main
/// thread. Asking for a key again replaces the earlier request; clones share the requests.
pub struct PictureLoader<K> {
    inner: Rc<LoaderInner<K>>,
    sender: relm4::Sender<(K, u64, Result<gdk::Texture, PictureError>)>,
}

impl<K> Clone for PictureLoader<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Rc::clone(&self.inner),
            sender: self.sender.clone(),
        }
    }
}

impl<K: Clone + Eq + Hash + Send + std::fmt::Debug + 'static> PictureLoader<K> {
    /// A loader whose pictures go to `deliver`, on the main thread.
    pub fn new(deliver: impl Fn(K, Result<gdk::Texture, PictureError>) + 'static) -> Self {
        let (sender, receiver) = relm4::channel::<(K, u64, Result<gdk::Texture, PictureError>)>();
        let inner = Rc::new(LoaderInner {
            id: next_id(),
            tickets: RefCell::default(),
        });
        let weak: Weak<LoaderInner<K>> = Rc::downgrade(&inner);
        relm4::spawn_local(async move {
            while let Some((key, ticket, decoded)) = receiver.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                let mut tickets = inner.tickets.borrow_mut();
                if tickets.get(&key) == Some(&ticket) {
                    tickets.remove(&key);
                    drop(tickets);
                    deliver(key, decoded);
                }
            }
        });
        Self { inner, sender }
    }

    /// Asks for `key`'s picture, read from `source` and fitted to `fit`. Asked again while it
    /// waits, it moves to `priority` (last asked, first decoded among those on screen); while it
    /// is being decoded, the picture under way is the answer.
    pub fn load(&self, key: K, source: Source, fit: Fit, priority: Priority) {
        let queue = shared_queue();
        let mut jobs = queue.lock();
        let mut tickets = self.inner.tickets.borrow_mut();
        if let Some(&ticket) = tickets.get(&key) {
            if let Some(at) = jobs.iter().position(|job| job.ticket == ticket) {
                let mut job = jobs.remove(at);
                job.priority = priority;
                jobs.push(job);
            }
            return;
        }
        let ticket = next_id();
        tickets.insert(key.clone(), ticket);
        drop(tickets);
        let sender = self.sender.clone();
        let reply: Reply = Box::new(move |decoded| {
            if sender.send((key, ticket, decoded)).is_err() {
                tracing::debug!("a page closed before its picture was decoded");
            }
        });
        jobs.push(Job {
            loader: self.inner.id,
            ticket,
            priority,
            source,
            fit,
            reply,
        });
        drop(jobs);
        queue.wake.notify_one();
    }

    /// `key`'s picture is no longer wanted.
    pub fn cancel(&self, key: &K) {
        if let Some(ticket) = self.inner.tickets.borrow_mut().remove(key) {
            shared_queue().lock().retain(|job| job.ticket != ticket);
        }
    }

    /// Only the pictures of the keys `keep` says yes to are still wanted.
    pub fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        let mut dropped = Vec::new();
        self.inner.tickets.borrow_mut().retain(|key, ticket| {
            let kept = keep(key);
            if !kept {
                dropped.push(*ticket);
            }
            kept
        });
        if !dropped.is_empty() {
            shared_queue()
                .lock()
                .retain(|job| !dropped.contains(&job.ticket));
        }
    }

    /// No picture asked for is wanted any more, decoded or not.
    pub fn cancel_all(&self) {
        self.inner.tickets.borrow_mut().clear();
        let id = self.inner.id;
        shared_queue().lock().retain(|job| job.loader != id);
    }
}

/// The textures a page shows, least recently shown out first beyond its capacity. A key whose
/// picture cannot be read is kept with the reason, so that it is not read again.
pub struct TextureCache<K> {
    textures: HashMap<K, (Result<gdk::Texture, PictureError>, u64)>,
    clock: u64,
    capacity: usize,
}

impl<K: Clone + Eq + Hash> TextureCache<K> {
    pub fn new(capacity: usize) -> Self {
        Self {
            textures: HashMap::new(),
            clock: 0,
            capacity,
        }
    }

    /// What is kept for `key`, counted as shown now.
    pub fn get(&mut self, key: &K) -> Option<Result<gdk::Texture, PictureError>> {
        self.clock += 1;
        let clock = self.clock;
        self.textures.get_mut(key).map(|(texture, used)| {
            *used = clock;
            texture.clone()
        })
    }

    /// The texture of `key`, without counting it as shown.
    pub fn peek(&self, key: &K) -> Option<&gdk::Texture> {
        self.textures
            .get(key)
            .and_then(|(texture, _)| texture.as_ref().ok())
    }

    pub fn contains(&self, key: &K) -> bool {
        self.textures.contains_key(key)
    }

    /// Why `key`'s picture cannot be shown, when it cannot.
    pub fn failure(&self, key: &K) -> Option<&PictureError> {
        self.textures
            .get(key)
            .and_then(|(texture, _)| texture.as_ref().err())
    }

    pub fn failed(&self, key: &K) -> bool {
        self.failure(key).is_some()
    }

    pub fn insert(&mut self, key: K, texture: Result<gdk::Texture, PictureError>) {
        self.clock += 1;
        self.textures.insert(key, (texture, self.clock));
        while self.textures.len() > self.capacity {
            let Some(oldest) = self
                .textures
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            self.textures.remove(&oldest);
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.textures.retain(|key, _| keep(key));
    }

    /// Forgets the pictures that could not be read, to try them again.
    pub fn forget_failures(&mut self) {
        self.textures.retain(|_, (texture, _)| texture.is_ok());
    }

    pub fn clear(&mut self) {
        self.textures.clear();
    }
}

struct SlotsInner<K> {
    cache: RefCell<TextureCache<K>>,
    /// What each picture on screen shows, by the picture's address: a row bound to another key
    /// simply replaces its entry, so a texture never lands in a row that moved on.
    shown: RefCell<HashMap<usize, (glib::WeakRef<gtk::Picture>, K)>>,
    loader: RefCell<Option<PictureLoader<K>>>,
}

/// Pictures for the rows of a list: a row shows a key's picture when it is bound, and lets it
/// go when unbound, which drops the request unless another row shows the same picture.
pub struct PictureSlots<K> {
    inner: Rc<SlotsInner<K>>,
}

impl<K> Clone for PictureSlots<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Rc::clone(&self.inner),
        }
    }
}

fn address(picture: &gtk::Picture) -> usize {
    picture.as_ptr() as usize
}

impl<K: Clone + Eq + Hash + Send + std::fmt::Debug + 'static> PictureSlots<K> {
    /// Slots keeping up to `capacity` textures.
    pub fn new(capacity: usize) -> Self {
        let inner = Rc::new(SlotsInner {
            cache: RefCell::new(TextureCache::new(capacity)),
            shown: RefCell::default(),
            loader: RefCell::new(None),
        });
        let weak = Rc::downgrade(&inner);
        let loader = PictureLoader::new(move |key: K, decoded| {
            if let Some(inner) = weak.upgrade() {
                deliver(&inner, key, decoded);
            }
        });
        *inner.loader.borrow_mut() = Some(loader);
        Self { inner }
    }

    fn loader(&self) -> Option<PictureLoader<K>> {
        self.inner.loader.borrow().clone()
    }

    /// Shows `key`'s picture in `picture`: at once when it is kept, else once `source` is
    /// decoded (the picture is empty meanwhile).
    pub fn show(&self, picture: &gtk::Picture, key: K, source: Source, fit: Fit) {
        self.inner
            .shown
            .borrow_mut()
            .insert(address(picture), (picture.downgrade(), key.clone()));
        if let Some(kept) = self.inner.cache.borrow_mut().get(&key) {
            picture.set_paintable(kept.ok().as_ref());
            return;
        }
        picture.set_paintable(gdk::Paintable::NONE);
        if let Some(loader) = self.loader() {
            // Asked again: it goes first among the pictures on screen.
            loader.load(key, source, fit, Priority::Now);
        }
    }

    /// Shows in `picture` what is kept for `key`, without decoding it: `false` when nothing is.
    pub fn show_kept(&self, picture: &gtk::Picture, key: &K) -> bool {
        let Some(kept) = self.inner.cache.borrow_mut().get(key) else {
            return false;
        };
        self.inner
            .shown
            .borrow_mut()
            .insert(address(picture), (picture.downgrade(), key.clone()));
        picture.set_paintable(kept.ok().as_ref());
        true
    }

    /// `picture` no longer shows `key`.
    pub fn release(&self, picture: &gtk::Picture, key: &K) {
        let mut shown = self.inner.shown.borrow_mut();
        let here = address(picture);
        if shown.get(&here).is_some_and(|(_, showing)| showing == key) {
            shown.remove(&here);
        }
        shown.retain(|_, (weak, _)| weak.upgrade().is_some());
        let still_wanted = shown.values().any(|(_, showing)| showing == key);
        drop(shown);
        if !still_wanted && let Some(loader) = self.loader() {
            loader.cancel(key);
        }
    }

    /// Every picture kept or asked for is forgotten (the keys now name other pictures).
    pub fn forget_all(&self) {
        if let Some(loader) = self.loader() {
            loader.cancel_all();
        }
        self.inner.cache.borrow_mut().clear();
        self.inner.shown.borrow_mut().clear();
    }

    /// Lets the pictures that could not be read be tried again.
    pub fn forget_failures(&self) {
        self.inner.cache.borrow_mut().forget_failures();
    }
}

fn deliver<K: Clone + Eq + Hash + std::fmt::Debug>(
    inner: &SlotsInner<K>,
    key: K,
    decoded: Result<gdk::Texture, PictureError>,
) {
    if let Err(error) = &decoded {
        tracing::debug!("no picture for {key:?}: {error}");
    }
    let texture = decoded.as_ref().ok().cloned();
    inner.cache.borrow_mut().insert(key.clone(), decoded);
    let pictures: Vec<gtk::Picture> = inner
        .shown
        .borrow()
        .values()
        .filter(|(_, showing)| *showing == key)
        .filter_map(|(weak, _)| weak.upgrade())
        .collect();
    for picture in pictures {
        picture.set_paintable(texture.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filling_keeps_the_middle_of_the_picture() {
        // A wide picture: left third red, middle green, right third blue.
        let wide = RgbImage::from_fn(300, 150, |x, _| match x / 100 {
            0 => image::Rgb([255, 0, 0]),
            1 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        let tile = fit(wide, Fit::Fill(40, 60));
        assert_eq!(tile.dimensions(), (40, 60));
        assert_eq!(tile.get_pixel(20, 30).0, [0, 255, 0]);
    }

    #[test]
    fn within_scales_down_only() {
        let tall = RgbImage::new(200, 400);
        assert_eq!(fit(tall.clone(), Fit::Within(100)).dimensions(), (50, 100));
        assert_eq!(fit(tall, Fit::Within(1000)).dimensions(), (200, 400));
    }

    fn job(ticket: u64, priority: Priority) -> Job {
        Job {
            loader: 1,
            ticket,
            priority,
            source: Source::File(PathBuf::new()),
            fit: Fit::Within(1),
            reply: Box::new(|_| {}),
        }
    }

    #[test]
    fn pictures_on_screen_come_first_newest_first_then_those_ahead_in_order() {
        let mut jobs = vec![
            job(1, Priority::Ahead),
            job(2, Priority::Now),
            job(3, Priority::Ahead),
            job(4, Priority::Now),
        ];
        let order: Vec<u64> = std::iter::from_fn(|| Queue::take(&mut jobs))
            .map(|job| job.ticket)
            .collect();
        assert_eq!(order, [4, 2, 1, 3]);
    }

    #[test]
    fn the_cache_forgets_the_least_recently_shown_first() {
        let unreadable = || Err(PictureError::Unreadable("test".to_owned()));
        let mut cache = TextureCache::new(2);
        cache.insert(1, unreadable());
        cache.insert(2, unreadable());
        assert!(cache.get(&1).is_some());
        cache.insert(3, unreadable());
        assert!(cache.contains(&1) && cache.contains(&3) && !cache.contains(&2));
        assert!(cache.failed(&1));
    }
}
