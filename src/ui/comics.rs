//! The Comics page: the collection as a grid of covers, with shelves (all, unclassified,
//! classified, trash) and their counts, a search by file name or series, "Add Folder…" to scan
//! folders into the collection, and "Classify Automatically" to match the comics to the
//! catalog. Both jobs run in their own workers and show their progress (counts, rate, time
//! left) with a Cancel button; the window stays responsive while they run.
//!
//! ```text
//! ComicsPage
//! ├── shelves (linked toggle buttons with counts) · search entry
//! ├── stack: loading │ empty collection │ grid (tiles::CoverGrid) │ nothing found
//! ├── progress of the running job, with Cancel
//! └── action bar: Add Folder… · Classify Automatically + options (threshold, apply or review)
//! ```

mod classifier;
mod collection;
mod content_bar;
mod content_search;
mod covers;
mod progress;
mod tiles;

use std::path::PathBuf;

use relm4::WorkerController;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio, glib};
use relm4::prelude::*;

use self::classifier::{ClassifierInput, ClassifierOutput, ClassifyReport};
use self::collection::{Collection, CollectionInput, CollectionOutput, ScanReport};
use self::content_bar::{Assign, ContentBar};
use self::content_search::{ContentSearch, Query, SearchInput, SearchOutput};
use self::covers::CoverLoader;
use self::progress::JobProgress;
use self::tiles::{Counts, CoverGrid, Ranking, Shelf, Tile};
use super::collection_file::OpenCollection;
use super::engine::SharedEngine;
use super::failure::{JobError, send};
use super::settings::SharedSettings;
use super::stalls::StallMeter;
use crate::db::discovery::FoundCollection;
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::{CancelToken, Outcome};
use crate::matching::ClassifyOptions;

pub struct ComicsInit {
    pub collection: OpenCollection,
    pub settings: gio::Settings,
    /// The app's CLIP engine, shared with the other pages.
    pub engine: SharedEngine,
    /// The collection's settings (thumbnails folder, ComicInfo.xml), read when each job starts.
    pub collection_settings: SharedSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Scan,
    Classify,
}

struct Job {
    kind: JobKind,
    cancel: CancelToken,
    progress: JobProgress,
    /// When `progress` arrived: the bar moves on from it by the job's rate (see
    /// [`JobProgress::estimated_fraction`]).
    progress_at: std::time::Instant,
    /// Moves the bar between reports while the job runs.
    ticks: Option<glib::SourceId>,
}

/// Comics shown at first by a search by content, before the user moves the cut-off.
const CONTENT_SHOWN: usize = 47;
/// Comics "Assign to a Comic…" offers, the best ranked unclassified ones.
const ASSIGN_CHOICES: usize = 8;

pub struct ComicsPage {
    collection: WorkerController<Collection>,
    classifier: WorkerController<classifier::Classifier>,
    loader: CoverLoader,
    grid: CoverGrid,
    /// Pages of the collection read so far, until the last one arrives.
    incoming: Vec<Tile>,
    /// The collection has been read once.
    loaded: bool,
    counts: Counts,
    shelf: Shelf,
    search: String,
    /// Tiles the shelf and the search let through so far.
    shown: u32,
    /// The shelf or the search is still being applied.
    filtering: bool,
    job: Option<Job>,
    /// The folder dialog while it is open: GTK does not keep native dialogs alive.
    chooser: Option<gtk::FileChooserNative>,
    threshold: gtk::Adjustment,
    auto_apply: bool,
    toasts: adw::ToastOverlay,
    stalls: Option<StallMeter>,
    collection_file: OpenCollection,
    /// The Babelcomics4 databases found on this computer, offered while the collection is
    /// empty.
    found: Vec<FoundCollection>,
    /// How many of them the list offers (the open collection is not offered).
    offered: usize,
    found_list: gtk::ListBox,
    /// The page's own input, for the progress bar's ticks.
    input: relm4::Sender<ComicsMsg>,
    search_worker: WorkerController<ContentSearch>,
    content_bar: ContentBar,
    /// The search is by picture content.
    content: bool,
    /// Bumped by every query: results of an older one are dropped.
    content_generation: u64,
    /// The typed description waits this long for the next key before it is searched.
    debounce: Option<glib::SourceId>,
    /// "Find Similar Covers" of this comic (id, name) is what the grid is ranked by.
    example: Option<(i32, String)>,
    /// What the grid is ranked by now, said above it.
    ranked_by: Option<String>,
    /// How many groups of copies the duplicates shelf has, once known.
    duplicate_groups: Option<usize>,
    /// The copies moved to the trash from the duplicates shelf, the latest last: Ctrl+Z takes
    /// them out again one by one.
    trashed_copies: Vec<i32>,
}

#[derive(Debug)]
pub enum ComicsMsg {
    /// The database is open and up to date: read the collection (after a switch to another
    /// collection, the new one).
    DatabaseOpened,
    /// The Babelcomics4 databases found on this computer.
    Found(Vec<FoundCollection>),
    /// Time passed: move the progress bar by the estimate.
    Tick,
    /// Folders dropped on the page: each is added like with Add Folder.
    FoldersDropped(Vec<PathBuf>),
    /// Read the collection again (another program may have changed it).
    Refresh,
    ShowShelf(Shelf),
    Search(String),
    /// The grid shows other tiles, or finished filtering.
    ShownChanged,
    AddFolder,
    /// The folder dialog closed, with the folder chosen if any.
    FolderChosen(Option<PathBuf>),
    Classify,
    SetAutoApply(bool),
    Cancel,
    ShowSkipped(Vec<String>),
    Review,
    Collection(CollectionOutput),
    Classifier(ClassifierOutput),
    /// The search by picture content turned on or off.
    ContentMode(bool),
    /// The typed description stopped changing: search it, if it is still query `generation`.
    ContentQuery(u64),
    ContentCutoff(f32),
    /// Rank the covers by their likeness to this comic's.
    FindSimilar(i32),
    AssignIssue {
        comic_id: i32,
        id_comicbook_info: i32,
        title: String,
    },
    /// Takes back the issue assigned to this comic from a search.
    Unassign(i32),
    ContentSearch(SearchOutput),
    /// Delete on the duplicates shelf: this copy goes to the trash.
    TrashCopy(i32),
    /// Undo of that.
    Untrash(i32),
    /// Ctrl+Z: the latest copy moved to the trash comes back.
    UndoTrash,
}

