//! A diagnostic for how responsive the window stays during long jobs. With the environment
//! variable `VISTAZO_MEASURE_STALLS` set, a timer ticks every 10 ms on the main thread; while
//! a job runs, the longest time between two ticks is kept, and when the job ends one line goes
//! to stderr with that gap and how many progress reports reached the window per second:
//!
//! ```text
//! vistazo: classify: 1000 items in 4.2 s; 38 progress updates (9.0/s); longest main-thread gap 14 ms
//! ```
//!
//! A gap of 10 ms is a main thread that never waited; anything above is time the window could
//! not answer. Off (and free) unless the variable is set.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use relm4::gtk::glib;

/// The environment variable that turns the measurement on.
pub const VARIABLE: &str = "VISTAZO_MEASURE_STALLS";

const TICK: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Measure {
    last_tick: Option<Instant>,
    job: Option<Job>,
}

struct Job {
    name: &'static str,
    started: Instant,
    updates: u64,
    longest_gap: Duration,
}

/// Measures the main thread's gaps during jobs. Clones share one measurement.
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
            let now = Instant::now();
            let mut measure = measure.borrow_mut();
            let previous = measure.last_tick.replace(now);
            if let (Some(previous), Some(job)) = (previous, measure.job.as_mut()) {
                job.longest_gap = job.longest_gap.max(now.duration_since(previous));
            }
            glib::ControlFlow::Continue
        });
        Some(Self { measure })
    }

    pub fn start(&self, name: &'static str) {
        let mut measure = self.measure.borrow_mut();
        measure.last_tick = Some(Instant::now());
        measure.job = Some(Job {
            name,
            started: Instant::now(),
            updates: 0,
            longest_gap: Duration::ZERO,
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
             longest main-thread gap {} ms",
            job.name,
            job.updates,
            job.updates as f64 / seconds.max(1e-3),
            job.longest_gap.as_millis(),
        );
    }
}
