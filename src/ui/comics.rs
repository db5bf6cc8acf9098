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
mod content;
mod content_bar;
mod content_search;
mod covers;
mod first_run;
mod jobs;
mod shelves;
mod shortcuts;
mod tiles;

use std::path::PathBuf;

use relm4::WorkerController;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, gio, glib};
use relm4::prelude::*;

use self::classifier::{ClassifierInput, ClassifierOutput};
use self::collection::{Collection, CollectionInput, CollectionOutput};
use self::content_bar::ContentBar;
use self::content_search::{ContentSearch, SearchInput, SearchOutput};
use self::covers::CoverLoader;
use self::jobs::Job;
use self::shelves::ShelfBar;
use self::shortcuts::{add_shortcuts, choose_folder, type_to_search};
use self::tiles::{Counts, CoverGrid, Shelf, Tile};
use super::collection_file::OpenCollection;
use super::engine::SharedEngine;
use super::failure::send;
use super::progress::ProgressPanel;
use super::settings::SharedSettings;
use super::stalls::StallMeter;
use crate::db::discovery::FoundCollection;
use crate::i18n::{fill, gettext};
use crate::jobs::ProgressMonitor;

pub struct ComicsInit {
    pub collection: OpenCollection,
    pub settings: gio::Settings,
    /// The app's CLIP engine, shared with the other pages.
    pub engine: SharedEngine,
    /// The collection's settings (thumbnails folder, ComicInfo.xml), read when each job starts.
    pub collection_settings: SharedSettings,
}

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
    /// How far the running scan or classification is.
    progress: ProgressMonitor,
    progress_panel: ProgressPanel,
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
    /// The page's own input, for the timers of the search by content.
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
    shelves: ShelfBar,
    /// How the last job went, as its toast said: the job buttons' description.
    outcome: Option<String>,
    /// The last job just ended: the focus goes to Classify Automatically if the job's bar had
    /// it.
    focus_outcome: std::cell::Cell<bool>,
    /// The toast whose button takes the focus when the job ends: Review after a
    /// classification that left comics to review.
    outcome_action: std::cell::Cell<Option<adw::Toast>>,
}

#[derive(Debug)]
pub enum ComicsMsg {
    /// The database is open and up to date: read the collection (after a switch to another
    /// collection, the new one).
    DatabaseOpened,
    /// The Babelcomics4 databases found on this computer.
    Found(Vec<FoundCollection>),
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

