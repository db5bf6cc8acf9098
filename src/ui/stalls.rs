//! A diagnostic for how responsive the window stays during long jobs. With the environment
//! variable `VISTAZO_MEASURE_STALLS` set, a timer ticks every 10 ms on the main thread; while
//! a job runs, the longest time between two ticks is kept, and when the job ends one line goes
//! to stderr with that gap and how many progress reports reached the window per second:
//!
//! ```text
//! vistazo: classify: 1000 items in 4.2 s; 38 progress updates (9.0/s); longest main-thread
//! gap 14 ms, longest busy 6 ms; 0 gaps over 50 ms
//! ```
//!
//! Between jobs, every gap over 50 ms gets a line of its own (`main-thread gap 62 ms, busy
//! 58 ms`), so a slow shelf switch, search or resize shows too.
//!
//! A gap of 10 ms is a main thread that never waited; anything above is time the window could
//! not answer. "Busy" is the processor time the main thread itself spent between two ticks:
//! a gap much longer than its busy time is a main thread that was ready but not scheduled (a
//! machine loaded by other programs), not work of the app's. Off (and free) unless the variable
//! is set.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use relm4::gtk::glib;

/// The environment variable that turns the measurement on.
pub const VARIABLE: &str = "VISTAZO_MEASURE_STALLS";

const TICK: Duration = Duration::from_millis(10);

/// A gap longer than this is one the user can notice.
const NOTICEABLE: Duration = Duration::from_millis(50);

#[derive(Default)]
struct Measure {
    /// When the last tick ran, and the main thread's processor time then.
    last_tick: Option<(Instant, Duration)>,
    job: Option<Job>,
}

struct Job {
    name: &'static str,
    started: Instant,
    updates: u64,
    longest_gap: Duration,
    longest_busy: Duration,
    noticeable: u64,
}

/// The processor time the calling thread has used.
fn thread_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for clock_gettime to write; the clock id is a constant
    // every Linux kernel supports.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// Measures the main thread's gaps, per job and between jobs. Clones share one measurement.
#[derive(Clone)]
pub struct StallMeter {
    measure: Rc<RefCell<Measure>>,
}

impl StallMeter {
    /// A running meter when [`VARIABLE`] is set.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(VARIABLE)?;
        let measure = Rc::new(RefCell::new(Measure::default()));
        let weak = Rc::downgrade(&measure);
        glib::timeout_add_local(TICK, move || {
            let Some(measure) = weak.upgrade() else {
                return glib::ControlFlow::Break;
            };
            let now = (Instant::now(), thread_time());
            let mut measure = measure.borrow_mut();
            let previous = measure.last_tick.replace(now);
            let Some(previous) = previous else {
                return glib::ControlFlow::Continue;
            };
            let gap = now.0.duration_since(previous.0);
            let busy = now.1.saturating_sub(previous.1);
            match measure.job.as_mut() {
                Some(job) => {
                    job.longest_gap = job.longest_gap.max(gap);
                    job.longest_busy = job.longest_busy.max(busy);
                    job.noticeable += u64::from(gap > NOTICEABLE);
                }
                // Between jobs, each noticeable gap gets its own line: a shelf switch, a
                // search or a resize that took too long.
                None if gap > NOTICEABLE => eprintln!(
                    "vistazo: main-thread gap {} ms, busy {} ms",
                    gap.as_millis(),
                    busy.as_millis()
                ),
                None => {}
            }
            glib::ControlFlow::Continue
        });
        Some(Self { measure })
    }

    pub fn start(&self, name: &'static str) {
        let mut measure = self.measure.borrow_mut();
        measure.last_tick = Some((Instant::now(), thread_time()));
        measure.job = Some(Job {
            name,
            started: Instant::now(),
            updates: 0,
            longest_gap: Duration::ZERO,
            longest_busy: Duration::ZERO,
            noticeable: 0,
        });
    }

    /// A progress report reached the window.
    pub fn progress(&self) {
        if let Some(job) = self.measure.borrow_mut().job.as_mut() {
            job.updates += 1;
        }
    }

    /// Ends the job and writes its line; `items` is how many it went through.
    pub fn finish(&self, items: u64) {
        let Some(job) = self.measure.borrow_mut().job.take() else {
            return;
        };
        let seconds = job.started.elapsed().as_secs_f64();
        eprintln!(
            "vistazo: {}: {items} items in {seconds:.1} s; {} progress updates ({:.1}/s); \
             longest main-thread gap {} ms, longest busy {} ms; {} gaps over {} ms",
            job.name,
            job.updates,
            job.updates as f64 / seconds.max(1e-3),
            job.longest_gap.as_millis(),
            job.longest_busy.as_millis(),
            job.noticeable,
            NOTICEABLE.as_millis(),
        );
    }
}
