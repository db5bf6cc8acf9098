//! The jobs of the Comics page: a scan or a classification, reported into the page's
//! [`ProgressMonitor`](crate::jobs::ProgressMonitor) that the progress panel under the grid
//! shows, and the toast that tells how it went.

use std::path::PathBuf;

use relm4::ComponentSender;
use relm4::adw::{self, prelude::*};
use relm4::gtk;

use super::classifier::{ClassifierInput, ClassifierOutput, ClassifyReport};
use super::collection::{CollectionInput, CollectionOutput, ScanReport};
use super::content_search::SearchInput;
use super::tiles::Tile;
use super::{ComicsMsg, ComicsPage, plural};
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::{CancelToken, Outcome};
use crate::matching::ClassifyOptions;
use crate::ui::failure::JobError;

impl ComicsPage {
    pub(super) fn start_job(&mut self, kind: JobKind, label: String) -> CancelToken {
        let cancel = self.progress.begin(label);
        self.job = Some(Job { kind });
        if let Some(stalls) = &self.stalls {
            stalls.start(match kind {
                JobKind::Scan => "scan",
                JobKind::Classify => "classify",
            });
        }
        cancel
    }

    /// Ends the running job as it ended.
    pub(super) fn finish_job(&mut self, outcome: Outcome) {
        if self.job.take().is_none() {
            return;
        }
        match outcome {
            Outcome::Finished => self.progress.finished(),
            Outcome::Cancelled => self.progress.cancelled(),
        }
        if let Some(stalls) = &self.stalls {
            stalls.finish(self.progress.report().done);
        }
    }

    pub(super) fn start_scan(&mut self, folder: PathBuf) {
        if self.job.is_some() {
            return;
        }
        let cancel = self.start_job(JobKind::Scan, gettext("Adding comics…"));
        self.collection.emit(CollectionInput::Scan {
            folder,
            cancel,
            progress: self.progress.clone(),
        });
    }

    pub(super) fn start_classification(&mut self) {
        if self.job.is_some() || !self.loaded || self.counts.unclassified == 0 {
            return;
        }
        let options = ClassifyOptions {
            threshold: self.threshold.value() as f32,
            auto_apply: self.auto_apply,
            ..ClassifyOptions::default()
        };
        let cancel = self.start_job(JobKind::Classify, gettext("Loading the model…"));
        self.classifier.emit(ClassifierInput::Run {
            options,
            cancel,
            progress: self.progress.clone(),
        });
    }

    pub(super) fn collection_output(
        &mut self,
        output: CollectionOutput,
        sender: &ComponentSender<Self>,
    ) {
        match output {
            CollectionOutput::Opened(store) => self.loader.set_store(store),
            CollectionOutput::Comics { rows, first, last } => {
                if first {
                    self.incoming.clear();
                }
                self.incoming.extend(rows.into_iter().map(Tile::from_row));
                if last {
                    self.grid.replace(std::mem::take(&mut self.incoming));
                    self.counts = self.grid.counts();
                    self.update_shown();
                    self.loaded = true;
                }
            }
            CollectionOutput::Scanned(report) => {
                self.finish_job(report.outcome);
                self.search_worker.emit(SearchInput::Stale);
                self.loader.forget_failures();
                self.scan_toast(report, sender);
            }
            CollectionOutput::Failed(reason) => {
                if self
                    .job
                    .as_ref()
                    .is_some_and(|job| job.kind == JobKind::Scan)
                {
                    self.finish_job(Outcome::Finished);
                }
                self.failure_toast(&reason);
            }
        }
    }

    pub(super) fn classifier_output(
        &mut self,
        output: ClassifierOutput,
        sender: &ComponentSender<Self>,
    ) {
        match output {
            ClassifierOutput::Finished(report) => {
                self.finish_job(report.outcome);
                self.search_worker.emit(SearchInput::Stale);
                self.classify_toast(report, sender);
                self.collection.emit(CollectionInput::Load);
            }
            ClassifierOutput::Failed(reason) => {
                self.finish_job(Outcome::Finished);
                self.failure_toast(&reason);
                self.collection.emit(CollectionInput::Load);
            }
        }
    }

