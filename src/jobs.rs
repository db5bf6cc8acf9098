//! Long work (scan, embed, classify, train, import) shared by the command line and the app:
//! progress as typed values, cancellation through a shared flag checked between items.
//!
//! A job never blocks on its observer: progress goes out through a callback the caller chooses
//! (a progress bar in the terminal, the [`ProgressMonitor`] a page of the app reads), and a job
//! that is cancelled stops between two items, keeping what it has already saved.

pub mod monitor;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub use monitor::{JobState, ProgressMonitor, ProgressReport, Unit};

/// Asks a running job to stop. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A snapshot of a job's progress, cheap to copy across threads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    /// Items per second since the job started.
    pub rate: f64,
    /// Time left at the current rate; `None` until the rate is known.
    pub eta: Option<Duration>,
}

impl Progress {
    /// Fraction done in 0..=1; an empty job is complete.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        }
    }
}

/// Measures a job's rate and ETA as items complete.
#[derive(Debug, Clone)]
pub struct ProgressMeter {
    started: Instant,
    done: u64,
    total: u64,
}

impl ProgressMeter {
    pub fn new(total: u64) -> Self {
        Self::starting_at(total, Instant::now())
    }

    fn starting_at(total: u64, started: Instant) -> Self {
        Self {
            started,
            done: 0,
            total,
        }
    }

    pub fn advance(&mut self, items: u64) -> Progress {
        self.done = self.done.saturating_add(items);
        self.snapshot()
    }

    pub fn snapshot(&self) -> Progress {
        self.snapshot_at(Instant::now())
    }

    fn snapshot_at(&self, now: Instant) -> Progress {
        let elapsed = now.saturating_duration_since(self.started).as_secs_f64();
        let rate = if elapsed > 0.0 {
            self.done as f64 / elapsed
        } else {
            0.0
        };
        let left = self.total.saturating_sub(self.done);
        let eta = (rate > 0.0).then(|| Duration::from_secs_f64(left as f64 / rate));
        Progress {
            done: self.done,
            total: self.total,
            rate,
            eta,
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    /// Stopped on request; the work done before is saved.
    Cancelled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta_follow_elapsed_time() {
        let start = Instant::now();
        let mut meter = ProgressMeter::starting_at(100, start);
        meter.done = 20;
        let progress = meter.snapshot_at(start + Duration::from_secs(10));
        assert_eq!(progress.done, 20);
        assert!((progress.rate - 2.0).abs() < 1e-9);
        assert_eq!(progress.eta, Some(Duration::from_secs(40)));
        assert!((progress.fraction() - 0.2).abs() < 1e-9);
    }

    #[test]
    fn no_eta_before_the_first_item() {
        let start = Instant::now();
        let meter = ProgressMeter::starting_at(5, start);
        assert_eq!(meter.snapshot_at(start + Duration::from_secs(1)).eta, None);
    }

    #[test]
    fn cancel_is_seen_by_every_clone() {
        let token = CancelToken::new();
        let seen_by_job = token.clone();
        assert!(!seen_by_job.is_cancelled());
        token.cancel();
        assert!(seen_by_job.is_cancelled());
    }
}