#[derive(Debug)]
pub enum ComicsOutput {
    /// The user wants to review the suggestions classification left.
    ReviewRequested,
    /// The user picked a collection found on this computer.
    OpenCollection(PathBuf),
}

#[relm4::component(pub)]
impl SimpleComponent for ComicsPage {
    type Init = ComicsInit;
    type Input = ComicsMsg;
    type Output = ComicsOutput;

    view! {
        #[root]
        gtk::Box {
            set_orientation: gtk::Orientation::Vertical,

            #[local_ref]
            toasts -> adw::ToastOverlay {
                set_vexpand: true,

                gtk::Box {
                    set_orientation: gtk::Orientation::Vertical,

                    gtk::Box {
                        set_spacing: 12,
                        set_margin_start: 12,
                        set_margin_end: 12,
                        set_margin_top: 12,
                        set_margin_bottom: 6,
                        #[watch]
                        set_visible: model.counts.collection() > 0,

                        gtk::Box {
                            add_css_class: "linked",

                            #[name = "all_button"]
                            gtk::ToggleButton {
                                set_active: true,
                                #[wrap(Some)]
                                set_child = &gtk::Box {
                                    set_spacing: 6,
                                    gtk::Label { set_label: &gettext("All") },
                                    gtk::Label {
                                        add_css_class: "dim-label",
                                        add_css_class: "numeric",
                                        #[watch]
                                        set_label: &model.counts.all.to_string(),
                                    },
                                },
                                connect_toggled[sender] => move |button| {
                                    if button.is_active() {
                                        sender.input(ComicsMsg::ShowShelf(Shelf::All));
                                    }
                                },
                            },
                            #[name = "unclassified_button"]
                            gtk::ToggleButton {
                                set_group: Some(&all_button),
                                #[wrap(Some)]
                                set_child = &gtk::Box {
                                    set_spacing: 6,
                                    gtk::Label { set_label: &gettext("Unclassified") },
                                    gtk::Label {
                                        add_css_class: "dim-label",
                                        add_css_class: "numeric",
                                        #[watch]
                                        set_label: &model.counts.unclassified.to_string(),
                                    },
                                },
                                connect_toggled[sender] => move |button| {
                                    if button.is_active() {
                                        sender.input(ComicsMsg::ShowShelf(Shelf::Unclassified));
                                    }
                                },
                            },
                            #[name = "classified_button"]
                            gtk::ToggleButton {
                                set_group: Some(&all_button),
                                #[wrap(Some)]
                                set_child = &gtk::Box {
                                    set_spacing: 6,
                                    gtk::Label { set_label: &gettext("Classified") },
                                    gtk::Label {
                                        add_css_class: "dim-label",
                                        add_css_class: "numeric",
                                        #[watch]
                                        set_label: &model.counts.classified.to_string(),
                                    },
                                },
                                connect_toggled[sender] => move |button| {
                                    if button.is_active() {
                                        sender.input(ComicsMsg::ShowShelf(Shelf::Classified));
                                    }
                                },
                            },
                            #[name = "trash_button"]
                            gtk::ToggleButton {
                                set_group: Some(&all_button),
                                #[wrap(Some)]
                                set_child = &gtk::Box {
                                    set_spacing: 6,
                                    gtk::Label { set_label: &gettext("Trash") },
                                    gtk::Label {
                                        add_css_class: "dim-label",
                                        add_css_class: "numeric",
                                        #[watch]
                                        set_label: &model.counts.trash.to_string(),
                                    },
                                },
                                connect_toggled[sender] => move |button| {
                                    if button.is_active() {
                                        sender.input(ComicsMsg::ShowShelf(Shelf::Trash));
                                    }
                                },
                            },
                            #[name = "duplicates_button"]
                            gtk::ToggleButton {
                                set_group: Some(&all_button),
                                set_tooltip_text: Some(&gettext("The comics owned more than once, side by side: Delete moves the copy you do not want to the trash")),
                                #[wrap(Some)]
                                set_child = &gtk::Box {
                                    set_spacing: 6,
                                    gtk::Label { set_label: &gettext("Duplicates") },
                                    gtk::Label {
                                        add_css_class: "dim-label",
                                        add_css_class: "numeric",
                                        #[watch]
                                        set_label: &model.duplicate_groups.map(|n| n.to_string()).unwrap_or_default(),
                                    },
                                },
                                connect_toggled[sender] => move |button| {
                                    if button.is_active() {
                                        sender.input(ComicsMsg::ShowShelf(Shelf::Duplicates));
                                    }
                                },
                            },
                        },

                        #[name = "search_entry"]
                        gtk::SearchEntry {
                            set_hexpand: true,
                            set_width_chars: 12,
                            #[watch]
                            set_placeholder_text: Some(&if model.content {
                                gettext("Describe the cover: a giant robot, a red dragon…")
                            } else {
                                gettext("Search by file name or series")
                            }),
                            connect_search_changed[sender] => move |entry| {
                                sender.input(ComicsMsg::Search(entry.text().to_string()));
                            },
                        },
                        #[local_ref]
                        content_toggle -> gtk::ToggleButton {},
                    },
                    #[local_ref]
                    content_status -> gtk::Revealer {},
                    #[local_ref]
                    content_catalog -> gtk::Revealer {},

                    gtk::Stack {
                        set_vexpand: true,
                        set_transition_type: gtk::StackTransitionType::Crossfade,

                        add_named[Some("loading")] = &gtk::Spinner {
                            set_spinning: true,
                            set_halign: gtk::Align::Center,
                            set_valign: gtk::Align::Center,
                            set_size_request: (32, 32),
                        },
                        add_named[Some("empty")] = &adw::StatusPage {
                            // The collections found need the room more than the picture.
                            #[watch]
                            set_icon_name: (model.offered == 0).then_some("view-grid-symbolic"),
                            set_title: &gettext("Match Your Comics to Their Issues"),
                            #[watch]
                            set_description: Some(&model.empty_description()),

                            #[wrap(Some)]
                            set_child = &adw::Clamp {
                                set_maximum_size: 660,

                                gtk::Box {
                                    set_orientation: gtk::Orientation::Vertical,
                                    set_spacing: 24,

                                    #[local_ref]
                                    found_list -> gtk::ListBox {
                                        add_css_class: "boxed-list",
                                        set_selection_mode: gtk::SelectionMode::None,
                                        #[watch]
                                        set_visible: model.offered > 0,
                                    },

                                    gtk::Box {
                                        set_orientation: gtk::Orientation::Vertical,
                                        set_spacing: 12,
                                        set_halign: gtk::Align::Center,

                                        gtk::Button {
                                            set_label: &gettext("_Add Folder…"),
                                            set_use_underline: true,
                                            set_halign: gtk::Align::Center,
                                            #[watch]
                                            set_css_classes: if model.offered > 0 { &["pill"] } else { &["pill", "suggested-action"] },
                                            #[watch]
                                            set_sensitive: model.job.is_none(),
                                            connect_clicked => ComicsMsg::AddFolder,
                                        },
                                        gtk::Box {
                                            set_spacing: 6,
                                            set_homogeneous: true,

                                            gtk::Button {
                                                set_label: &gettext("_Open Collection…"),
                                                set_use_underline: true,
                                                set_action_name: Some("app.open-collection"),
                                            },
                                            gtk::Button {
                                                set_label: &gettext("_New Collection…"),
                                                set_use_underline: true,
                                                set_action_name: Some("app.new-collection"),
                                            },
                                        },
                                    },
                                },
                            },
                        },
                        add_named[Some("grid")] = &gtk::ScrolledWindow {
                            set_hscrollbar_policy: gtk::PolicyType::Never,
                            set_child: Some(model.grid.widget()),
                        },
                        add_named[Some("nothing")] = &adw::StatusPage {
                            set_icon_name: Some("edit-find-symbolic"),
                            set_title: &gettext("No Comics Here"),
                            #[watch]
                            set_description: Some(&model.nothing_found()),
                        },
                        #[watch]
                        set_visible_child_name: model.visible_page(),
                    },

                    gtk::Revealer {
                        #[watch]
                        set_reveal_child: model.job.is_some(),

                        gtk::Box {
                            set_spacing: 12,
                            set_margin_start: 12,
                            set_margin_end: 12,
                            set_margin_top: 6,
                            set_margin_bottom: 6,

                            gtk::Box {
                                set_orientation: gtk::Orientation::Vertical,
                                set_spacing: 6,
                                set_hexpand: true,
                                set_valign: gtk::Align::Center,

                                gtk::Box {
                                    set_spacing: 12,
                                    gtk::Label {
                                        add_css_class: "heading",
                                        set_xalign: 0.0,
                                        set_hexpand: true,
                                        set_ellipsize: gtk::pango::EllipsizeMode::End,
                                        #[watch]
                                        set_label: &model.job_title(),
                                    },
                                    gtk::Label {
                                        add_css_class: "dim-label",
                                        add_css_class: "numeric",
                                        set_ellipsize: gtk::pango::EllipsizeMode::Start,
                                        #[watch]
                                        set_label: &model.job_details(),
                                    },
                                },
                                #[name = "progress_bar"]
                                gtk::ProgressBar {},
                            },
                            gtk::Button {
                                set_label: &gettext("_Cancel"),
                                set_use_underline: true,
                                set_valign: gtk::Align::Center,
                                #[watch]
                                set_sensitive: model.job.as_ref().is_some_and(|job| !job.cancel.is_cancelled()),
                                connect_clicked => ComicsMsg::Cancel,
                            },
                        },
                    },

                    gtk::ActionBar {
                        pack_start = &gtk::Button {
                            set_label: &gettext("_Add Folder…"),
                            set_use_underline: true,
                            set_tooltip_text: Some(&gettext("Add the comic files in a folder to the collection")),
                            #[watch]
                            set_sensitive: model.job.is_none(),
                            connect_clicked => ComicsMsg::AddFolder,
                        },
                        pack_end = &gtk::Box {
                            add_css_class: "linked",

                            gtk::Button {
                                set_label: &gettext("Classify Au_tomatically"),
                                set_use_underline: true,
                                set_tooltip_text: Some(&gettext("Match the unclassified comics to the catalog by their covers")),
                                add_css_class: "suggested-action",
                                #[watch]
                                set_sensitive: model.job.is_none() && model.counts.unclassified > 0,
                                connect_clicked => ComicsMsg::Classify,
                            },
                            gtk::MenuButton {
                                set_icon_name: "pan-down-symbolic",
                                set_tooltip_text: Some(&gettext("Classification Options")),
                                add_css_class: "suggested-action",
                                #[watch]
                                set_sensitive: model.job.is_none(),

                                #[wrap(Some)]
                                set_popover = &gtk::Popover {
                                    gtk::Box {
                                        set_orientation: gtk::Orientation::Vertical,
                                        set_spacing: 12,
                                        set_margin_all: 6,
                                        set_width_request: 280,

                                        gtk::Box {
                                            set_spacing: 12,
                                            gtk::Label {
                                                set_label: &gettext("Threshold"),
                                                set_xalign: 0.0,
                                                set_hexpand: true,
                                            },
                                            gtk::SpinButton {
                                                set_adjustment: &model.threshold,
                                                set_digits: 2,
                                            },
                                        },
                                        gtk::Label {
                                            set_label: &gettext("A match at or above this score, clearly ahead of the next one, counts as sure."),
                                            add_css_class: "dim-label",
                                            add_css_class: "caption",
                                            set_wrap: true,
                                            set_max_width_chars: 36,
                                            set_xalign: 0.0,
                                        },
                                        #[name = "apply_button"]
                                        gtk::CheckButton {
                                            set_label: Some(&gettext("Apply sure matches")),
                                            set_active: model.auto_apply,
                                            connect_toggled[sender] => move |button| {
                                                sender.input(ComicsMsg::SetAutoApply(button.is_active()));
                                            },
                                        },
                                        gtk::CheckButton {
                                            set_label: Some(&gettext("Review every match")),
                                            set_group: Some(&apply_button),
                                            set_active: !model.auto_apply,
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    }

    fn init(
        init: ComicsInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let ComicsInit {
            collection: collection_file,
            settings,
            engine,
            collection_settings,
        } = init;
        let collection = Collection::builder()
            .detach_worker((collection_file.clone(), collection_settings.clone()))
            .forward(sender.input_sender(), ComicsMsg::Collection);
        let classifier = classifier::Classifier::builder()
            .detach_worker((
                collection_file.clone(),
                collection_settings.clone(),
                engine.clone(),
            ))
            .forward(sender.input_sender(), ComicsMsg::Classifier);
        let search_worker = ContentSearch::builder()
            .detach_worker((collection_file.clone(), collection_settings, engine))
            .forward(sender.input_sender(), ComicsMsg::ContentSearch);
        let loader = CoverLoader::new();
        let find_similar = sender.input_sender().clone();
        let trash = sender.input_sender().clone();
        let grid = CoverGrid::new(
            &loader,
            move |id| find_similar.emit(ComicsMsg::FindSimilar(id)),
            move |id| trash.emit(ComicsMsg::TrashCopy(id)),
        );
        let shown_changed = sender.input_sender().clone();
        grid.connect_shown_changed(move || shown_changed.emit(ComicsMsg::ShownChanged));
        let threshold = crate::ui::threshold::adjustment(&settings);

        let model = ComicsPage {
            collection,
            classifier,
            loader,
            grid,
            incoming: Vec::new(),
            loaded: false,
            counts: Counts::default(),
            shelf: Shelf::All,
            search: String::new(),
            shown: 0,
            filtering: false,
            job: None,
            chooser: None,
            threshold,
            auto_apply: true,
            toasts: adw::ToastOverlay::new(),
            stalls: StallMeter::from_env(),
            collection_file,
            found: Vec::new(),
            offered: 0,
            found_list: gtk::ListBox::new(),
            input: sender.input_sender().clone(),
            search_worker,
            content_bar: ContentBar::new(sender.input_sender()),
            content: false,
            content_generation: 0,
            debounce: None,
            example: None,
            ranked_by: None,
            duplicate_groups: None,
            trashed_copies: Vec::new(),
        };
        let content_toggle = &model.content_bar.toggle;
        let content_status = &model.content_bar.status;
        let content_catalog = &model.content_bar.catalog;
        let toasts = &model.toasts;
        let found_list = &model.found_list;
        let widgets = view_output!();
        let shelves = [
            &widgets.all_button,
            &widgets.unclassified_button,
            &widgets.classified_button,
            &widgets.trash_button,
            &widgets.duplicates_button,
        ]
        .map(|button| button.downgrade());
        add_shortcuts(&root, &widgets.search_entry, shelves, &sender);
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: ComicsMsg, sender: ComponentSender<Self>) {
        match message {
            ComicsMsg::DatabaseOpened => {
                // Another collection, or the first: nothing read from the one before stays.
                self.loaded = false;
                self.incoming.clear();
                self.grid.clear();
                self.loader.forget_all();
                self.classifier.emit(ClassifierInput::CollectionSwitched);
                self.search_worker.emit(SearchInput::CollectionSwitched);
                self.content_bar.forget();
                self.example = None;
                self.content_generation += 1;
                self.grid.set_ranking(None);
                self.collection.emit(CollectionInput::Open);
                self.show_found(&sender);
            }
            ComicsMsg::Found(found) => {
                self.found = found;
                self.show_found(&sender);
            }
            ComicsMsg::Tick => {
                if let Some(stalls) = &self.stalls
                    && self.job.as_ref().is_some_and(|job| {
                        job.progress.estimated_fraction(job.progress_at.elapsed())
                            != job.progress.fraction()
                    })
                {
                    stalls.progress();
                }
            }
            ComicsMsg::FoldersDropped(folders) => {
                // One scan at a time: the first folder now, like Add Folder.
                if let Some(folder) = folders.into_iter().next() {
                    self.start_scan(folder);
                }
            }
            ComicsMsg::Refresh => {
                if self.loaded && self.job.is_none() {
                    self.collection.emit(CollectionInput::Load);
                }
            }
            ComicsMsg::ShowShelf(shelf) => {
                if shelf == Shelf::Duplicates {
                    self.duplicate_groups = None;
                    self.search_worker.emit(SearchInput::FindDuplicates);
                }
                self.shelf = shelf;
                self.grid.set_shelf(shelf);
                self.update_shown();
            }
            ComicsMsg::Search(text) => {
                self.search = text;
                if self.content {
                    self.example = None;
                    self.queue_content_query();
                } else {
                    self.grid.set_search(&self.search);
                }
                self.update_shown();
            }
            ComicsMsg::ContentMode(on) => self.set_content_mode(on),
            ComicsMsg::ContentQuery(generation) => {
                if generation == self.content_generation {
                    self.debounce = None;
                    self.run_content_query();
                }
            }
            ComicsMsg::ContentCutoff(cutoff) => {
                self.grid.set_cutoff(cutoff);
                self.content_bar
                    .set_count(cutoff, self.grid.count_at(cutoff));
                self.update_shown();
            }
            ComicsMsg::FindSimilar(id) => self.find_similar(id),
            ComicsMsg::AssignIssue {
                comic_id,
                id_comicbook_info,
                title,
            } => {
                self.search_worker.emit(SearchInput::Assign {
                    comic_id,
                    id_comicbook_info,
                });
                self.content_bar
                    .say(&fill(&gettext("Assigning {title}…"), &[("title", &title)]));
            }
            ComicsMsg::Unassign(comic_id) => {
                self.search_worker.emit(SearchInput::Unassign(comic_id));
            }
            ComicsMsg::ContentSearch(output) => self.content_output(output),
            ComicsMsg::TrashCopy(comic_id) => self.search_worker.emit(SearchInput::Trash {
                comic_id,
                in_trash: true,
            }),
            ComicsMsg::Untrash(comic_id) => {
                self.trashed_copies.retain(|id| *id != comic_id);
                self.search_worker.emit(SearchInput::Trash {
                    comic_id,
                    in_trash: false,
                });
            }
            ComicsMsg::UndoTrash => {
                if let Some(comic_id) = self.trashed_copies.pop() {
                    sender.input(ComicsMsg::Untrash(comic_id));
                }
            }
            ComicsMsg::ShownChanged => self.update_shown(),
            ComicsMsg::AddFolder => {
                if self.job.is_none() && self.chooser.is_none() {
                    let window = self.toasts.root().and_downcast::<gtk::Window>();
                    self.chooser = Some(choose_folder(window.as_ref(), &sender));
                }
            }
            ComicsMsg::FolderChosen(folder) => {
                if let Some(chooser) = self.chooser.take() {
                    chooser.destroy();
                }
                if let Some(folder) = folder {
                    self.start_scan(folder);
                }
            }
            ComicsMsg::Classify => self.start_classification(),
            ComicsMsg::SetAutoApply(apply) => self.auto_apply = apply,
            ComicsMsg::Cancel => {
                if let Some(job) = &self.job {
                    job.cancel.cancel();
                }
            }
            ComicsMsg::ShowSkipped(reasons) => self.show_skipped(&reasons),
            ComicsMsg::Review => {
                send(&sender, ComicsOutput::ReviewRequested);
            }
            ComicsMsg::Collection(output) => self.collection_output(output, &sender),
            ComicsMsg::Classifier(output) => self.classifier_output(output, &sender),
        }
    }

    fn post_view() {
        // The shelves as a screen reader says them: their name and how many comics they hold.
        let shelf_name = |name: String, count: u64| {
            fill(
                &ngettext(
                    "{shelf}, {count} comic",
                    "{shelf}, {count} comics",
                    plural(count),
                ),
                &[("shelf", &name), ("count", &count)],
            )
        };
        let counts = &model.counts;
        for (button, name, count) in [
            (all_button.clone(), gettext("All"), counts.all),
            (
                unclassified_button.clone(),
                gettext("Unclassified"),
                counts.unclassified,
            ),
            (
                classified_button.clone(),
                gettext("Classified"),
                counts.classified,
            ),
            (trash_button.clone(), gettext("Trash"), counts.trash),
        ] {
            crate::ui::accessible::name(&button, &shelf_name(name, count));
        }
        let duplicates = match model.duplicate_groups {
            Some(groups) => fill(
                &ngettext(
                    "{shelf}, {count} group",
                    "{shelf}, {count} groups",
                    plural(groups as u64),
                ),
                &[("shelf", &gettext("Duplicates")), ("count", &groups)],
            ),
            None => gettext("Duplicates"),
        };
        crate::ui::accessible::name(&duplicates_button.clone(), &duplicates);
        crate::ui::accessible::name(&progress_bar.clone(), &gettext("Progress"));
        let fraction = model
            .job
            .as_ref()
            .and_then(|job| job.progress.estimated_fraction(job.progress_at.elapsed()));
        match fraction {
            Some(fraction) => progress_bar.set_fraction(fraction),
            None if model.job.is_some() => progress_bar.pulse(),
            None => progress_bar.set_fraction(0.0),
        }
    }
}

impl ComicsPage {
    /// Whether a scan or a classification is running.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    fn empty_description(&self) -> String {
        if self.offered > 0 {
            ngettext(
                "This collection is empty. Vistazo found a Babelcomics4 collection on this computer: open it to classify its comics, or start here by adding the folders that hold your comic files.",
                "This collection is empty. Vistazo found Babelcomics4 collections on this computer: open one to classify its comics, or start here by adding the folders that hold your comic files.",
                u32::try_from(self.offered).unwrap_or(u32::MAX),
            )
        } else {
            gettext(
                "Add the folders that hold your comic files, then add the volumes you own from ComicVine to the catalog. Vistazo compares the covers and suggests the issue each comic is. Already using Babelcomics4? Open its collection, the babelcomics.db file in its data folder.",
            )
        }
    }

    /// Lists the Babelcomics4 collections found, but the one open; the first one's Open button
    /// becomes the window's default, so Enter opens it.
    fn show_found(&mut self, sender: &ComponentSender<Self>) {
        // GTK 4.8 reaches for the default widget after it is gone: let go of it first.
        if let Some(window) = self.found_list.root().and_downcast::<gtk::Window>()
            && window
                .default_widget()
                .is_some_and(|widget| widget.is_ancestor(&self.found_list))
        {
            window.set_default_widget(None::<&gtk::Widget>);
        }
        while let Some(row) = self.found_list.first_child() {
            self.found_list.remove(&row);
        }
        let open_now = self.collection_file.path();
        let open_now = open_now.canonicalize().unwrap_or(open_now);
        let mut first_button = None;
        self.offered = 0;
        for found in self.found.iter().filter(|found| found.path != open_now) {
            let row = adw::ActionRow::builder()
                .title(
                    glib::markup_escape_text(&super::collection_folder_name(&found.path)).as_str(),
                )
                .subtitle(glib::markup_escape_text(&found_details(found)).as_str())
                .subtitle_lines(2)
                .build();
            let button = gtk::Button::builder()
                .label(gettext("_Open"))
                .use_underline(true)
                .valign(gtk::Align::Center)
                .build();
            if first_button.is_none() {
                button.add_css_class("suggested-action");
                first_button = Some(button.clone());
            }
            let path = found.path.clone();
            let output = sender.output_sender().clone();
            button.connect_clicked(move |_| {
                if output
                    .send(ComicsOutput::OpenCollection(path.clone()))
                    .is_err()
                {
                    tracing::debug!("nobody listens for collections to open");
                }
            });
            row.add_suffix(&button);
            row.set_activatable_widget(Some(&button));
            self.found_list.append(&row);
            self.offered += 1;
        }
        let Some(button) = first_button else {
            return;
        };
        // Once the page is on screen: the stack shows it after this update.
        let list = self.found_list.clone();
        glib::idle_add_local_once(move || {
            if !list.is_mapped() {
                return;
            }
            if let Some(window) = list.root().and_downcast::<gtk::Window>() {
                window.set_default_widget(Some(&button));
            }
            button.grab_focus();
        });
    }

    fn visible_page(&self) -> &'static str {
        if !self.loaded {
            "loading"
        } else if self.counts.collection() == 0 {
            "empty"
        } else if self.shown == 0 && !self.filtering {
            "nothing"
        } else {
            "grid"
        }
    }

    /// Turns the search by picture content on or off; the entry's text is searched the new way.
    fn set_content_mode(&mut self, on: bool) {
        if self.content == on {
            return;
        }
        self.content = on;
        self.content_generation += 1;
        self.example = None;
        if self.content_bar.toggle.is_active() != on {
            self.content_bar.toggle.set_active(on);
        }
        if on {
            self.grid.set_search("");
            self.run_content_query();
        } else {
            if let Some(source) = self.debounce.take() {
                source.remove();
            }
            self.content_bar.hide();
            self.grid.set_ranking(None);
            self.grid.set_search(&self.search);
        }
        self.update_shown();
    }

    /// Searches the typed description once typing pauses.
    fn queue_content_query(&mut self) {
        self.content_generation += 1;
        if let Some(source) = self.debounce.take() {
            source.remove();
        }
        let (input, generation) = (self.input.clone(), self.content_generation);
        self.debounce = Some(glib::timeout_add_local_once(
            std::time::Duration::from_millis(350),
            move || input.emit(ComicsMsg::ContentQuery(generation)),
        ));
    }

    fn run_content_query(&mut self) {
        let text = self.search.trim().to_owned();
        if text.is_empty() && self.example.is_none() {
            self.grid.set_ranking(None);
            self.content_bar.hide();
            self.content_bar.say(&gettext(
                "Describe what the cover shows; English descriptions work best.",
            ));
            return;
        }
        let query = match &self.example {
            Some((id, name)) => {
                self.content_bar.say(&fill(
                    &gettext("Looking for covers like “{name}”…"),
                    &[("name", name)],
                ));
                Query::Comic(*id)
            }
            None => {
                self.content_bar
                    .say(&fill(&gettext("Looking for “{text}”…"), &[("text", &text)]));
                Query::Text(text)
            }
        };
        self.search_worker.emit(SearchInput::Rank {
            query,
            generation: self.content_generation,
        });
    }

    /// Ranks the covers by their likeness to comic `id`'s.
    fn find_similar(&mut self, id: i32) {
        let Some(name) = self.grid.title_of(id) else {
            return;
        };
        if !self.content {
            self.content = true;
            self.content_bar.toggle.set_active(true);
        }
        if let Some(source) = self.debounce.take() {
            source.remove();
        }
        self.content_generation += 1;
        self.example = Some((id, name));
        self.grid.set_search("");
        self.run_content_query();
    }

    fn content_output(&mut self, output: SearchOutput) {
        match output {
            SearchOutput::Progress(progress) => {
                let mut text = progress.step.title();
                if let Some(progress) = progress.progress {
                    text = fill(
                        &gettext("{text} {done} of {total}"),
                        &[
                            ("text", &text),
                            ("done", &progress.done),
                            ("total", &progress.total),
                        ],
                    );
                }
                self.content_bar.say(&text);
            }
            SearchOutput::Ranked {
                generation,
                comics,
                catalog,
            } => {
                if generation != self.content_generation || !self.content {
                    return;
                }
                let mut scores: Vec<f32> = comics.values().copied().collect();
                scores.sort_by(|a, b| b.total_cmp(a));
                // At first the best few dozen are shown; the cut-off lets the user see more.
                let cutoff = scores
                    .get(CONTENT_SHOWN.min(scores.len().saturating_sub(1)))
                    .copied()
                    .unwrap_or(-1.0);
                let least = scores.last().copied().unwrap_or(-1.0);
                let most = scores.first().copied().unwrap_or(1.0);
                self.grid.set_ranking(Some(Ranking {
                    scores: comics,
                    cutoff,
                }));
                self.content_bar.set_range(least, most, cutoff);
                self.content_bar
                    .set_count(cutoff, self.grid.count_at(cutoff));
                let what = match &self.example {
                    Some((_, name)) => fill(&gettext("Covers like “{name}”"), &[("name", name)]),
                    None => fill(
                        &gettext("Covers that fit “{search}”"),
                        &[("search", &self.search.trim())],
                    ),
                };
                self.content_bar.say(&what);
                self.ranked_by = Some(what);
                let assign = match &self.example {
                    Some((id, name)) => Assign::To(*id, name.clone()),
                    None => Assign::Choose(self.grid.best_unclassified(ASSIGN_CHOICES)),
                };
                self.content_bar.show_catalog(&catalog, &assign);
                self.update_shown();
            }
            SearchOutput::Assigned { comic_id, applied } => {
                if let Some(ranked) = &self.ranked_by {
                    self.content_bar.say(ranked);
                }
                let toast = if applied {
                    let toast = adw::Toast::builder()
                        .title(gettext("Classified. Undo puts it back as it was."))
                        .button_label(gettext("_Undo"))
                        .timeout(10)
                        .build();
                    let input = self.input.clone();
                    toast.connect_button_clicked(move |_| {
                        input.emit(ComicsMsg::Unassign(comic_id));
                    });
                    toast
                } else {
                    adw::Toast::new(&gettext(
                        "Nothing was changed: the comic was classified or trashed meanwhile.",
                    ))
                };
                self.toasts.add_toast(toast);
                self.collection.emit(CollectionInput::Load);
            }
            SearchOutput::Unassigned => self.collection.emit(CollectionInput::Load),
            SearchOutput::Duplicates(groups) => {
                self.duplicate_groups = Some(groups.len());
                self.grid.set_duplicates(groups);
                self.update_shown();
                if self.shelf == Shelf::Duplicates {
                    // The copies are side by side: the first one takes the keys (arrows,
                    // Delete) unless the user is typing a search.
                    self.grid.focus_first_when_shown();
                }
            }
            SearchOutput::Trashed { comic_id, in_trash } => {
                if in_trash {
                    self.trashed_copies.push(comic_id);
                    let toast = adw::Toast::builder()
                        .title(gettext("Moved to the trash"))
                        .button_label(gettext("_Undo"))
                        .timeout(10)
                        .build();
                    let input = self.input.clone();
                    toast.connect_button_clicked(move |_| input.emit(ComicsMsg::Untrash(comic_id)));
                    self.toasts.add_toast(toast);
                }
                self.collection.emit(CollectionInput::Load);
                if self.shelf == Shelf::Duplicates {
                    self.search_worker.emit(SearchInput::FindDuplicates);
                }
            }
            SearchOutput::Failed { generation, error } => {
                if generation == 0 || generation == self.content_generation {
                    self.content_bar.say(&error.to_string());
                    self.failure_toast(&error);
                }
            }
        }
    }

    fn update_shown(&mut self) {
        self.shown = self.grid.shown();
        self.filtering = self.grid.filtering();
    }

    fn nothing_found(&self) -> String {
        if !self.search.trim().is_empty() {
            return fill(
                &gettext("No comic on this shelf matches “{search}”."),
                &[("search", &self.search.trim())],
            );
        }
        match self.shelf {
            Shelf::All => gettext("Every comic is in the trash."),
            Shelf::Unclassified => gettext("Every comic is classified."),
            Shelf::Classified => gettext(
                "No comic is classified yet. Classify Automatically matches them to the catalog by their covers.",
            ),
            Shelf::Trash => gettext("The trash is empty."),
            Shelf::Duplicates if self.duplicate_groups.is_none() => {
                gettext("Looking for comics owned more than once…")
            }
            Shelf::Duplicates => gettext(
                "No comic is owned twice: no two are classified to the same issue or have the same cover.",
            ),
        }
    }

    fn job_title(&self) -> String {
        match &self.job {
            Some(job) if job.cancel.is_cancelled() => gettext("Stopping…"),
            Some(job) => job.progress.step.title(),
            None => String::new(),
        }
    }

    fn job_details(&self) -> String {
        self.job
            .as_ref()
            .map(|job| job.progress.details())
            .unwrap_or_default()
    }

    fn start_job(&mut self, kind: JobKind, step: progress::Step) -> CancelToken {
        let cancel = CancelToken::new();
        let input = self.input.clone();
        let ticks = glib::timeout_add_local(TICK, move || {
            input.emit(ComicsMsg::Tick);
            glib::ControlFlow::Continue
        });
        self.job = Some(Job {
            kind,
            cancel: cancel.clone(),
            progress: JobProgress::starting(step),
            progress_at: std::time::Instant::now(),
            ticks: Some(ticks),
        });
        if let Some(stalls) = &self.stalls {
            stalls.start(match kind {
                JobKind::Scan => "scan",
                JobKind::Classify => "classify",
            });
        }
        cancel
    }

    /// Ends the running job; returns how many items its last report counted.
    fn finish_job(&mut self) -> u64 {
        let Some(mut job) = self.job.take() else {
            return 0;
        };
        if let Some(ticks) = job.ticks.take() {
            ticks.remove();
        }
        let done = job.progress.progress.map_or(0, |p| p.done);
        if let Some(stalls) = &self.stalls {
            stalls.finish(done);
        }
        done
    }

    fn start_scan(&mut self, folder: PathBuf) {
        if self.job.is_some() {
            return;
        }
        let cancel = self.start_job(JobKind::Scan, progress::Step::Scanning);
        self.collection
            .emit(CollectionInput::Scan { folder, cancel });
    }

    fn start_classification(&mut self) {
        if self.job.is_some() || !self.loaded || self.counts.unclassified == 0 {
            return;
        }
        let options = ClassifyOptions {
            threshold: self.threshold.value() as f32,
            auto_apply: self.auto_apply,
            ..ClassifyOptions::default()
        };
        let cancel = self.start_job(JobKind::Classify, progress::Step::LoadingModel);
        self.classifier
            .emit(ClassifierInput::Run { options, cancel });
    }

    fn progress(&mut self, kind: JobKind, progress: JobProgress) {
        if let Some(job) = self.job.as_mut().filter(|job| job.kind == kind) {
            job.progress = progress;
            job.progress_at = std::time::Instant::now();
            if let Some(stalls) = &self.stalls {
                stalls.progress();
            }
        }
    }

    fn collection_output(&mut self, output: CollectionOutput, sender: &ComponentSender<Self>) {
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
            CollectionOutput::Progress(progress) => self.progress(JobKind::Scan, progress),
            CollectionOutput::Scanned(report) => {
                self.finish_job();
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
                    self.finish_job();
                }
                self.failure_toast(&reason);
            }
        }
    }

    fn classifier_output(&mut self, output: ClassifierOutput, sender: &ComponentSender<Self>) {
        match output {
            ClassifierOutput::Progress(progress) => self.progress(JobKind::Classify, progress),
            ClassifierOutput::Finished(report) => {
                self.finish_job();
                self.search_worker.emit(SearchInput::Stale);
                self.classify_toast(report, sender);
                self.collection.emit(CollectionInput::Load);
            }
            ClassifierOutput::Failed(reason) => {
                self.finish_job();
                self.failure_toast(&reason);
                self.collection.emit(CollectionInput::Load);
            }
        }
    }

    fn failure_toast(&self, error: &JobError) {
        self.toasts.add_toast(error.toast());
    }

    fn scan_toast(&self, report: ScanReport, sender: &ComponentSender<Self>) {
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
        let toast = adw::Toast::new(&parts.join(" · "));
        if !report.reasons.is_empty() {
            toast.set_button_label(Some(&gettext("_Details")));
            toast.set_timeout(0);
            let reasons = report.reasons;
            let sender = sender.clone();
            toast.connect_button_clicked(move |_| {
                sender.input(ComicsMsg::ShowSkipped(reasons.clone()));
            });
        }
        self.toasts.add_toast(toast);
    }

    fn classify_toast(&self, report: ClassifyReport, sender: &ComponentSender<Self>) {
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
        let toast = adw::Toast::builder().title(title).timeout(0).build();
        if report.to_review > 0 {
            toast.set_button_label(Some(&gettext("_Review")));
            let sender = sender.clone();
            toast.connect_button_clicked(move |_| sender.input(ComicsMsg::Review));
        }
        self.toasts.add_toast(toast);
    }

    fn show_skipped(&self, reasons: &[String]) {
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
        dialog.present();
    }
}

/// Where a found collection is and how many comics it holds.
fn found_details(found: &FoundCollection) -> String {
    let location = super::display_path(&found.path);
    match found.comics {
        Some(comics) => fill(
            &ngettext(
                "{location} · {comics} comic",
                "{location} · {comics} comics",
                plural(comics.unsigned_abs()),
            ),
            &[("location", &location), ("comics", &comics)],
        ),
        None => location,
    }
}

/// How often the progress bar moves between the workers' reports.
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// The count gettext chooses a plural form by.
fn plural(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Shows a dialog asking for a folder of comics; the answer comes back as
/// [`ComicsMsg::FolderChosen`]. The caller keeps the dialog until then.
fn choose_folder(
    window: Option<&gtk::Window>,
    sender: &ComponentSender<ComicsPage>,
) -> gtk::FileChooserNative {
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Add a Folder of Comics")),
        window,
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Add")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let sender = sender.clone();
    chooser.connect_response(move |chooser, response| {
        let folder = (response == gtk::ResponseType::Accept)
            .then(|| chooser.file().and_then(|file| file.path()))
            .flatten();
        sender.input(ComicsMsg::FolderChosen(folder));
    });
    chooser.show();
    chooser
}

/// The page's keyboard shortcuts, listed in the Keyboard Shortcuts window. They act only while
/// the page is on screen.
fn add_shortcuts(
    root: &gtk::Box,
    search: &gtk::SearchEntry,
    shelves: [glib::WeakRef<gtk::ToggleButton>; 5],
    sender: &ComponentSender<ComicsPage>,
) {
    let controller = gtk::ShortcutController::new();
    controller.set_scope(gtk::ShortcutScope::Global);
    let shortcut = |accelerator: &str, act: Box<dyn Fn() + 'static>| {
        let page = root.downgrade();
        let action = gtk::CallbackAction::new(move |_, _| {
            if page.upgrade().is_some_and(|page| page.is_mapped()) {
                act();
                glib::Propagation::Stop
            } else {
                glib::Propagation::Proceed
            }
        });
        controller.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string(accelerator),
            Some(action),
        ));
    };
    let input = |message: fn() -> ComicsMsg| {
        let sender = sender.clone();
        Box::new(move || sender.input(message())) as Box<dyn Fn()>
    };
    shortcut("<Control><Shift>c", input(|| ComicsMsg::Classify));
    shortcut("<Control>z", input(|| ComicsMsg::UndoTrash));
    // Alt+1 to Alt+5 pick a shelf, in the order they are shown.
    for (at, shelf) in shelves.into_iter().enumerate() {
        shortcut(
            &format!("<Alt>{}", at + 1),
            Box::new(move || {
                if let Some(button) = shelf.upgrade() {
                    button.set_active(true);
                }
            }),
        );
    }
    shortcut("<Control><Shift>o", input(|| ComicsMsg::AddFolder));
    let search = search.downgrade();
    shortcut(
        "<Control>f",
        Box::new(move || {
            if let Some(search) = search.upgrade() {
                search.grab_focus();
            }
        }),
    );
    root.add_controller(controller);
}
