//! The Interiors page: importing photos with progress, the buttons that start labeling,
//! training and auto-labeling, and the results gallery sorted by score with each photo's
//! bucket and explanation. Photos the filters set aside stay visible under their own filter.
//! The labeling view lives here too, in front of the overview while a session runs.

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;

use relm4::WorkerController;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gdk, glib};
use relm4::prelude::*;
use relm4::typed_view::grid::{RelmGridItem, TypedGridView};

use super::collection_file::OpenCollection;
use super::engine::SharedEngine;
use super::failure::{JobError, send};
use super::interiors_worker::{InteriorsJob, InteriorsJobOutput, InteriorsWorker};
use super::labeling::{LabelingMsg, LabelingOutput, LabelingView};
use super::pictures::{self, Fit, PictureSlots, Source};
use crate::i18n::{fill, gettext, ngettext};
use crate::interiors::filters::{FilterReport, Filters};
use crate::interiors::labeling::{LabelChange, SessionPhoto};
use crate::interiors::rounds::InteriorsSummary;
use crate::interiors::scoring::ScoredPhoto;
use crate::interiors::{LabelSource, Quality};
use crate::jobs::{CancelToken, Progress};

/// Gallery thumbnails are decoded at this size, 4:3 like every card's photo, cropped around
/// the middle.
const THUMBNAIL_SIZE: (u32, u32) = (480, 360);
/// Charts in the app are drawn at this size, readable on a small screen.
const CHART_WIDTH: u32 = 560;
const CHART_HEIGHT: u32 = 380;
/// Exported charts are drawn larger.
pub const EXPORT_SIZE: (u32, u32) = (1200, 800);
/// Decoded thumbnails kept in memory; the oldest go first.
const THUMBNAIL_CACHE: usize = 400;

pub struct InteriorsPage {
    worker: WorkerController<InteriorsWorker>,
    labeling: Controller<LabelingView>,
    labeling_open: bool,
    summary: Option<InteriorsSummary>,
    /// What runs now, shown above the gallery.
    activity: Option<Activity>,
    cancel: Option<CancelToken>,
    gallery: TypedGridView<GalleryPhoto, gtk::NoSelection>,
    gallery_state: GalleryState,
    shown: GalleryFilter,
    thumbnails: PictureSlots<i64>,
    /// Train and auto-label run in the app's backend; the app says when.
    backend_busy: bool,
    /// The choices of the gallery's filter, with their counts.
    shown_choices: gtk::StringList,
    thresholds: ThresholdControls,
    charts_shown: bool,
    /// The charts drawn for the current data; empty when they must be drawn again.
    charts: Vec<gtk::Picture>,
    charts_box: gtk::FlowBox,
    charts_requested: bool,
}

