//! The Interiors page: importing photos with progress, the buttons that start labeling,
//! training and auto-labeling, and the results gallery sorted by score with each photo's
//! bucket and explanation. Photos the filters set aside stay visible under their own filter.
//! The labeling view lives here too, in front of the overview while a session runs.

mod charts;
mod dialogs;
mod filters;
mod gallery;
mod jobs;
pub mod labeling;
pub mod labels;
pub mod worker;

use std::path::PathBuf;

use relm4::WorkerController;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, glib};
use relm4::prelude::*;
use relm4::typed_view::grid::TypedGridView;

use self::dialogs::{choose_export_folder, choose_folder};
use self::filters::{ThresholdControls, shown_choices};
use self::gallery::{GalleryPhoto, THUMBNAIL_CACHE};
use self::labeling::{LabelingOutput, LabelingView};
use self::labels::{LabelInput, LabelOutput, LabelStore};
use self::worker::{InteriorsJob, InteriorsJobOutput, InteriorsWorker};
use super::collection_file::OpenCollection;
use super::engine::SharedEngine;
use super::failure::{JobError, send};
use super::pictures::PictureSlots;
use super::progress::ProgressPanel;
use crate::i18n::{fill, gettext, ngettext};
use crate::interiors::filters::Filters;
use crate::interiors::rounds::InteriorsSummary;
use crate::jobs::{CancelToken, ProgressMonitor};

/// Exported charts are the size the command line's report writes, whatever the window's.
pub const EXPORT_SIZE: (u32, u32) = crate::interiors::charts::DEFAULT_SIZE;

/// The least height of the gallery and the charts: in a window too low for them and the
/// header, the page scrolls, and scrolled down they still show a row of photos.
const RESULTS_MIN_HEIGHT: i32 = 150;

pub struct InteriorsPage {
    worker: WorkerController<InteriorsWorker>,
    /// Saves the labels as they are given.
    labels: WorkerController<LabelStore>,
    labeling: Controller<LabelingView>,
    labeling_open: bool,
    /// What had the keyboard focus when labeling started: it gets it back when labeling ends.
    focus_before_labeling: glib::WeakRef<gtk::Widget>,
    summary: Option<InteriorsSummary>,
    /// What runs now, shown above the gallery (and on the empty page, for the first import).
    progress: ProgressMonitor,
    progress_panels: [ProgressPanel; 2],
    /// Stops the import running.
    cancel: Option<CancelToken>,
    gallery: TypedGridView<GalleryPhoto, gtk::NoSelection>,
    gallery_state: GalleryState,
    shown: GalleryFilter,
    thumbnails: PictureSlots<i64>,
    /// Train and auto-label run in the app's backend; the app says when.
    /// A training or auto-labeling round is running.
    round_running: bool,
    /// The choices of the gallery's filter, with their counts.
    shown_choices: gtk::StringList,
    thresholds: ThresholdControls,
    charts_shown: bool,
    /// The charts drawn for the current data; empty when they must be drawn again.
    charts: Vec<gtk::DrawingArea>,
    charts_box: gtk::FlowBox,
    charts_requested: bool,
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
    ChooseFolder,
    /// Import the photos in these folders, and these photos.
    Import(Vec<PathBuf>),
    Cancel,
    /// The app switched to another collection: forget what was shown of the old one.
    CollectionSwitched,
    StartLabeling,
    Train,
    AutoLabel,
    Show(GalleryFilter),
    ApplyThresholds,
    DefaultThresholds,
    ChartsShown(bool),
    /// The system switched between light and dark.
    StyleChanged,
    ChooseExportFolder,
    ExportCharts(PathBuf),
    Labeling(LabelingOutput),
    Job(InteriorsJobOutput),
    Labels(LabelOutput),
}

