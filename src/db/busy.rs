//! How a connection waits for another program's lock on the collection (Babelcomics4 saving a
//! folder scan, the app, another `vistazo` command): up to [`BUSY_TIMEOUT_MS`], as SQLite's own
//! busy timeout would, but visibly. After [`NOTICE_AFTER_MS`] of waiting the process is told
//! once ([`on_long_wait`]), so that a command does not look frozen while it waits.
//!
//! Diesel does not hand out its SQLite handle, so the handler is installed on every connection
//! the process opens, through SQLite's automatic extensions. A connection that sets its own
//! `PRAGMA busy_timeout` afterwards replaces it with SQLite's, which is harmless.

use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, PoisonError, RwLock};
use std::time::Duration;

use libsqlite3_sys as ffi;

use super::BUSY_TIMEOUT_MS;

/// How long a connection waits before the process is told that it is waiting.
pub const NOTICE_AFTER_MS: u64 = 2_000;

type Notice = Box<dyn Fn() + Send + Sync>;

static NOTICE: RwLock<Option<Notice>> = RwLock::new(None);
static NOTICED: AtomicBool = AtomicBool::new(false);
static EVERY_WAIT: AtomicBool = AtomicBool::new(false);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// What to do, once per process, when a connection has waited [`NOTICE_AFTER_MS`] for a lock:
/// the command line prints a line. A later call replaces it. Without one, a warning is
/// logged.
pub fn on_long_wait(notice: impl Fn() + Send + Sync + 'static) {
    *NOTICE.write().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(notice));
}

/// Like [`on_long_wait`], but for every wait that lasts [`NOTICE_AFTER_MS`], once each: for a
/// program that runs long, like the app, where one wait may come hours after another.
pub fn on_every_long_wait(notice: impl Fn() + Send + Sync + 'static) {
    EVERY_WAIT.store(true, Ordering::SeqCst);
    on_long_wait(notice);
}

/// Installs the handler on every connection opened from now on. Returns whether it is: when
/// SQLite refuses, connections fall back to a plain busy timeout.
pub(super) fn install() -> bool {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `entry` has the signature SQLite calls automatic extensions with, and
        // lives as long as the process.
        let status = unsafe { ffi::sqlite3_auto_extension(Some(entry)) };
        INSTALLED.store(status == ffi::SQLITE_OK, Ordering::SeqCst);
    });
    INSTALLED.load(Ordering::SeqCst)
}

/// Called by SQLite for each connection it opens.
unsafe extern "C" fn entry(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening; `busy` needs no argument.
    unsafe { ffi::sqlite3_busy_handler(db, Some(busy), std::ptr::null_mut()) }
}

/// SQLite's own schedule: short sleeps first, then 100 ms at a time.
const DELAYS_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/// The sleep before try `count + 1` of one wait, and the time already slept in it.
fn schedule(count: usize) -> (u64, u64) {
    match DELAYS_MS.get(count) {
        Some(&delay) => (delay, DELAYS_MS[..count].iter().sum()),
        None => {
            let last = DELAYS_MS[DELAYS_MS.len() - 1];
            let before: u64 = DELAYS_MS.iter().sum();
            (last, before + last * (count - DELAYS_MS.len()) as u64)
        }
    }
}

/// Whether to try again after waiting; `count` is how many times this wait has asked.
fn keep_waiting(count: usize) -> Option<Duration> {
    let (delay, waited) = schedule(count);
    if waited >= u64::from(BUSY_TIMEOUT_MS) {
        return None;
    }
    if waited >= NOTICE_AFTER_MS {
        let already = NOTICED.swap(true, Ordering::SeqCst);
        if should_notice(count, already, EVERY_WAIT.load(Ordering::SeqCst)) {
            match NOTICE
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
            {
                Some(notice) => notice(),
                None => tracing::warn!("waiting for another program using the collection"),
            }
        }
    }
    Some(Duration::from_millis(delay))
}

/// Whether try `count` of a wait says that it waits: the first time any wait gets that long
/// (`already`: one did), and with `every_wait` at the try each wait gets that long.
fn should_notice(count: usize, already: bool, every_wait: bool) -> bool {
    let waited = schedule(count).1;
    let reaches_now = count == 0 || schedule(count - 1).1 < NOTICE_AFTER_MS;
    waited >= NOTICE_AFTER_MS && (!already || (every_wait && reaches_now))
}

/// SQLite's busy handler: non-zero to try again.
unsafe extern "C" fn busy(_arg: *mut c_void, count: c_int) -> c_int {
    // A panic must not cross into SQLite: it gives up waiting instead.
    let wait = std::panic::catch_unwind(|| keep_waiting(usize::try_from(count).unwrap_or(0)));
    match wait {
        Ok(Some(delay)) => {
            std::thread::sleep(delay);
            1
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_waits_as_sqlite_does_and_gives_up_at_the_timeout() {
        assert_eq!(schedule(0), (1, 0));
        assert_eq!(schedule(3), (10, 8));
        assert_eq!(schedule(12), (100, 328));
        assert_eq!(schedule(13), (100, 428));
        let tries = (0..).find(|&count| keep_waiting(count).is_none());
        // 328 ms in the short sleeps, then 100 ms at a time up to 30 seconds.
        assert_eq!(tries, Some(12 + (30_000u64 - 328).div_ceil(100) as usize));
    }

    #[test]
    fn a_wait_is_noticed_once_and_each_wait_once_when_asked() {
        let notices = |already: bool, every_wait: bool| {
            (0..400)
                .filter(|&count| should_notice(count, already, every_wait))
                .count()
        };
        // The first long wait of a command is noticed at the one try that reaches 2 s...
        let reaching = (0..)
            .find(|&count| schedule(count).1 >= NOTICE_AFTER_MS)
            .unwrap();
        assert!(should_notice(reaching, false, false));
        assert!(!should_notice(reaching - 1, false, false));
        // ...and a later one only when every wait is to be noticed, once.
        assert_eq!(notices(true, false), 0);
        assert_eq!(notices(true, true), 1);
    }
}