struct Activity {
    text: String,
    progress: Option<Progress>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GalleryState {
    /// Nothing asked yet, or scoring.
    Waiting,
    NotTrained,
    Ready,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GalleryFilter {
    All,
    Kept,
    FilteredOut,
}

#[derive(Debug)]
pub enum InteriorsMsg {
    Summary(InteriorsSummary),
    /// A training or auto-labeling round started (`Some`, with what to say) or ended.
    BackendWork(Option<String>),
    /// The model or the labels changed: score the photos again.
    Rescore,
    ChooseFolder,
    /// Import the photos in these folders, and these photos.
    Import(Vec<PathBuf>),
    Cancel,
    /// The app switched to another collection: forget what was shown of the old one.
    CollectionSwitched,
    StartLabeling,
    LabelingSession(Vec<SessionPhoto>),
    Train,
    AutoLabel,
    Show(GalleryFilter),
    ApplyThresholds,
    DefaultThresholds,
    ChartsShown(bool),
    ChooseExportFolder,
    ExportCharts(PathBuf),
    Labeling(LabelingOutput),
    Job(InteriorsJobOutput),
}

#[derive(Debug)]
pub enum InteriorsOutput {
    /// Load the photos for a labeling session.
    StartLabeling,
    SaveLabel(LabelChange),
    Train,
    AutoLabel,
    /// Photos were imported: count again.
    Changed,
    Toast(String),
    /// A job failed: the window says why, with the way out.
    Failed(JobError),
}

pub struct InteriorsInit {
    pub collection: OpenCollection,
    /// The app's CLIP engine, shared with the other pages.
    pub engine: SharedEngine,
}

#[relm4::component(pub)]
impl SimpleComponent for InteriorsPage {
    type Init = InteriorsInit;
    type Input = InteriorsMsg;
    type Output = InteriorsOutput;

    view! {
        #[root]
        gtk::Stack {
            set_transition_type: gtk::StackTransitionType::SlideLeftRight,

            add_named[Some("empty")] = &adw::StatusPage {
                set_icon_name: Some("camera-photo-symbolic"),
                set_title: &gettext("No Photos Yet"),
                set_description: Some(&gettext("Import a folder of room photos. Vistazo reads them, sets aside the ones that are not interiors or are badly exposed, and gets them ready to label with the keys 1, 2 and 3.")),

                #[wrap(Some)]
                set_child = &gtk::Box {
                    set_orientation: gtk::Orientation::Vertical,
                    set_halign: gtk::Align::Center,
                    set_spacing: 12,

                    gtk::Button {
                        set_label: &gettext("Import Folder…"),
                        add_css_class: "pill",
                        add_css_class: "suggested-action",
                        #[watch]
                        set_sensitive: model.activity.is_none(),
                        connect_clicked => InteriorsMsg::ChooseFolder,
                    },
                    #[name = "empty_progress"]
                    gtk::Box {
                        set_orientation: gtk::Orientation::Vertical,
                        set_spacing: 6,
                        #[watch]
                        set_visible: model.activity.is_some(),
                        gtk::ProgressBar {
                            #[watch]
                            set_fraction: model.fraction(),
                        },
                        gtk::Label {
                            add_css_class: "dim-label",
                            add_css_class: "numeric",
                            #[watch]
                            set_label: &model.activity_text(),
                        },
                        gtk::Button {
                            set_label: &gettext("Cancel"),
                            set_halign: gtk::Align::Center,
                            #[watch]
                            set_visible: model.cancel.is_some(),
                            connect_clicked => InteriorsMsg::Cancel,
                        },
                    },
                },
            },

            add_named[Some("overview")] = &gtk::Box {
                set_orientation: gtk::Orientation::Vertical,

                gtk::Box {
                    set_orientation: gtk::Orientation::Vertical,
                    set_spacing: 12,
                    set_margin_top: 18,
                    set_margin_bottom: 12,
                    set_margin_start: 18,
                    set_margin_end: 18,

                    gtk::Box {
                        set_spacing: 12,

                        gtk::Box {
                            set_orientation: gtk::Orientation::Vertical,
                            set_hexpand: true,
                            set_valign: gtk::Align::Center,
                            gtk::Label {
                                add_css_class: "title-2",
                                set_xalign: 0.0,
                                set_wrap: true,
                                #[watch]
                                set_label: &model.title(),
                            },
                            gtk::Label {
                                add_css_class: "dim-label",
                                set_xalign: 0.0,
                                set_wrap: true,
                                #[watch]
                                set_label: &model.description(),
                            },
                        },
                        gtk::Button {
                            set_icon_name: "folder-open-symbolic",
                            set_tooltip_text: Some(&gettext("Import Folder…")),
                            set_valign: gtk::Align::Center,
                            #[watch]
                            set_sensitive: !model.is_busy(),
                            connect_clicked => InteriorsMsg::ChooseFolder,
                        },
                    },

                    gtk::Box {
                        set_spacing: 12,
                        set_halign: gtk::Align::Start,

                        gtk::Button {
                            set_label: &gettext("_Start Labeling"),
                            set_use_underline: true,
                            add_css_class: "pill",
                            add_css_class: "suggested-action",
                            connect_clicked => InteriorsMsg::StartLabeling,
                        },
                        gtk::Button {
                            set_label: &gettext("_Train"),
                            set_use_underline: true,
                            set_tooltip_text: Some(&gettext("Learn from your labels")),
                            add_css_class: "pill",
                            #[watch]
                            set_sensitive: !model.is_busy(),
                            connect_clicked => InteriorsMsg::Train,
                        },
                        gtk::Button {
                            set_label: &gettext("_Auto-Label"),
                            set_use_underline: true,
                            set_tooltip_text: Some(&gettext("Label the photos the model is sure of")),
                            add_css_class: "pill",
                            #[watch]
                            set_sensitive: !model.is_busy() && model.summary.is_some_and(|s| s.rounds > 0),
                            connect_clicked => InteriorsMsg::AutoLabel,
                        },
                    },

                    gtk::Box {
                        set_spacing: 12,
                        #[watch]
                        set_visible: model.activity.is_some(),

                        gtk::Label {
                            add_css_class: "numeric",
                            set_xalign: 0.0,
                            set_ellipsize: gtk::pango::EllipsizeMode::End,
                            #[watch]
                            set_label: &model.activity_text(),
                        },
                        #[name = "progress"]
                        gtk::ProgressBar {
                            set_hexpand: true,
                            set_valign: gtk::Align::Center,
                            #[watch]
                            set_fraction: model.fraction(),
                        },
                        gtk::Button {
                            set_label: &gettext("Cancel"),
                            #[watch]
                            set_visible: model.cancel.is_some(),
                            connect_clicked => InteriorsMsg::Cancel,
                        },
                    },
                },

                gtk::Separator {},

                gtk::Box {
                    set_spacing: 12,
                    set_margin_top: 12,
                    set_margin_start: 18,
                    set_margin_end: 18,

                    #[name = "switcher"]
                    gtk::StackSwitcher {
                        set_hexpand: true,
                        set_halign: gtk::Align::Start,
                    },
                    #[local_ref]
                    filter_button -> gtk::MenuButton {
                        set_icon_name: "emblem-system-symbolic",
                        set_tooltip_text: Some(&gettext("Filter Thresholds")),
                        #[watch]
                        set_visible: !model.charts_shown,
                    },
                    gtk::Button {
                        set_label: &gettext("Export Charts…"),
                        #[watch]
                        set_visible: model.charts_shown,
                        #[watch]
                        set_sensitive: !model.charts.is_empty(),
                        connect_clicked => InteriorsMsg::ChooseExportFolder,
                    },
                    #[name = "filter"]
                    gtk::DropDown {
                        #[watch]
                        set_visible: !model.charts_shown,
                        set_tooltip_text: Some(&gettext("Which photos to show")),
                        set_model: Some(&model.shown_choices),
                        connect_selected_notify[sender] => move |dropdown| {
                            let filter = match dropdown.selected() {
                                1 => GalleryFilter::Kept,
                                2 => GalleryFilter::FilteredOut,
                                _ => GalleryFilter::All,
                            };
                            sender.input(InteriorsMsg::Show(filter));
                        },
                    },
                },

                #[name = "results_stack"]
                gtk::Stack {
                    set_vexpand: true,
                    connect_visible_child_name_notify[sender] => move |stack| {
                        let charts = stack.visible_child_name().is_some_and(|n| n == "charts");
                        sender.input(InteriorsMsg::ChartsShown(charts));
                    },

                add_titled[Some("results"), &gettext("Results")] = &gtk::Stack {
                    add_named[Some("waiting")] = &adw::StatusPage {
                        set_icon_name: Some("image-loading-symbolic"),
                        set_title: &gettext("Scoring…"),
                    },
                    add_named[Some("untrained")] = &adw::StatusPage {
                        set_icon_name: Some("starred-symbolic"),
                        set_title: &gettext("No Scores Yet"),
                        set_description: Some(&gettext("Label some photos as bad, medium and good, then train: every photo gets a score from 0 to 100 with an explanation.")),
                    },
                    add_named[Some("empty")] = &adw::StatusPage {
                        set_icon_name: Some("edit-find-symbolic"),
                        set_title: &gettext("No Photos Here"),
                        set_description: Some(&gettext("No photo matches this filter.")),
                    },
                    add_named[Some("gallery")] = &gtk::ScrolledWindow {
                        set_hscrollbar_policy: gtk::PolicyType::Never,

                        #[local_ref]
                        gallery_view -> gtk::GridView {
                            set_margin_all: 12,
                            set_max_columns: 6,
                            set_min_columns: 1,
                            add_css_class: "gallery",
                        },
                    },
                    // After the children: the names must exist when this is first set.
                    #[watch]
                    set_visible_child_name: model.gallery_page(),
                },
                add_titled[Some("charts"), &gettext("Charts")] = &gtk::ScrolledWindow {
                    set_hscrollbar_policy: gtk::PolicyType::Never,

                    #[local_ref]
                    charts_box -> gtk::FlowBox {
                        set_margin_all: 12,
                        set_selection_mode: gtk::SelectionMode::None,
                        set_homogeneous: true,
                        set_max_children_per_line: 3,
                        set_column_spacing: 12,
                        set_row_spacing: 12,
                        set_valign: gtk::Align::Start,
                    },
                },
                },
            },

            add_named[Some("labeling")] = model.labeling.widget(),

            #[watch]
            set_visible_child_name: model.page(),
        }
    }

    fn init(
        init: InteriorsInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let worker = InteriorsWorker::builder()
            .detach_worker((init.collection, init.engine))
            .forward(sender.input_sender(), InteriorsMsg::Job);
        let labeling = LabelingView::builder()
            .launch(())
            .forward(sender.input_sender(), InteriorsMsg::Labeling);
        let mut gallery = TypedGridView::<GalleryPhoto, gtk::NoSelection>::new();
        gallery.add_filter(|item: &GalleryPhoto| item.photo.kept());
        gallery.add_filter(|item: &GalleryPhoto| !item.photo.kept());
        gallery.set_filter_status(0, false);
        gallery.set_filter_status(1, false);
        let model = InteriorsPage {
            worker,
            labeling,
            labeling_open: false,
            summary: None,
            activity: None,
            cancel: None,
            gallery,
            gallery_state: GalleryState::Waiting,
            shown: GalleryFilter::All,
            thumbnails: PictureSlots::new(THUMBNAIL_CACHE),
            backend_busy: false,
            shown_choices: gtk::StringList::new(
                &shown_choices(None)
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
            thresholds: ThresholdControls::new(&sender),
            charts_shown: false,
            charts: Vec::new(),
            charts_box: gtk::FlowBox::new(),
            charts_requested: false,
        };
        let charts_box = &model.charts_box;
        let gallery_view = &model.gallery.view;
        let filter_button = &model.thresholds.button;
        let widgets = view_output!();
        pulse_while_unknown(&widgets.progress);
        widgets.switcher.set_stack(Some(&widgets.results_stack));
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: InteriorsMsg, sender: ComponentSender<Self>) {
        match message {
            InteriorsMsg::Summary(summary) => {
                let first = self.summary.is_none();
                self.summary = Some(summary);
                if first && summary.photos > 0 {
                    self.rescore();
                }
            }
            InteriorsMsg::BackendWork(activity) => {
                self.backend_busy = activity.is_some();
                if self.cancel.is_none() {
                    self.activity = activity.map(|text| Activity {
                        text,
                        progress: None,
                    });
                }
            }
            InteriorsMsg::Rescore => self.rescore(),
            InteriorsMsg::ChooseFolder => choose_folder(&sender),
            InteriorsMsg::Import(folders) => {
                if self.cancel.is_some() || folders.is_empty() {
                    return;
                }
                let cancel = CancelToken::new();
                self.cancel = Some(cancel.clone());
                self.activity = Some(Activity {
                    text: gettext("Starting…"),
                    progress: None,
                });
                self.worker.emit(InteriorsJob::Import { folders, cancel });
            }
            InteriorsMsg::CollectionSwitched => {
                self.worker.emit(InteriorsJob::CollectionSwitched);
                self.summary = None;
                self.labeling_open = false;
                self.gallery.clear();
                self.gallery_state = GalleryState::Waiting;
                self.thumbnails.forget_all();
                for picture in self.charts.drain(..) {
                    self.charts_box.remove(&picture);
                }
            }
            InteriorsMsg::Cancel => {
                if let Some(cancel) = &self.cancel {
                    cancel.cancel();
                }
            }
            InteriorsMsg::StartLabeling => {
                send(&sender, InteriorsOutput::StartLabeling);
            }
            InteriorsMsg::LabelingSession(photos) => {
                if photos.is_empty() {
                    toast(&sender, gettext("There are no photos to label yet"));
                } else {
                    self.labeling.emit(LabelingMsg::Start(photos));
                    self.labeling_open = true;
                    self.labeling.widget().grab_focus();
                }
            }
            InteriorsMsg::Train => {
                send(&sender, InteriorsOutput::Train);
            }
            InteriorsMsg::AutoLabel => {
                send(&sender, InteriorsOutput::AutoLabel);
            }
            InteriorsMsg::Show(filter) => {
                self.shown = filter;
                self.gallery
                    .set_filter_status(0, filter == GalleryFilter::Kept);
                self.gallery
                    .set_filter_status(1, filter == GalleryFilter::FilteredOut);
            }
            InteriorsMsg::ApplyThresholds => {
                self.thresholds.button.popdown();
                self.gallery_state = GalleryState::Waiting;
                self.worker
                    .emit(InteriorsJob::SetFilters(self.thresholds.read()));
            }
            InteriorsMsg::DefaultThresholds => self.thresholds.show(&Filters::default()),
            InteriorsMsg::ChartsShown(shown) => {
                self.charts_shown = shown;
                self.request_charts();
            }
            InteriorsMsg::ChooseExportFolder => choose_export_folder(&sender),
            InteriorsMsg::ExportCharts(folder) => {
                self.worker.emit(InteriorsJob::ExportCharts(folder))
            }
            InteriorsMsg::Labeling(LabelingOutput::Save(change)) => {
                send(&sender, InteriorsOutput::SaveLabel(change));
            }
            InteriorsMsg::Labeling(LabelingOutput::Leave) => {
                self.labeling_open = false;
                self.rescore();
            }
            InteriorsMsg::Job(output) => self.job_output(output, &sender),
        }
    }
}

impl InteriorsPage {
    fn rescore(&mut self) {
        if self.summary.is_some_and(|s| s.photos > 0) {
            self.worker.emit(InteriorsJob::Score);
        }
    }

    fn job_output(&mut self, output: InteriorsJobOutput, sender: &ComponentSender<Self>) {
        match output {
            InteriorsJobOutput::Progress { activity, progress } => {
                self.activity = Some(Activity {
                    text: activity,
                    progress,
                });
            }
            InteriorsJobOutput::Imported { summary, skipped } => {
                self.finish_job();
                let mut message = if summary.cancelled {
                    fill(
                        &ngettext(
                            "Import cancelled; {} photo added",
                            "Import cancelled; {} photos added",
                            summary.added as u32,
                        ),
                        &[&summary.added],
                    )
                } else {
                    fill(
                        &ngettext("{} photo added", "{} photos added", summary.added as u32),
                        &[&summary.added],
                    )
                };
                if !skipped.is_empty() {
                    for line in &skipped {
                        tracing::warn!("{line}");
                    }
                    message.push_str(" · ");
                    message.push_str(&fill(
                        &ngettext(
                            "{} file could not be read",
                            "{} files could not be read",
                            skipped.len() as u32,
                        ),
                        &[&skipped.len()],
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
            InteriorsJobOutput::Charts(charts) => {
                self.charts_requested = false;
                for picture in self.charts.drain(..) {
                    self.charts_box.remove(&picture);
                }
                for chart in charts {
                    let Some(rgb) = image::RgbImage::from_raw(chart.width, chart.height, chart.rgb)
                    else {
                        tracing::warn!("the chart \"{}\" was drawn at a wrong size", chart.title);
                        continue;
                    };
                    let picture = gtk::Picture::for_paintable(&pictures::texture(rgb));
                    picture.set_can_shrink(false);
                    picture.set_halign(gtk::Align::Center);
                    picture.set_alternative_text(Some(&chart.title));
                    picture.set_tooltip_text(Some(&chart.title));
                    picture.add_css_class("card");
                    self.charts_box.append(&picture);
                    self.charts.push(picture);
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
                            "Saved {} file in {}",
                            "Saved {} files in {}",
                            files.len() as u32,
                        ),
                        &[&files.len(), &folder],
                    ),
                );
            }
            InteriorsJobOutput::NotTrained => {
                self.finish_job();
                self.forget_charts();
                self.gallery.clear();
                self.gallery_state = GalleryState::NotTrained;
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
    fn forget_charts(&mut self) {
        for picture in self.charts.drain(..) {
            self.charts_box.remove(&picture);
        }
        self.request_charts();
    }

    fn request_charts(&mut self) {
        if self.charts_shown && self.charts.is_empty() && !self.charts_requested {
            self.charts_requested = true;
            self.worker.emit(InteriorsJob::Charts {
                width: CHART_WIDTH,
                height: CHART_HEIGHT,
            });
        }
    }

    fn finish_job(&mut self) {
        self.cancel = None;
        self.activity = None;
    }

    /// Whether an import or a scoring, training or auto-labeling round is running.
    pub fn busy(&self) -> bool {
        self.is_busy()
    }

    fn is_busy(&self) -> bool {
        self.backend_busy || self.cancel.is_some()
    }

    fn page(&self) -> &'static str {
        if self.labeling_open {
            "labeling"
        } else if self.summary.is_some_and(|s| s.photos > 0) {
            "overview"
        } else {
            "empty"
        }
    }

    fn gallery_page(&self) -> &'static str {
        match self.gallery_state {
            GalleryState::Waiting => "waiting",
            GalleryState::NotTrained => "untrained",
            GalleryState::Ready if self.gallery.is_empty() => "empty",
            GalleryState::Ready => "gallery",
        }
    }

    fn fraction(&self) -> f64 {
        self.activity
            .as_ref()
            .and_then(|a| a.progress)
            .map_or(0.0, |p| p.fraction())
    }

    fn activity_text(&self) -> String {
        let Some(activity) = &self.activity else {
            return String::new();
        };
        match activity.progress {
            Some(progress) => {
                let counts = fill(
                    &gettext("{} of {} · {}/s"),
                    &[
                        &progress.done,
                        &progress.total,
                        &format!("{:.1}", progress.rate),
                    ],
                );
                match progress.eta {
                    Some(eta) => fill(
                        &gettext("{} {} · about {} left"),
                        &[&activity.text, &counts, &duration_text(eta)],
                    ),
                    None => format!("{} {counts}", activity.text),
                }
            }
            None => activity.text.clone(),
        }
    }

    fn title(&self) -> String {
        let photos = self.summary.map_or(0, |s| s.photos);
        fill(
            &ngettext("{} Photo", "{} Photos", photos as u32),
            &[&photos],
        )
    }

    fn description(&self) -> String {
        let Some(summary) = self.summary else {
            return String::new();
        };
        let human = summary.human.bad + summary.human.medium + summary.human.good;
        let auto = summary.auto.bad + summary.auto.medium + summary.auto.good;
        let labels = fill(
            &gettext("Labelled by you: {} bad, {} medium, {} good · automatically: {}"),
            &[
                &summary.human.bad,
                &summary.human.medium,
                &summary.human.good,
                &auto,
            ],
        );
        let model = match summary.accuracy {
            Some(accuracy) => fill(
                &gettext("The latest model rates {}% of your labels right"),
                &[&format!("{:.0}", accuracy * 100.0)],
            ),
            None if summary.rounds > 0 => {
                gettext("Label at least two photos of each kind to measure the model")
            }
            None if human == 0 => gettext("Start labeling to teach Vistazo what you like"),
            None => gettext("Train to score every photo"),
        };
        format!("{labels}\n{model}")
    }
}

/// The gallery filter's choices, with how many photos each holds once known.
fn shown_choices(report: Option<&FilterReport>) -> Vec<String> {
    match report {
        None => vec![
            gettext("All Photos"),
            gettext("Kept by the Filters"),
            gettext("Filtered Out"),
        ],
        Some(report) => vec![
            fill(&gettext("All Photos ({})"), &[&report.photos]),
            fill(&gettext("Kept by the Filters ({})"), &[&report.kept]),
            fill(&gettext("Filtered Out ({})"), &[&report.set_aside()]),
        ],
    }
}

/// The popover where the user changes the filters' thresholds.
struct ThresholdControls {
    button: gtk::MenuButton,
    min_brightness: gtk::SpinButton,
    max_brightness: gtk::SpinButton,
    min_contrast: gtk::SpinButton,
    min_sharpness: gtk::SpinButton,
    min_megapixels: gtk::SpinButton,
    min_indoor: gtk::SpinButton,
    min_room: gtk::SpinButton,
}

impl ThresholdControls {
    fn new(sender: &ComponentSender<InteriorsPage>) -> Self {
        let spin = |max: f64, step: f64, digits: u32| {
            let spin = gtk::SpinButton::with_range(0.0, max, step);
            spin.set_digits(digits);
            spin.set_valign(gtk::Align::Center);
            spin
        };
        let controls = Self {
            button: gtk::MenuButton::new(),
            min_brightness: spin(1.0, 0.01, 2),
            max_brightness: spin(1.0, 0.01, 2),
            min_contrast: spin(0.5, 0.01, 2),
            min_sharpness: spin(2000.0, 1.0, 0),
            min_megapixels: spin(100.0, 0.01, 2),
            min_indoor: spin(1.0, 0.01, 2),
            min_room: spin(1.0, 0.01, 2),
        };
        let grid = gtk::Grid::builder()
            .row_spacing(6)
            .column_spacing(12)
            .margin_top(12)
            .margin_bottom(12)
            .margin_start(12)
            .margin_end(12)
            .build();
        let heading = |text: &str| {
            let label = gtk::Label::new(Some(text));
            label.add_css_class("heading");
            label.set_xalign(0.0);
            label
        };
        let rows: [(String, &gtk::SpinButton); 7] = [
            (gettext("Darkest brightness"), &controls.min_brightness),
            (gettext("Brightest brightness"), &controls.max_brightness),
            (gettext("Lowest contrast"), &controls.min_contrast),
            (gettext("Lowest sharpness"), &controls.min_sharpness),
            (gettext("Fewest megapixels"), &controls.min_megapixels),
            (gettext("Lowest interior probability"), &controls.min_indoor),
            (gettext("Lowest room score"), &controls.min_room),
        ];
        grid.attach(&heading(&gettext("Visual Filter")), 0, 0, 2, 1);
        let mut row = 1;
        for (index, (text, spin)) in rows.into_iter().enumerate() {
            if index == 5 {
                grid.attach(&heading(&gettext("Semantic Filter")), 0, row, 2, 1);
                row += 1;
            }
            let label = gtk::Label::new(Some(&text));
            label.set_xalign(0.0);
            label.set_hexpand(true);
            label.set_mnemonic_widget(Some(spin));
            grid.attach(&label, 0, row, 1, 1);
            grid.attach(spin, 1, row, 1, 1);
            row += 1;
        }
        let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        buttons.set_halign(gtk::Align::End);
        buttons.set_margin_top(6);
        let defaults = gtk::Button::with_label(&gettext("Defaults"));
        let apply = gtk::Button::with_label(&gettext("Apply"));
        apply.add_css_class("suggested-action");
        let input = sender.input_sender().clone();
        defaults.connect_clicked(move |_| input.emit(InteriorsMsg::DefaultThresholds));
        let input = sender.input_sender().clone();
        apply.connect_clicked(move |_| input.emit(InteriorsMsg::ApplyThresholds));
        buttons.append(&defaults);
        buttons.append(&apply);
        grid.attach(&buttons, 0, row, 2, 1);
        let popover = gtk::Popover::new();
        popover.set_child(Some(&grid));
        controls.button.set_popover(Some(&popover));
        controls.show(&Filters::default());
        controls
    }

    fn show(&self, filters: &Filters) {
        self.min_brightness.set_value(filters.visual.min_brightness);
        self.max_brightness.set_value(filters.visual.max_brightness);
        self.min_contrast.set_value(filters.visual.min_contrast);
        self.min_sharpness.set_value(filters.visual.min_sharpness);
        self.min_megapixels.set_value(filters.visual.min_megapixels);
        self.min_indoor.set_value(filters.semantic.min_indoor);
        self.min_room.set_value(filters.semantic.min_room);
    }

    fn read(&self) -> Filters {
        let mut filters = Filters::default();
        filters.visual.min_brightness = self.min_brightness.value();
        filters.visual.max_brightness = self.max_brightness.value();
        filters.visual.min_contrast = self.min_contrast.value();
        filters.visual.min_sharpness = self.min_sharpness.value();
        filters.visual.min_megapixels = self.min_megapixels.value();
        filters.semantic.min_indoor = self.min_indoor.value();
        filters.semantic.min_room = self.min_room.value();
        filters
    }
}

fn toast(sender: &ComponentSender<InteriorsPage>, message: String) {
    send(sender, InteriorsOutput::Toast(message));
}

fn choose_folder(sender: &ComponentSender<InteriorsPage>) {
    let window = relm4::main_application().active_window();
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Import Photos From a Folder")),
        window.as_ref(),
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Import")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let sender = sender.clone();
    super::show_until_answered(chooser, move |chooser, response| {
        if response == gtk::ResponseType::Accept
            && let Some(path) = chooser.file().and_then(|file| file.path())
        {
            sender.input(InteriorsMsg::Import(vec![path]));
        }
    });
}

fn choose_export_folder(sender: &ComponentSender<InteriorsPage>) {
    let window = relm4::main_application().active_window();
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Export the Charts to a Folder")),
        window.as_ref(),
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Export")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let sender = sender.clone();
    super::show_until_answered(chooser, move |chooser, response| {
        if response == gtk::ResponseType::Accept
            && let Some(path) = chooser.file().and_then(|file| file.path())
        {
            sender.input(InteriorsMsg::ExportCharts(path));
        }
    });
}

/// A progress bar pulses while the amount of work is unknown (its fraction stays at zero).
fn pulse_while_unknown(bar: &gtk::ProgressBar) {
    let bar = bar.downgrade();
    glib::timeout_add_local(std::time::Duration::from_millis(150), move || {
        let Some(bar) = bar.upgrade() else {
            return glib::ControlFlow::Break;
        };
        if bar.is_mapped() && bar.fraction() == 0.0 {
            bar.pulse();
        }
        glib::ControlFlow::Continue
    });
}

fn duration_text(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 3600 {
        fill(
            &gettext("{} h {} min"),
            &[&(seconds / 3600), &(seconds % 3600 / 60)],
        )
    } else if seconds >= 60 {
        fill(&gettext("{} min"), &[&seconds.div_ceil(60)])
    } else {
        fill(&gettext("{} s"), &[&seconds.max(1)])
    }
}

/// One card of the results gallery.
struct GalleryPhoto {
    photo: ScoredPhoto,
    thumbnails: PictureSlots<i64>,
}

struct CardWidgets {
    picture: gtk::Picture,
    score: gtk::Label,
    bucket: gtk::Label,
    caption: gtk::Label,
    review: gtk::Label,
    label_note: gtk::Label,
    filter_note: gtk::Label,
    /// The photo the card shows now, to let its thumbnail go when the card is unbound.
    showing: Rc<Cell<i64>>,
}

impl RelmGridItem for GalleryPhoto {
    type Root = gtk::Box;
    type Widgets = CardWidgets;

    fn setup(_item: &gtk::ListItem) -> (gtk::Box, CardWidgets) {
        relm4::view! {
            root = gtk::Box {
                set_orientation: gtk::Orientation::Vertical,
                set_spacing: 6,
                set_margin_all: 6,
                set_width_request: 220,
                add_css_class: "card",

                // A scrolled window that never scrolls: it asks for exactly this height, so
                // every card's photo is the same size whatever the text below it.
                gtk::ScrolledWindow {
                    set_vscrollbar_policy: gtk::PolicyType::External,
                    set_hscrollbar_policy: gtk::PolicyType::Never,
                    set_propagate_natural_height: false,
                    set_height_request: 160,
                    set_can_target: false,

                    #[name = "picture"]
                    gtk::Picture {
                        set_content_fit: gtk::ContentFit::Cover,
                        set_can_shrink: true,
                    },
                },
                gtk::Box {
                    set_spacing: 8,
                    set_margin_start: 10,
                    set_margin_end: 10,
                    #[name = "score"]
                    gtk::Label {
                        add_css_class: "title-1",
                        add_css_class: "numeric",
                    },
                    #[name = "bucket"]
                    gtk::Label {
                        set_valign: gtk::Align::Center,
                        add_css_class: "heading",
                    },
                },
                #[name = "caption"]
                gtk::Label {
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    set_lines: 2,
                    set_ellipsize: gtk::pango::EllipsizeMode::End,
                },
                #[name = "review"]
                gtk::Label {
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    set_lines: 4,
                    set_ellipsize: gtk::pango::EllipsizeMode::End,
                    add_css_class: "dim-label",
                    add_css_class: "caption",
                },
                #[name = "label_note"]
                gtk::Label {
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    add_css_class: "caption-heading",
                },
                #[name = "filter_note"]
                gtk::Label {
                    set_vexpand: true,
                    set_valign: gtk::Align::End,
                    set_margin_start: 10,
                    set_margin_end: 10,
                    set_margin_bottom: 10,
                    set_xalign: 0.0,
                    set_wrap: true,
                    add_css_class: "caption",
                    add_css_class: "warning",
                },
            }
        }
        let widgets = CardWidgets {
            picture,
            score,
            bucket,
            caption,
            review,
            label_note,
            filter_note,
            showing: Rc::new(Cell::new(-1)),
        };
        (root, widgets)
    }

    fn bind(&mut self, widgets: &mut CardWidgets, _root: &mut gtk::Box) {
        let photo = &self.photo;
        widgets.showing.set(photo.photo_id);
        widgets.score.set_label(&format!("{:.0}", photo.card.score));
        let bucket = photo.card.bucket.parse::<Quality>().ok();
        widgets
            .bucket
            .set_label(&bucket.map(quality_name).unwrap_or_default());
        for class in ["success", "warning", "error"] {
            widgets.bucket.remove_css_class(class);
        }
        if let Some(quality) = bucket {
            widgets.bucket.add_css_class(match quality {
                Quality::Good => "success",
                Quality::Medium => "warning",
                Quality::Bad => "error",
            });
        }
        widgets.caption.set_label(&photo.card.caption);
        widgets.review.set_label(&photo.card.review.join("\n"));
        let (label_note, filter_note) = notes(photo);
        widgets.label_note.set_label(&label_note);
        widgets.label_note.set_visible(!label_note.is_empty());
        widgets.filter_note.set_label(&filter_note);
        widgets.filter_note.set_visible(!filter_note.is_empty());
        widgets
            .picture
            .set_tooltip_text(Some(&photo.path.to_string_lossy()));
        let scale = u32::try_from(widgets.picture.scale_factor().max(1)).unwrap_or(1);
        self.thumbnails.show(
            &widgets.picture,
            photo.photo_id,
            Source::File(photo.path.clone()),
            Fit::Fill(THUMBNAIL_SIZE.0 * scale, THUMBNAIL_SIZE.1 * scale),
        );
    }

    fn unbind(&mut self, widgets: &mut CardWidgets, _root: &mut gtk::Box) {
        self.thumbnails
            .release(&widgets.picture, &widgets.showing.replace(-1));
        widgets.picture.set_paintable(gdk::Paintable::NONE);
    }
}

fn quality_name(quality: Quality) -> String {
    match quality {
        Quality::Good => gettext("Good"),
        Quality::Medium => gettext("Medium"),
        Quality::Bad => gettext("Bad"),
    }
}

/// Who labelled the photo, and why the filters set it aside.
fn notes(photo: &ScoredPhoto) -> (String, String) {
    let label = match photo.label {
        Some((quality, LabelSource::Human)) => fill(
            &gettext("You labelled it {}"),
            &[&quality_name(quality).to_lowercase()],
        ),
        Some((quality, LabelSource::Auto)) => fill(
            &gettext("Labelled {} automatically"),
            &[&quality_name(quality).to_lowercase()],
        ),
        None => String::new(),
    };
    let mut filters = Vec::new();
    if !photo.passes_semantic {
        filters.push(gettext("Set aside: not recognisably a room"));
    }
    if !photo.visual_issues.is_empty() {
        filters.push(gettext("Set aside by the visual filter"));
    }
    (label, filters.join("\n"))
}