#[derive(Debug)]
pub enum InteriorsOutput {
    /// Photos were imported, labelled or trained on: count again.
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
                        set_halign: gtk::Align::Center,
                        add_css_class: "pill",
                        add_css_class: "suggested-action",
                        #[watch]
                        set_sensitive: !model.is_busy(),
                        connect_clicked => InteriorsMsg::ChooseFolder,
                    },
                    #[local_ref]
                    // As wide as a narrow window leaves beside the page's margins.
                    empty_progress -> gtk::Revealer {
                        set_width_request: 300,
                    },
                },
            },

            // The header scrolls with the results when the window is too low for both.
            add_named[Some("overview")] = &gtk::ScrolledWindow {
                set_hscrollbar_policy: gtk::PolicyType::Never,

                #[wrap(Some)]
                set_child = &gtk::Box {
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

                    // The buttons in a row, or one under the other in a narrow window.
                    crate::ui::fold::Fold::new(12, 0) {
                        set_halign: gtk::Align::Start,

                        append = &gtk::Button {
                            set_label: &gettext("_Start Labeling"),
                            set_use_underline: true,
                            add_css_class: "pill",
                            add_css_class: "suggested-action",
                            connect_clicked => InteriorsMsg::StartLabeling,
                        },
                        append = &gtk::Button {
                            set_label: &gettext("_Train"),
                            set_use_underline: true,
                            set_tooltip_text: Some(&gettext("Learn from your labels")),
                            add_css_class: "pill",
                            #[watch]
                            set_sensitive: !model.is_busy(),
                            connect_clicked => InteriorsMsg::Train,
                        },
                        append = &gtk::Button {
                            set_label: &gettext("_Auto-Label"),
                            set_use_underline: true,
                            set_tooltip_text: Some(&gettext("Label the photos the model is sure of")),
                            add_css_class: "pill",
                            #[watch]
                            set_sensitive: !model.is_busy() && model.summary.is_some_and(|s| s.rounds > 0),
                            connect_clicked => InteriorsMsg::AutoLabel,
                        },
                    },

                    #[local_ref]
                    overview_progress -> gtk::Revealer {},
                },

                gtk::Separator {},

                // The views' switcher, and their controls beside it or under it.
                crate::ui::fold::Fold::new(12, 0) {
                    set_margin_top: 12,
                    set_margin_start: 18,
                    set_margin_end: 18,

                    #[name = "switcher"]
                    append = &gtk::StackSwitcher {
                        set_hexpand: true,
                        set_halign: gtk::Align::Start,
                    },
                    append = &gtk::Box {
                    set_spacing: 12,
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
                        set_min_content_height: RESULTS_MIN_HEIGHT,

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
                    set_min_content_height: RESULTS_MIN_HEIGHT,

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
            },

            add_named[Some("labeling")] = &gtk::ScrolledWindow {
                set_hscrollbar_policy: gtk::PolicyType::Never,
                set_child: Some(model.labeling.widget()),
            },

            #[watch]
            set_visible_child_name: model.page(),
        }
    }

    fn init(
        init: InteriorsInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let labels = LabelStore::builder()
            .detach_worker(init.collection.clone())
            .forward(sender.input_sender(), InteriorsMsg::Labels);
        let progress = ProgressMonitor::new();
        let worker = InteriorsWorker::builder()
            .detach_worker((init.collection, init.engine, progress.clone()))
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
            labels,
            labeling,
            labeling_open: false,
            focus_before_labeling: glib::WeakRef::new(),
            summary: None,
            progress_panels: [ProgressPanel::new(&progress), ProgressPanel::new(&progress)],
            progress,
            cancel: None,
            gallery,
            gallery_state: GalleryState::Waiting,
            shown: GalleryFilter::All,
            thumbnails: PictureSlots::new(THUMBNAIL_CACHE),
            round_running: false,
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
        let [empty_progress, overview_progress] = &model.progress_panels;
        let (empty_progress, overview_progress) =
            (empty_progress.widget(), overview_progress.widget());
        let charts_box = &model.charts_box;
        let gallery_view = &model.gallery.view;
        let filter_button = &model.thresholds.button;
        let widgets = view_output!();
        crate::ui::accessible::one_tab_stop(&model.gallery.view);
        widgets.switcher.set_stack(Some(&widgets.results_stack));
        let input = sender.input_sender().clone();
        adw::StyleManager::default().connect_dark_notify(move |_| {
            // Once the page is gone there is nothing left to redraw.
            let _ = input.send(InteriorsMsg::StyleChanged);
        });
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
            InteriorsMsg::ChooseFolder => choose_folder(&sender),
            InteriorsMsg::Import(folders) => {
                if self.cancel.is_some() || folders.is_empty() {
                    return;
                }
                let cancel = self.progress.begin(gettext("Starting…"));
                self.cancel = Some(cancel.clone());
                self.worker.emit(InteriorsJob::Import { folders, cancel });
            }
            InteriorsMsg::CollectionSwitched => {
                self.worker.emit(InteriorsJob::CollectionSwitched);
                self.labels.emit(LabelInput::CollectionSwitched);
                self.summary = None;
                self.labeling_open = false;
                self.gallery.clear();
                self.gallery_state = GalleryState::Waiting;
                self.thumbnails.forget_all();
                for chart in self.charts.drain(..) {
                    self.charts_box.remove(&chart);
                }
            }
            InteriorsMsg::Cancel => self.progress.cancel(),
            InteriorsMsg::StartLabeling => self.labels.emit(LabelInput::LoadSession),
            InteriorsMsg::Train => self.start_round(InteriorsJob::Train, gettext("Training…")),
            InteriorsMsg::AutoLabel => {
                self.start_round(InteriorsJob::AutoLabel, gettext("Labeling automatically…"))
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
            InteriorsMsg::StyleChanged => {
                for chart in &self.charts {
                    chart.queue_draw();
                }
            }
            InteriorsMsg::ChooseExportFolder => choose_export_folder(&sender),
            InteriorsMsg::ExportCharts(folder) => {
                self.worker.emit(InteriorsJob::ExportCharts(folder))
            }
            InteriorsMsg::Labeling(LabelingOutput::Save(change)) => {
                self.labels.emit(LabelInput::Save(change));
            }
            InteriorsMsg::Labeling(LabelingOutput::Leave) => {
                self.labeling_open = false;
                self.rescore();
                // Back where the person came from, once the overview is on screen again.
                let focus = self.focus_before_labeling.upgrade();
                glib::idle_add_local_once(move || {
                    if let Some(widget) = focus.filter(|widget| widget.is_mapped()) {
                        widget.grab_focus();
                    }
                });
            }
            InteriorsMsg::Job(output) => self.job_output(output, &sender),
            InteriorsMsg::Labels(output) => self.labels_output(output, &sender),
        }
    }
}