                    // What is above the covers takes the height it needs, and scrolls where
                    // the window is too low for it and a row of covers.
                    crate::ui::fitting_scroll::FittingScroll::new() {

                    set_child = &gtk::Box {
                    set_orientation: gtk::Orientation::Vertical,

                    // Shelves, search and By Content in a row; where that does not fit, the
                    // search under the shelves, and the shelves as a drop-down where even
                    // their row does not. Stacked, they leave the covers room in a window
                    // 294 pixels high.
                    crate::ui::fold::Fold::new(6, 0) {
                        set_margin_start: 12,
                        set_margin_end: 12,
                        set_margin_top: 6,
                        set_margin_bottom: 6,
                        #[watch]
                        set_visible: model.counts.collection() > 0,

                        append: shelf_bar,

                        append = &gtk::Box {
                            set_spacing: 12,
                            set_hexpand: true,

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
                    },
                    #[local_ref]
                    content_status -> gtk::Revealer {},
                    #[local_ref]
                    content_catalog -> gtk::Revealer {},
                    },
                    },

                    gtk::Stack {
                        set_vexpand: true,
                        // As high as the page shown wants, not as the tallest: the covers give
                        // way to what is above them only down to their own least height.
                        set_vhomogeneous: false,
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
                                        crate::ui::fold::Fold::new(6, 0) {
                                            set_halign: gtk::Align::Center,

                                            append = &gtk::Button {
                                                set_label: &gettext("_Open Collection…"),
                                                set_use_underline: true,
                                                set_action_name: Some("app.open-collection"),
                                            },
                                            append = &gtk::Button {
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

                    #[local_ref]
                    job_bar -> gtk::Revealer {},

                    gtk::ActionBar {
                        // Where the label does not fit, the button shows an icon.
                        pack_start = &adw::Squeezer {
                            set_transition_type: adw::SqueezerTransitionType::None,

                            add = &gtk::Button {
                                set_label: &gettext("_Add Folder…"),
                                set_use_underline: true,
                                set_tooltip_text: Some(&gettext("Add the comic files in a folder to the collection")),
                                #[watch]
                                set_sensitive: model.job.is_none(),
                                connect_clicked => ComicsMsg::AddFolder,
                            },
                            add = &gtk::Button {
                                set_icon_name: "folder-new-symbolic",
                                set_tooltip_text: Some(&gettext("Add Folder…")),
                                #[watch]
                                set_sensitive: model.job.is_none(),
                                connect_clicked => ComicsMsg::AddFolder,
                            },
                        },
                        pack_end = &gtk::Box {
                            add_css_class: "linked",

                            #[name = "classify_button"]
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
        let search_progress = ProgressMonitor::new();
        let content_bar = ContentBar::new(sender.input_sender());
        content_bar.follow(&search_progress);
        let search_worker = ContentSearch::builder()
            .detach_worker((
                collection_file.clone(),
                collection_settings,
                engine,
                search_progress.clone(),
            ))
            .forward(sender.input_sender(), ComicsMsg::ContentSearch);
        let loader = CoverLoader::new();
        let progress = ProgressMonitor::new();
        let progress_panel = ProgressPanel::new(&progress);
        let stalls = StallMeter::from_env();
        if let Some(stalls) = stalls.clone() {
            progress_panel.connect_report(move |_| stalls.progress());
        }
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
        let shelf_input = sender.input_sender().clone();

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
            progress,
            progress_panel,
            chooser: None,
            threshold,
            auto_apply: true,
            toasts: adw::ToastOverlay::new(),
            stalls,
            collection_file,
            found: Vec::new(),
            offered: 0,
            found_list: gtk::ListBox::new(),
            input: sender.input_sender().clone(),
            search_worker,
            content_bar,
            content: false,
            content_generation: 0,
            debounce: None,
            example: None,
            ranked_by: None,
            duplicate_groups: None,
            trashed_copies: Vec::new(),
            shelves: ShelfBar::new(move |shelf| shelf_input.emit(ComicsMsg::ShowShelf(shelf))),
            outcome: None,
            focus_outcome: std::cell::Cell::new(false),
            outcome_action: std::cell::Cell::new(None),
        };
        let job_bar = model.progress_panel.widget();
        let content_toggle = &model.content_bar.toggle;
        let content_status = &model.content_bar.status;
        let content_catalog = &model.content_bar.catalog;
        let toasts = &model.toasts;
        let found_list = &model.found_list;
        let shelf_bar = &model.shelves.root;
        let widgets = view_output!();
        add_shortcuts(
            &root,
            &widgets.search_entry,
            &model.shelves.buttons(),
            &model.content_bar.toggle,
            &sender,
        );
        // Typing anywhere on the page searches, as in other GNOME apps.
        type_to_search(&root, &widgets.search_entry);
        // The search by content starts with a description: the entry takes the typing.
        model.content_bar.toggle.connect_toggled(glib::clone!(
            #[weak(rename_to = entry)]
            widgets.search_entry,
            move |toggle| {
                if toggle.is_active() {
                    entry.grab_focus();
                }
            }
        ));
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
            ComicsMsg::Cancel => self.progress.cancel(),
            ComicsMsg::ShowSkipped(reasons) => self.show_skipped(&reasons),
            ComicsMsg::Review => {
                send(&sender, ComicsOutput::ReviewRequested);
            }
            ComicsMsg::Collection(output) => self.collection_output(output, &sender),
            ComicsMsg::Classifier(output) => self.classifier_output(output, &sender),
        }
    }

    fn post_view() {
        model.shelves.show(&model.counts, model.duplicate_groups);
        if let Some(outcome) = &model.outcome {
            crate::ui::accessible::describe(&classify_button.clone(), outcome);
        }
        if model.focus_outcome.take() {
            let focus = classify_button.root().and_then(|root| root.focus());
            let action = model.outcome_action.take();
            // Comics to review are what the person does next: the toast's Review takes the
            // focus, unless they are typing.
            let typing = focus.as_ref().is_some_and(|focus| {
                focus.is::<gtk::Text>() || focus.ancestor(gtk::Text::static_type()).is_some()
            });
            let on_action = !typing
                && action.is_some_and(|toast| {
                    crate::ui::accessible::focus_toast_button(
                        &model.toasts,
                        &toast,
                        &classify_button.clone(),
                    )
                });
            if !on_action
                && focus.is_none_or(|focus| {
                    !focus.is_sensitive() || focus.is_ancestor(&job_bar.clone())
                })
            {
                classify_button.grab_focus();
            }
        }
    }
}

impl ComicsPage {
    /// Whether a scan or a classification is running.
    pub fn busy(&self) -> bool {
        self.job.is_some()
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
}

/// The count gettext chooses a plural form by.
fn plural(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
