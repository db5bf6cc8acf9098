//! How far a running job is, as every page of the app shows it: one shared model that the
//! job's worker reports into (a step started with its total, items advanced, the job finished
//! or cancelled) and that the window reads when it draws (done of total, the fraction, the time
//! elapsed and an estimate of the time left, and whether the person asked it to stop).
//!
//! Reporting is a few arithmetic operations under a lock, so a worker may report every item;
//! the window reads the model at its own pace, so a fast job cannot flood the main thread. No
//! GTK here: the widget that renders a [`ProgressReport`] lives in the window.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::CancelToken;

/// What a job's counts are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Comics, covers, photos, volumes: whatever the step goes through one by one.
    #[default]
    Items,
    /// A download, counted in bytes.
    Bytes,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobState {
    /// No job has run yet.
    #[default]
    Idle,
    Running,
    /// Running, and asked to stop: it stops after the item in hand.
    Stopping,
    Finished,
    /// Stopped on request; what it did before stays.
    Cancelled,
}

impl JobState {
    /// Whether a job is on its way (running or stopping).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Stopping)
    }
}

/// One reading of a job's progress, cheap to clone and to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressReport {
    pub state: JobState,
    /// What the job is doing now, in the user's words ("Reading covers…").
    pub label: String,
    pub unit: Unit,
    /// Done in the current step.
    pub done: u64,
    /// The current step's total; `None` while unknown.
    pub total: Option<u64>,
    /// Time since the current step started.
    pub elapsed: Duration,
    /// Whether the person may stop the job.
    pub cancellable: bool,
    /// Counts every report the job made: a reading with the same count shows nothing new.
    pub changes: u64,
    /// Units per second from the step's start to the last report; `None` before the first
    /// one is done.
    rate: Option<f64>,
    /// Time since the last report.
    since_report: Duration,
    /// How much the last report advanced the count.
    last_step: u64,
}

impl ProgressReport {
    /// The fraction done, in 0..=1; `None` while the total is unknown.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total?;
        Some(if total == 0 {
            1.0
        } else {
            (self.done as f64 / total as f64).min(1.0)
        })
    }

    /// Units per second from the step's start to the last report; `None` before the first one
    /// is done.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The time left at the step's rate, counting down between reports; `None` until the rate
    /// and the total are known.
    pub fn remaining(&self) -> Option<Duration> {
        let total = self.total?;
        let rate = self.rate?;
        let left = total.saturating_sub(self.done) as f64;
        Some(Duration::from_secs_f64(left / rate).saturating_sub(self.since_report))
    }

    /// The fraction for a progress bar: the count reported, moved on at the step's rate for
    /// the time since, never further than one more report's worth (a batch of covers being
    /// read shows as moving, and a stalled job does not look as if it went on).
    pub fn moving_fraction(&self) -> Option<f64> {
        let total = self.total?;
        if total == 0 {
            return Some(1.0);
        }
        let ahead = match self.rate {
            Some(rate) if self.state == JobState::Running => {
                (rate * self.since_report.as_secs_f64()).min(self.last_step as f64)
            }
            _ => 0.0,
        };
        Some(((self.done as f64 + ahead) / total as f64).min(1.0))
    }
}

#[derive(Debug, Default)]
struct Status {
    state: JobState,
    label: String,
    unit: Unit,
    done: u64,
    total: Option<u64>,
    started: Option<Instant>,
    reported: Option<Instant>,
    last_step: u64,
    cancellable: bool,
    changes: u64,
    cancel: CancelToken,
}

impl Status {
    fn step(&mut self, unit: Unit, total: Option<u64>, label: String, now: Instant) {
        if !self.state.is_active() {
            // Work nobody asked for by a button (scoring, loading the model) cannot be stopped.
            self.cancel = CancelToken::new();
            self.cancellable = false;
            self.state = JobState::Running;
        }
        self.label = label;
        self.unit = unit;
        self.done = 0;
        self.total = total;
        self.started = Some(now);
        self.reported = Some(now);
        self.last_step = 0;
        self.changes += 1;
    }