impl InteriorsPage {
    /// The label store, for the window to wait on while it closes.
    pub fn label_sender(&self) -> relm4::Sender<LabelInput> {
        self.labels.sender().clone()
    }

    fn rescore(&mut self) {
        if self.summary.is_some_and(|s| s.photos > 0) {
            self.worker.emit(InteriorsJob::Score);
        }
    }

    /// Whether an import or a scoring, training or auto-labeling round is running.
    pub fn busy(&self) -> bool {
        self.is_busy()
    }

    fn is_busy(&self) -> bool {
        self.round_running || self.cancel.is_some()
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

    fn title(&self) -> String {
        let photos = self.summary.map_or(0, |s| s.photos);
        fill(
            &ngettext("{count} Photo", "{count} Photos", photos as u32),
            &[("count", &photos)],
        )
    }

    fn description(&self) -> String {
        let Some(summary) = self.summary else {
            return String::new();
        };
        let human = summary.human.bad + summary.human.medium + summary.human.good;
        let auto = summary.auto.bad + summary.auto.medium + summary.auto.good;
        let labels = fill(
            &gettext(
                "Labelled by you: {bad} bad, {medium} medium, {good} good · automatically: {auto}",
            ),
            &[
                ("bad", &summary.human.bad),
                ("medium", &summary.human.medium),
                ("good", &summary.human.good),
                ("auto", &auto),
            ],
        );
        let model = match summary.accuracy {
            Some(accuracy) => fill(
                &gettext("The latest model rates {percent}% of your labels right"),
                &[("percent", &format!("{:.0}", accuracy * 100.0))],
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

fn toast(sender: &ComponentSender<InteriorsPage>, message: String) {
    send(sender, InteriorsOutput::Toast(message));
}
