//! What the Interiors page does with its workers' answers: an import's outcome, a training or
//! auto-labeling round, the scores for the gallery, the charts, and the labels saved.

use std::rc::Rc;

use relm4::ComponentSender;
use relm4::gtk::prelude::*;
use relm4::prelude::*;

use super::charts::chart_view;
use super::filters::shown_choices;
use super::gallery::GalleryPhoto;
use super::labeling::LabelingMsg;
use super::labels::LabelOutput;
use super::worker::{InteriorsJob, InteriorsJobOutput};
use super::{GalleryState, InteriorsOutput, InteriorsPage, toast};
use crate::i18n::{fill, gettext, ngettext};
use crate::interiors::charts::ChartKind;
use crate::ui::failure::send;

impl InteriorsPage {
    /// Starts a training or auto-labeling round, saying so where imports show their progress.
    pub(super) fn start_round(&mut self, job: InteriorsJob, activity: String) {
        if self.is_busy() {
            return;
        }
        self.round_running = true;
        self.progress.started(None, activity);
        self.worker.emit(job);
    }

    pub(super) fn labels_output(&mut self, output: LabelOutput, sender: &ComponentSender<Self>) {
        match output {
            LabelOutput::Session(photos, order) => {
                if photos.is_empty() {
                    toast(sender, gettext("There are no photos to label yet"));
                } else {
                    self.labeling.emit(LabelingMsg::Start(photos, order));
                    if !self.labeling_open {
                        let focus = self.labeling.widget().root().and_then(|root| root.focus());
                        self.focus_before_labeling.set(focus.as_ref());
                    }
                    self.labeling_open = true;
                    self.labeling.widget().grab_focus();
                }
            }
            LabelOutput::Saved(interiors) => {
                self.summary = Some(interiors);
                send(sender, InteriorsOutput::Changed);
            }
            LabelOutput::Retrained { interiors, order } => {
                self.summary = Some(interiors);
                if let Some(order) = order {
                    self.labeling.emit(LabelingMsg::Reorder(order));
                }
                self.rescore();
                send(sender, InteriorsOutput::Changed);
            }
            LabelOutput::Failed(reason) => send(sender, InteriorsOutput::Failed(reason)),
        }
    }

    pub(super) fn job_output(
        &mut self,
        output: InteriorsJobOutput,
        sender: &ComponentSender<Self>,
    ) {
        match output {
            InteriorsJobOutput::Imported { summary, skipped } => {
                if summary.cancelled {
                    self.progress.cancelled();
                }
                self.finish_job();
                let mut message = if summary.cancelled {
                    fill(
                        &ngettext(
                            "Import cancelled; {added} photo added",
                            "Import cancelled; {added} photos added",
                            summary.added as u32,
                        ),
                        &[("added", &summary.added)],
                    )
                } else {
                    fill(
                        &ngettext(
                            "{added} photo added",
                            "{added} photos added",
                            summary.added as u32,
                        ),
                        &[("added", &summary.added)],
                    )
                };
                if !skipped.is_empty() {
                    for line in &skipped {
                        tracing::warn!("{line}");
                    }
                    message.push_str(" · ");
                    message.push_str(&fill(
                        &ngettext(
                            "{count} file could not be read",
                            "{count} files could not be read",
                            skipped.len() as u32,
                        ),
                        &[("count", &skipped.len())],
                    ));
                }
                toast(sender, message);
                send(sender, InteriorsOutput::Changed);
                self.worker.emit(InteriorsJob::Score);
            }
            InteriorsJobOutput::Scored(photos) => {
                self.finish_job();
                self.forget_charts();
                self.gallery.clear();
                self.gallery
                    .extend_from_iter(photos.into_iter().map(|photo| GalleryPhoto {
                        photo,
                        thumbnails: self.thumbnails.clone(),
                    }));
                self.gallery_state = GalleryState::Ready;
            }
            InteriorsJobOutput::Filtered(filters, report) => {
                self.thresholds.show(&filters);
                let choices = shown_choices(Some(&report));
                let labels: Vec<&str> = choices.iter().map(String::as_str).collect();
                self.shown_choices
                    .splice(0, self.shown_choices.n_items(), &labels);
            }
            InteriorsJobOutput::Charts(data) => {
                self.charts_requested = false;
                for chart in self.charts.drain(..) {
                    self.charts_box.remove(&chart);
                }
                let data = Rc::new(*data);
                for kind in ChartKind::ALL {
                    let chart = chart_view(kind, data.clone());
                    self.charts_box.append(&chart);
                    // The cell a screen reader stops on says which chart it holds.
                    if let Some(cell) = chart.parent() {
                        crate::ui::accessible::name(&cell, &kind.title());
                    }
                    self.charts.push(chart);
                }
            }
            InteriorsJobOutput::ChartsExported(files) => {
                let folder = files
                    .first()
                    .and_then(|f| f.parent())
                    .map(|f| f.display().to_string())
                    .unwrap_or_default();
                toast(
                    sender,
                    fill(
                        &ngettext(
                            "Saved {count} file in {folder}",
                            "Saved {count} files in {folder}",
                            files.len() as u32,
                        ),
                        &[("count", &files.len()), ("folder", &folder)],
                    ),
                );
            }
            InteriorsJobOutput::NotTrained => {
                self.finish_job();
                self.forget_charts();
                self.gallery.clear();
                self.gallery_state = GalleryState::NotTrained;
            }
            InteriorsJobOutput::Done { message, interiors } => {
                self.finish_job();
                self.summary = Some(interiors);
                self.rescore();
                toast(sender, message);
                send(sender, InteriorsOutput::Changed);
            }
            InteriorsJobOutput::Failed(reason) => {
                self.finish_job();
                if self.gallery_state == GalleryState::Waiting {
                    self.gallery_state = GalleryState::NotTrained;
                }
                send(sender, InteriorsOutput::Failed(reason));
            }
        }
    }

    /// The data changed: the charts are drawn again when next shown.
    pub(super) fn forget_charts(&mut self) {
        for chart in self.charts.drain(..) {
            self.charts_box.remove(&chart);
        }
        self.request_charts();
    }

    pub(super) fn request_charts(&mut self) {
        if self.charts_shown && self.charts.is_empty() && !self.charts_requested {
            self.charts_requested = true;
            self.worker.emit(InteriorsJob::Charts);
        }
    }

    pub(super) fn finish_job(&mut self) {
        self.round_running = false;
        self.cancel = None;
        self.progress.finished();
    }
}