    fn count(&mut self, done: u64, now: Instant) {
        self.last_step = done.saturating_sub(self.done);
        self.done = done;
        self.reported = Some(now);
        self.changes += 1;
    }

    fn end(&mut self, state: JobState) {
        if self.state.is_active() {
            self.state = state;
            self.changes += 1;
        }
    }

    fn report(&self, now: Instant) -> ProgressReport {
        let since =
            |at: Option<Instant>| at.map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
        let elapsed = since(self.started);
        let measured = match (self.started, self.reported) {
            (Some(started), Some(reported)) => reported.saturating_duration_since(started),
            _ => Duration::ZERO,
        };
        let rate = (self.done > 0 && !measured.is_zero())
            .then(|| self.done as f64 / measured.as_secs_f64());
        let state = if self.state == JobState::Running && self.cancel.is_cancelled() {
            JobState::Stopping
        } else {
            self.state
        };
        ProgressReport {
            state,
            label: self.label.clone(),
            unit: self.unit,
            done: self.done,
            total: self.total,
            elapsed,
            cancellable: self.cancellable,
            changes: self.changes,
            rate,
            since_report: since(self.reported),
            last_step: self.last_step,
        }
    }
}

/// A job's progress, shared by the job that reports and the window that shows it. Clones share
/// one model; a page keeps one for its jobs, one job at a time.
#[derive(Debug, Clone, Default)]
pub struct ProgressMonitor(Arc<Mutex<Status>>);