    pub(super) fn failure_toast(&mut self, error: &JobError) {
        let toast = error.toast();
        self.tell_outcome(&toast);
        self.toasts.add_toast(toast);
    }

    /// What a toast says stays with the buttons that start the jobs, where a screen reader
    /// finds it after the toast is gone; the focus goes there if the job took it along.
    fn tell_outcome(&mut self, toast: &adw::Toast) {
        self.outcome = crate::ui::accessible::toast_text(toast);
        self.focus_outcome.set(true);
    }

    pub(super) fn scan_toast(&mut self, report: ScanReport, sender: &ComponentSender<Self>) {
        let added = report.added;
        let mut parts = vec![if report.outcome == Outcome::Cancelled {
            fill(
                &ngettext(
                    "Stopped after adding {added} comic",
                    "Stopped after adding {added} comics",
                    plural(added),
                ),
                &[("added", &added)],
            )
        } else {
            fill(
                &ngettext("Added {added} comic", "Added {added} comics", plural(added)),
                &[("added", &added)],
            )
        }];
        if report.known > 0 {
            parts.push(fill(
                &ngettext(
                    "{known} already in the collection",
                    "{known} already in the collection",
                    plural(report.known),
                ),
                &[("known", &report.known)],
            ));
        }
        if report.skipped > 0 {
            parts.push(fill(
                &ngettext(
                    "{skipped} file skipped",
                    "{skipped} files skipped",
                    plural(report.skipped),
                ),
                &[("skipped", &report.skipped)],
            ));
        }
        let toast = adw::Toast::new(&crate::ui::markup(&parts.join(" · ")));
        if !report.reasons.is_empty() {
            toast.set_button_label(Some(&gettext("_Details")));
            toast.set_timeout(0);
            let reasons = report.reasons;
            let sender = sender.clone();
            toast.connect_button_clicked(move |_| {
                sender.input(ComicsMsg::ShowSkipped(reasons.clone()));
            });
        }
        self.tell_outcome(&toast);
        self.toasts.add_toast(toast);
    }

    pub(super) fn classify_toast(
        &mut self,
        report: ClassifyReport,
        sender: &ComponentSender<Self>,
    ) {
        let template = if report.outcome == Outcome::Cancelled {
            gettext("Stopped: {applied} applied, {review} to review so far")
        } else {
            gettext("{applied} applied, {review} to review")
        };
        let mut title = fill(
            &template,
            &[("applied", &report.applied), ("review", &report.to_review)],
        );
        if report.unreadable > 0 {
            title.push_str(" · ");
            title.push_str(&fill(
                &ngettext(
                    "{unreadable} cover could not be read",
                    "{unreadable} covers could not be read",
                    plural(report.unreadable),
                ),
                &[("unreadable", &report.unreadable)],
            ));
        }
        let toast = adw::Toast::builder()
            .title(crate::ui::markup(&title))
            .timeout(0)
            .build();
        if report.to_review > 0 {
            toast.set_button_label(Some(&gettext("_Review")));
            let sender = sender.clone();
            toast.connect_button_clicked(move |_| sender.input(ComicsMsg::Review));
        }
        self.tell_outcome(&toast);
        if report.to_review > 0 {
            self.outcome_action.set(Some(toast.clone()));
        }
        self.toasts.add_toast(toast);
    }

    pub(super) fn show_skipped(&self, reasons: &[String]) {
        let Some(window) = self.toasts.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let dialog = adw::MessageDialog::builder()
            .transient_for(&window)
            .modal(true)
            .heading(gettext("Files Skipped"))
            .body(reasons.join("\n"))
            .build();
        dialog.add_response("close", &gettext("_Close"));
        crate::ui::accessible::present(&dialog);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JobKind {
    Scan,
    Classify,
}

pub(super) struct Job {
    pub(super) kind: JobKind,
}
