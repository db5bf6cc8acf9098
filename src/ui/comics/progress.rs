//! The progress of the comics page's long jobs as the page shows it: which step is running,
//! how far it is (done/total, rate, time left), and how often the workers report it. Workers
//! throttle their reports so that a fast job cannot flood the main thread with messages.

use std::time::{Duration, Instant};

use crate::i18n::{fill, gettext};
use crate::jobs::Progress;
use crate::ui::engine::BATCH;

/// Reports at most this often, and always the last one.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// The step a job is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the folders and the covers of new comic files.
    Scanning,
    /// Another page's job has the model; this one waits for it.
    WaitingForModel,
    /// Downloading the model's files, counted in bytes.
    DownloadingModel,
    LoadingModel,
    /// Computing the cover embeddings still missing.
    Embedding,
    Classifying,
}

impl Step {
    pub fn title(self) -> String {
        match self {
            Self::Scanning => gettext("Adding comics…"),
            Self::WaitingForModel => gettext("Waiting for the other page’s job…"),
            Self::DownloadingModel => gettext("Downloading the model…"),
            Self::LoadingModel => gettext("Loading the model…"),
            Self::Embedding => gettext("Reading covers…"),
            Self::Classifying => gettext("Classifying…"),
        }
    }
}

/// One report: the step and, once known, how far it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobProgress {
    pub step: Step,
    pub progress: Option<Progress>,
}

impl JobProgress {
    pub fn starting(step: Step) -> Self {
        Self {
            step,
            progress: None,
        }
    }

    /// The counts, rate and time left in words; empty while unknown.
    pub fn details(&self) -> String {
        let Some(progress) = self.progress else {
            return String::new();
        };
        let (done, total, rate) = if self.step == Step::DownloadingModel {
            (
                mebibytes(progress.done),
                mebibytes(progress.total),
                fill(
                    &gettext("{rate} MB/s"),
                    &[("rate", &format!("{:.1}", progress.rate / 1e6))],
                ),
            )
        } else {
            (
                progress.done.to_string(),
                progress.total.to_string(),
                fill(
                    &gettext("{rate}/s"),
                    &[("rate", &format!("{:.1}", progress.rate))],
                ),
            )
        };
        match progress.eta {
            Some(eta) if progress.done < progress.total => fill(
                &gettext("{done} of {total} · {rate} · {eta} left"),
                &[
                    ("done", &done),
                    ("total", &total),
                    ("rate", &rate),
                    ("eta", &duration_text(eta)),
                ],
            ),
            _ => fill(
                &gettext("{done} of {total} · {rate}"),
                &[("done", &done), ("total", &total), ("rate", &rate)],
            ),
        }
    }

    /// The fraction for the progress bar; `None` while the total is unknown.
    pub fn fraction(&self) -> Option<f64> {
        self.progress.map(|p| p.fraction())
    }

    /// The fraction `since` this report arrived, estimated while the model works on a batch of
    /// covers: the job's rate carries the bar on, never further than the batch in flight.
    pub fn estimated_fraction(&self, since: Duration) -> Option<f64> {
        let progress = self.progress?;
        if self.step != Step::Embedding || progress.total == 0 {
            return Some(progress.fraction());
        }
        let ahead = (progress.rate * since.as_secs_f64()).min(BATCH as f64);
        let done = (progress.done as f64 + ahead).min(progress.total as f64);
        Some(done / progress.total as f64)
    }
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// A short duration in words: seconds under a minute, then minutes, then hours and minutes.
pub fn duration_text(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds < 60 {
        fill(&gettext("{seconds} s"), &[("seconds", &seconds.max(1))])
    } else if seconds < 3600 {
        fill(
            &gettext("{minutes} min"),
            &[("minutes", &seconds.div_ceil(60))],
        )
    } else {
        fill(
            &gettext("{hours} h {minutes} min"),
            &[
                ("hours", &(seconds / 3600)),
                ("minutes", &((seconds % 3600) / 60)),
            ],
        )
    }
}

/// Lets through one report per [`REPORT_EVERY`], the first and the last.
#[derive(Debug, Default)]
pub struct Throttle {
    last: Option<Instant>,
}

impl Throttle {
    pub fn due(&mut self, progress: &Progress) -> bool {
        let now = Instant::now();
        let due = progress.done >= progress.total
            || self
                .last
                .is_none_or(|last| now.duration_since(last) >= REPORT_EVERY);
        if due {
            self.last = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(done: u64, total: u64) -> Progress {
        Progress {
            done,
            total,
            rate: 10.0,
            eta: Some(Duration::from_secs(95)),
        }
    }

    #[test]
    fn the_throttle_lets_the_first_and_the_last_report_through() {
        let mut throttle = Throttle::default();
        assert!(throttle.due(&progress(1, 100)));
        assert!(!throttle.due(&progress(2, 100)));
        assert!(throttle.due(&progress(100, 100)));
    }

    #[test]
    fn details_say_counts_rate_and_time_left() {
        let report = JobProgress {
            step: Step::Classifying,
            progress: Some(progress(5, 100)),
        };
        assert_eq!(report.details(), "5 of 100 · 10.0/s · 2 min left");
        assert_eq!(JobProgress::starting(Step::LoadingModel).details(), "");
        assert_eq!(duration_text(Duration::from_secs(3725)), "1 h 2 min");
        assert_eq!(duration_text(Duration::from_millis(200)), "1 s");
    }

    #[test]
    fn the_bar_moves_on_at_the_jobs_rate_within_the_batch_in_flight() {
        let report = JobProgress {
            step: Step::Embedding,
            progress: Some(progress(32, 100)),
        };
        assert_eq!(report.estimated_fraction(Duration::ZERO), Some(0.32));
        // 10 covers a second: half a second on, five more are about done.
        assert_eq!(
            report.estimated_fraction(Duration::from_millis(500)),
            Some(0.37)
        );
        // Never past the batch the model is working on.
        assert_eq!(
            report.estimated_fraction(Duration::from_secs(60)),
            Some(0.48)
        );
        // Steps that report every item are shown as they are.
        let classifying = JobProgress {
            step: Step::Classifying,
            ..report
        };
        assert_eq!(
            classifying.estimated_fraction(Duration::from_secs(1)),
            Some(0.32)
        );
    }
}