impl ProgressMonitor {
    pub fn new() -> Self {
        Self::default()
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        // A worker that panicked while reporting left counts, not broken invariants.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a job the person may stop, at its first step (`label`, total unknown); returns
    /// the token the job checks between items.
    pub fn begin(&self, label: impl Into<String>) -> CancelToken {
        let mut status = self.status();
        status.state = JobState::Idle;
        status.step(Unit::Items, None, label.into(), Instant::now());
        status.cancellable = true;
        status.cancel.clone()
    }

    /// A step of the job started: `total` items (`None` while unknown), said as `label`. With
    /// no job running, it starts one that cannot be stopped.
    pub fn started(&self, total: Option<u64>, label: impl Into<String>) {
        self.started_in(Unit::Items, total, label);
    }

    /// As [`Self::started`], counting in `unit`.
    pub fn started_in(&self, unit: Unit, total: Option<u64>, label: impl Into<String>) {
        self.status()
            .step(unit, total, label.into(), Instant::now());
    }

    /// Says what the step is doing now ("Adding Saga…"), keeping its counts and clock.
    pub fn relabel(&self, label: impl Into<String>) {
        let mut status = self.status();
        status.label = label.into();
        status.changes += 1;
    }

    /// `n` more items of the step are done.
    pub fn advanced(&self, n: u64) {
        let mut status = self.status();
        let done = status.done.saturating_add(n);
        status.count(done, Instant::now());
    }

    /// The step has `done` of `total` items done, as a job that counts itself says.
    pub fn reached(&self, done: u64, total: u64) {
        let mut status = self.status();
        status.total = Some(total);
        status.count(done, Instant::now());
    }

    /// The job ended with all its work done.
    pub fn finished(&self) {
        self.status().end(JobState::Finished);
    }

    /// The job stopped on request.
    pub fn cancelled(&self) {
        self.status().end(JobState::Cancelled);
    }

    /// Asks the running job to stop after the item in hand.
    pub fn cancel(&self) {
        let status = self.status();
        if status.state.is_active() && status.cancellable {
            status.cancel.cancel();
        }
    }

    /// Whether a job is running or stopping.
    pub fn is_active(&self) -> bool {
        self.status().state.is_active()
    }

    pub fn report(&self) -> ProgressReport {
        self.status().report(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_at(start: Instant, total: u64) -> Status {
        let mut status = Status::default();
        status.step(Unit::Items, Some(total), "Reading covers…".into(), start);
        status
    }

    #[test]
    fn a_step_reports_its_fraction_and_the_time_left_at_its_rate() {
        let start = Instant::now();
        let mut status = status_at(start, 100);
        let before = status.report(start + Duration::from_secs(1));
        assert_eq!(before.fraction(), Some(0.0));
        assert_eq!(
            before.remaining(),
            None,
            "no estimate before the first item"
        );

        status.count(20, start + Duration::from_secs(10));
        let report = status.report(start + Duration::from_secs(10));
        assert_eq!(report.state, JobState::Running);
        assert_eq!(report.fraction(), Some(0.2));
        assert_eq!(report.elapsed, Duration::from_secs(10));
        assert_eq!(report.rate(), Some(2.0));
        assert_eq!(report.remaining(), Some(Duration::from_secs(40)));
        assert_eq!(report.label, "Reading covers…");
    }

    #[test]
    fn an_unknown_total_has_no_fraction_and_an_empty_step_is_complete() {
        let start = Instant::now();
        let mut status = Status::default();
        status.step(Unit::Items, None, "Loading the model…".into(), start);
        let report = status.report(start + Duration::from_secs(3));
        assert_eq!(report.fraction(), None);
        assert_eq!(report.moving_fraction(), None);
        assert_eq!(report.remaining(), None);
        assert_eq!(status_at(start, 0).report(start).fraction(), Some(1.0));
    }

    #[test]
    fn the_bar_moves_on_at_the_rate_no_further_than_one_more_report() {
        let start = Instant::now();
        let mut status = status_at(start, 100);
        // 32 covers in 4 s: 8 a second, reported as one batch.
        status.count(32, start + Duration::from_secs(4));
        let at = |ms: u64| status.report(start + Duration::from_millis(4000 + ms));
        assert_eq!(at(0).moving_fraction(), Some(0.32));
        assert_eq!(at(500).moving_fraction(), Some(0.36));
        assert_eq!(
            at(60_000).moving_fraction(),
            Some(0.64),
            "one batch ahead at most"
        );
        assert_eq!(at(60_000).fraction(), Some(0.32), "the count itself stays");
        assert_eq!(at(0).remaining(), Some(Duration::from_millis(8500)));
        assert_eq!(
            at(500).remaining(),
            Some(Duration::from_secs(8)),
            "counts down"
        );
    }

    #[test]
    fn a_job_ends_finished_or_cancelled_and_the_next_one_starts_afresh() {
        let monitor = ProgressMonitor::new();
        assert_eq!(monitor.report().state, JobState::Idle);
        let cancel = monitor.begin("Adding comics…");
        assert!(monitor.report().cancellable);
        monitor.started(Some(3), "Adding comics…");
        monitor.advanced(1);
        monitor.relabel("Adding Saga…");
        monitor.advanced(1);
        assert_eq!(monitor.report().done, 2, "a new label keeps the counts");
        assert_eq!(monitor.report().label, "Adding Saga…");
        let shown = monitor.report().changes;

        monitor.cancel();
        assert!(cancel.is_cancelled(), "the job sees the request");
        assert_eq!(monitor.report().state, JobState::Stopping);
        assert!(monitor.is_active());
        monitor.cancelled();
        let ended = monitor.report();
        assert_eq!(ended.state, JobState::Cancelled);
        assert!(!monitor.is_active());
        assert!(ended.changes > shown, "the window sees the end");
        assert_eq!(ended.done, 2, "what was done stays told");

        let next = monitor.begin("Classifying…");
        assert!(!next.is_cancelled(), "a new job has a token of its own");
        monitor.reached(5, 5);
        monitor.finished();
        let report = monitor.report();
        assert_eq!(report.state, JobState::Finished);
        assert_eq!(report.fraction(), Some(1.0));
        monitor.cancelled();
        assert_eq!(
            monitor.report().state,
            JobState::Finished,
            "an ended job stays so"
        );
    }

    #[test]
    fn work_started_by_a_worker_alone_cannot_be_stopped() {
        let monitor = ProgressMonitor::new();
        monitor.started(None, "Scoring the photos…");
        let report = monitor.report();
        assert_eq!(report.state, JobState::Running);
        assert!(!report.cancellable);
        monitor.cancel();
        assert_eq!(monitor.report().state, JobState::Running);
    }
}
