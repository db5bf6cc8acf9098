//! The catalog window: the volumes in the catalog with their first cover and how many issues
//! they have, a search of ComicVine by name, and adding a volume (its issues and covers) with
//! a progress bar and Cancel. The comics whose volume the catalog lacks are listed by series,
//! each with its search, and Add All adds every one's volume in turn and classifies them again. The work happens in [`CatalogStore`]; covers are decoded by a
//! [`PictureSlots`].

pub mod store;

use std::collections::HashSet;

use relm4::WorkerController;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk::{self, glib};
use relm4::prelude::*;

use self::store::{
    CatalogStore, CatalogStoreInit, CatalogStoreInput, CatalogStoreOutput, ListedVolume,
};
use super::failure::send;
use super::pictures::{Fit, PictureSlots, Source};
use super::progress::ProgressPanel;
use crate::catalog::VolumeSummary;
use crate::catalog::missing::MissingVolume;
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::{CancelToken, Outcome, ProgressMonitor};

/// Longest side of a volume's cover in the list.
const THUMBNAIL_SIDE: u32 = 160;

#[derive(Debug)]
pub enum CatalogMsg {
    /// Show the window and read the catalog again.
    Show,
    /// Show the window on a search for this volume, as if typed.
    ShowSearch(String),
    Search(String),
    Add(i32),
    /// Add the volume of every group of comics the catalog lacks, then classify them again.
    AddAll,
    /// Search ComicVine for this, as if typed.
    SearchFor(String),
    Cancel,
    /// The app switched to another collection: list its catalog when the window is open.
    CollectionSwitched,
    Store(CatalogStoreOutput),
}

#[derive(Debug)]
pub enum CatalogOutput {
    /// The catalog changed, and maybe comics classified with it: count and show them again.
    Changed,
}

pub struct CatalogDialog {
    store: WorkerController<CatalogStore>,
    covers: PictureSlots<i32>,
    window: adw::Window,
    title: adw::WindowTitle,
    toasts: adw::ToastOverlay,
    search: gtk::SearchEntry,
    results_group: adw::PreferencesGroup,
    results: Vec<adw::ActionRow>,
    volumes_group: adw::PreferencesGroup,
    volumes: Vec<adw::ActionRow>,
    /// The comics whose volume the catalog lacks, by series, with Add All.
    missing_group: adw::PreferencesGroup,
    missing: Vec<adw::ActionRow>,
    add_all: gtk::Button,
    in_catalog: HashSet<i32>,
    /// The volumes' covers shown, by cover id.
    pictures: Vec<(i32, gtk::Picture)>,
    /// How far adding a volume is.
    progress: ProgressMonitor,
    /// Set while a volume is being added.
    cancel: Option<CancelToken>,
    /// What adding the volume did, said once its comics are classified again.
    added: Option<(String, String)>,
    searching: bool,
    volume_count: usize,
    /// Catalog covers not read for matching yet.
    covers_waiting: usize,
}

impl CatalogDialog {
    /// Whether a volume is being added.
    pub fn busy(&self) -> bool {
        self.cancel.is_some()
    }
}

impl SimpleComponent for CatalogDialog {
    type Init = CatalogStoreInit;
    type Input = CatalogMsg;
    type Output = CatalogOutput;
    type Root = adw::Window;
    type Widgets = ();

    fn init_root() -> Self::Root {
        adw::Window::builder()
            .title(gettext("Catalog"))
            .default_width(720)
            .default_height(640)
            .width_request(360)
            .height_request(294)
            .modal(true)
            .hide_on_close(true)
            .build()
    }

    fn init(
        init: CatalogStoreInit,
        window: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let store = CatalogStore::builder()
            .detach_worker(init)
            .forward(sender.input_sender(), CatalogMsg::Store);

        let toasts = adw::ToastOverlay::new();
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        let title = adw::WindowTitle::new(&gettext("Catalog"), "");
        let header = adw::HeaderBar::builder().title_widget(&title).build();
        content.append(&header);
        toasts.set_child(Some(&content));
        window.set_content(Some(&toasts));

        let body = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(24)
            .margin_top(24)
            .margin_bottom(24)
            .margin_start(12)
            .margin_end(12)
            .build();
        content.append(
            &gtk::ScrolledWindow::builder()
                .hscrollbar_policy(gtk::PolicyType::Never)
                .vexpand(true)
                .child(&adw::Clamp::builder().maximum_size(720).child(&body).build())
                .build(),
        );

        let search_group = adw::PreferencesGroup::builder()
            .title(gettext("Add From ComicVine"))
            .description(gettext(
                "Search volumes by name, then add the ones you own: their issues and covers come into the catalog.",
            ))
            .build();
        let results_group = adw::PreferencesGroup::new();
        let search = gtk::SearchEntry::builder()
            .placeholder_text(gettext("Volume name, then Enter"))
            .build();
        search.connect_activate(glib::clone!(
            #[strong]
            sender,
            move |entry| {
                let query = entry.text().trim().to_owned();
                if !query.is_empty() {
                    sender.input(CatalogMsg::Search(query));
                }
            }
        ));
        search_group.add(&search);
        let adding = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(12)
            .build();
        adding.append(&search_group);
        adding.append(&results_group);
        body.append(&adding);

        let add_all = gtk::Button::builder()
            .label(gettext("Add _All"))
            .use_underline(true)
            .tooltip_text(gettext(
                "Add the volume that fits each series below from ComicVine, one after another, then classify those comics again",
            ))
            .valign(gtk::Align::Center)
            .css_classes(["suggested-action"])
            .build();
        add_all.connect_clicked(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(CatalogMsg::AddAll)
        ));
        let missing_group = adw::PreferencesGroup::builder()
            .title(gettext("Not in Your Catalog"))
            .description(gettext(
                "Comics whose volume the catalog lacks, by the series their names say.",
            ))
            .header_suffix(&add_all)
            .visible(false)
            .build();
        body.append(&missing_group);

        let progress = ProgressMonitor::new();
        let panel = ProgressPanel::new(&progress).framed();
        body.append(panel.widget());

        let volumes_group = adw::PreferencesGroup::builder()
            .title(gettext("In Your Catalog"))
            .build();
        body.append(&volumes_group);

        let model = CatalogDialog {
            store,
            covers: PictureSlots::new(200),
            window,
            title,
            toasts,
            search,
            results_group,
            results: Vec::new(),
            volumes_group,
            volumes: Vec::new(),
            missing_group,
            missing: Vec::new(),
            add_all,
            in_catalog: HashSet::new(),
            pictures: Vec::new(),
            progress,
            cancel: None,
            added: None,
            searching: false,
            volume_count: 0,
            covers_waiting: 0,
        };
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, message: CatalogMsg, sender: ComponentSender<Self>) {
        match message {
            CatalogMsg::Show => {
                if let Some(parent) = relm4::main_application().active_window()
                    && parent != *self.window.upcast_ref::<gtk::Window>()
                {
                    self.window.set_transient_for(Some(&parent));
                }
                crate::ui::accessible::name_controls(&self.window);
                self.window.present();
                self.search.grab_focus();
                self.store.emit(CatalogStoreInput::LoadVolumes);
            }
            CatalogMsg::ShowSearch(query) => {
                sender.input(CatalogMsg::Show);
                self.search.set_text(&query);
                sender.input(CatalogMsg::Search(query));
            }
            CatalogMsg::Search(query) => {
                if !self.searching {
                    self.searching = true;
                    self.title.set_subtitle(&gettext("Searching ComicVine…"));
                    self.store.emit(CatalogStoreInput::Search(query));
                }
            }
            CatalogMsg::Add(id) => {
                if self.cancel.is_none() {
                    let cancel = self.progress.begin(gettext("Adding the volume…"));
                    self.cancel = Some(cancel.clone());
                    self.set_add_buttons_sensitive(false);
                    self.store.emit(CatalogStoreInput::Add {
                        id,
                        cancel,
                        progress: self.progress.clone(),
                    });
                }
            }
            CatalogMsg::AddAll => {
                if self.cancel.is_none() {
                    let cancel = self.progress.begin(gettext("Adding the missing volumes…"));
                    self.cancel = Some(cancel.clone());
                    self.set_add_buttons_sensitive(false);
                    self.store.emit(CatalogStoreInput::AddAll {
                        cancel,
                        progress: self.progress.clone(),
                    });
                }
            }
            CatalogMsg::SearchFor(query) => {
                self.search.set_text(&query);
                sender.input(CatalogMsg::Search(query));
            }
            CatalogMsg::CollectionSwitched => {
                if self.window.is_visible() {
                    self.store.emit(CatalogStoreInput::LoadVolumes);
                } else {
                    self.store.emit(CatalogStoreInput::CollectionSwitched);
                }
            }
            CatalogMsg::Cancel => self.progress.cancel(),
            CatalogMsg::Store(output) => self.stored(output, &sender),
        }
    }
}

impl CatalogDialog {
    fn stored(&mut self, output: CatalogStoreOutput, sender: &ComponentSender<Self>) {
        match output {
            CatalogStoreOutput::Volumes(volumes) => self.show_volumes(&volumes),
            CatalogStoreOutput::Missing { groups, resumable } => {
                self.show_missing(&groups, resumable, sender);
            }
            CatalogStoreOutput::AllAdded {
                outcome,
                added,
                reclassified,
            } => {
                self.finish_adding(outcome);
                send(sender, CatalogOutput::Changed);
                self.store.emit(CatalogStoreInput::LoadVolumes);
                let message = all_added(outcome, added, reclassified);
                // It may end long after it started: it stays until read.
                self.toasts.add_toast(
                    adw::Toast::builder()
                        .title(crate::ui::markup(&message))
                        .timeout(0)
                        .build(),
                );
            }
            CatalogStoreOutput::Results(results) => {
                self.searching = false;
                self.title.set_subtitle("");
                self.show_results(&results, sender);
            }
            CatalogStoreOutput::Added(summary) => {
                if summary.outcome == Outcome::Cancelled {
                    self.finish_adding(Outcome::Cancelled);
                }
                let message = match summary.outcome {
                    Outcome::Cancelled => fill(
                        &gettext("Adding {name} stopped; what was saved stays"),
                        &[("name", &summary.name)],
                    ),
                    Outcome::Finished => fill(
                        &ngettext(
                            "{name} added with {count} new issue",
                            "{name} added with {count} new issues",
                            u32::try_from(summary.issues_added).unwrap_or(u32::MAX),
                        ),
                        &[("name", &summary.name), ("count", &summary.issues_added)],
                    ),
                };
                if summary.outcome == Outcome::Cancelled {
                    self.toasts
                        .add_toast(adw::Toast::new(&crate::ui::markup(&message)));
                } else {
                    // Said with what classifying its comics again did, in one toast.
                    self.added = Some((summary.name.clone(), message));
                }
            }
            CatalogStoreOutput::AddDone { reclassified } => {
                self.finish_adding(Outcome::Finished);
                send(sender, CatalogOutput::Changed);
                self.store.emit(CatalogStoreInput::LoadVolumes);
                let added = self.added.take();
                let message = match (added, reclassified) {
                    (Some((name, _)), Some((applied, to_review))) => {
                        let classified = if to_review == 0 {
                            ngettext(
                                "{name} added: {applied} comic classified",
                                "{name} added: {applied} comics classified",
                                u32::try_from(applied).unwrap_or(u32::MAX),
                            )
                        } else {
                            ngettext(
                                "{name} added: {applied} comic classified, {review} to review",
                                "{name} added: {applied} comics classified, {review} to review",
                                u32::try_from(applied).unwrap_or(u32::MAX),
                            )
                        };
                        fill(
                            &classified,
                            &[
                                ("name", &name),
                                ("applied", &applied),
                                ("review", &to_review),
                            ],
                        )
                    }
                    (Some((_, message)), None) => message,
                    (None, _) => return,
                };
                self.toasts
                    .add_toast(adw::Toast::new(&crate::ui::markup(&message)));
            }
            CatalogStoreOutput::CoversWaiting(waiting) => {
                self.covers_waiting = waiting;
                self.describe_volumes();
            }
            CatalogStoreOutput::Failed(reason) => {
                if let Some((_, added)) = self.added.take() {
                    self.toasts
                        .add_toast(adw::Toast::new(&crate::ui::markup(&added)));
                }
                self.searching = false;
                self.title.set_subtitle("");
                self.finish_adding(Outcome::Finished);
                self.toasts.add_toast(reason.toast());
            }
        }
    }

    fn finish_adding(&mut self, outcome: Outcome) {
        self.cancel = None;
        match outcome {
            Outcome::Finished => self.progress.finished(),
            Outcome::Cancelled => self.progress.cancelled(),
        }
        self.set_add_buttons_sensitive(true);
    }

    fn set_add_buttons_sensitive(&self, sensitive: bool) {
        for row in self.results.iter().chain(&self.missing) {
            row.set_sensitive(sensitive);
        }
        self.add_all.set_sensitive(sensitive);
    }

    /// Lists the groups of comics whose volume the catalog lacks; the group shows while there
    /// are some, or while a stopped Add All has comics left to classify.
    fn show_missing(
        &mut self,
        groups: &[MissingVolume],
        resumable: bool,
        sender: &ComponentSender<Self>,
    ) {
        for row in self.missing.drain(..) {
            self.missing_group.remove(&row);
        }
        self.missing_group
            .set_visible(!groups.is_empty() || resumable);
        for group in groups {
            let name = match group.year {
                Some(year) => format!("{} ({year})", group.series),
                None => group.series.clone(),
            };
            let count = u32::try_from(group.comics.len()).unwrap_or(u32::MAX);
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(&name).as_str())
                .subtitle(
                    fill(
                        &ngettext("{count} comic", "{count} comics", count),
                        &[("count", &count)],
                    )
                    .as_str(),
                )
                .build();
            let search = gtk::Button::builder()
                .label(gettext("Search"))
                .tooltip_text(gettext("Search ComicVine for this volume"))
                .valign(gtk::Align::Center)
                .build();
            let query = group.query.clone();
            search.connect_clicked(glib::clone!(
                #[strong]
                sender,
                move |_| sender.input(CatalogMsg::SearchFor(query.clone()))
            ));
            row.add_suffix(&search);
            row.set_sensitive(self.cancel.is_none());
            self.missing_group.add(&row);
            self.missing.push(row);
        }
    }

    fn show_results(&mut self, results: &[VolumeSummary], sender: &ComponentSender<Self>) {
        for row in self.results.drain(..) {
            self.results_group.remove(&row);
        }
        if results.is_empty() {
            let row = adw::ActionRow::builder()
                .title(gettext("No volumes match"))
                .subtitle(gettext("Try fewer or other words of the name"))
                .build();
            self.results_group.add(&row);
            self.results.push(row);
            return;
        }
        for volume in results {
            let mut details = Vec::new();
            if let Some(year) = volume.start_year {
                details.push(year.to_string());
            }
            if let Some(publisher) = &volume.publisher {
                details.push(publisher.name.clone());
            }
            let count = u32::try_from(volume.count_of_issues).unwrap_or(0);
            details.push(fill(
                &ngettext("{count} issue", "{count} issues", count),
                &[("count", &count)],
            ));
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(&volume.name).as_str())
                .subtitle(glib::markup_escape_text(&details.join(" · ")).as_str())
                .build();
            let known = self.in_catalog.contains(&volume.id);
            let add = gtk::Button::builder()
                .label(if known {
                    gettext("Update")
                } else {
                    gettext("Add")
                })
                .tooltip_text(if known {
                    gettext("Add the issues and covers still missing from the catalog")
                } else {
                    gettext("Add this volume, its issues and covers to the catalog")
                })
                .valign(gtk::Align::Center)
                .build();
            if !known {
                add.add_css_class("suggested-action");
            }
            let id = volume.id;
            add.connect_clicked(glib::clone!(
                #[strong]
                sender,
                move |_| sender.input(CatalogMsg::Add(id))
            ));
            row.add_suffix(&add);
            row.set_sensitive(self.cancel.is_none());
            self.results_group.add(&row);
            self.results.push(row);
        }
    }

    /// How many volumes the catalog has, and how many new covers are still being read.
    fn describe_volumes(&self) {
        let count = u32::try_from(self.volume_count).unwrap_or(u32::MAX);
        let mut description = fill(
            &ngettext("{count} volume", "{count} volumes", count),
            &[("count", &count)],
        );
        if self.covers_waiting > 0 {
            description.push_str(" · ");
            description.push_str(&fill(
                &ngettext(
                    "{count} new cover is being read for matching",
                    "{count} new covers are being read for matching",
                    u32::try_from(self.covers_waiting).unwrap_or(u32::MAX),
                ),
                &[("count", &self.covers_waiting)],
            ));
        }
        self.volumes_group.set_description(Some(&description));
    }

    fn show_volumes(&mut self, volumes: &[ListedVolume]) {
        for row in self.volumes.drain(..) {
            self.volumes_group.remove(&row);
        }
        for (id_cover, picture) in self.pictures.drain(..) {
            self.covers.release(&picture, &id_cover);
        }
        self.in_catalog = volumes.iter().map(|v| v.volume.id_comicvine).collect();
        self.volume_count = volumes.len();
        self.describe_volumes();
        if volumes.is_empty() {
            let row = adw::ActionRow::builder()
                .title(gettext("The catalog is empty"))
                .subtitle(gettext(
                    "Search ComicVine above and add the volumes you own.",
                ))
                .build();
            self.volumes_group.add(&row);
            self.volumes.push(row);
            return;
        }
        for listed in volumes {
            let volume = &listed.volume;
            let issues = u64::try_from(volume.issues).unwrap_or(0);
            let plural = u32::try_from(issues).unwrap_or(u32::MAX);
            let mut subtitle = if volume.cantidad_numeros > 0 {
                fill(
                    &ngettext(
                        "{count} of {total} issue in the catalog",
                        "{count} of {total} issues in the catalog",
                        u32::try_from(volume.cantidad_numeros).unwrap_or(u32::MAX),
                    ),
                    &[("count", &issues), ("total", &volume.cantidad_numeros)],
                )
            } else {
                fill(
                    &ngettext(
                        "{count} issue in the catalog",
                        "{count} issues in the catalog",
                        plural,
                    ),
                    &[("count", &issues)],
                )
            };
            if volume.anio_inicio > 0 {
                subtitle = format!("{} · {subtitle}", volume.anio_inicio);
            }
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(&volume.nombre).as_str())
                .subtitle(glib::markup_escape_text(&subtitle).as_str())
                .build();
            let picture = gtk::Picture::builder()
                .can_shrink(true)
                .content_fit(gtk::ContentFit::Contain)
                .width_request(40)
                .height_request(60)
                .margin_top(6)
                .margin_bottom(6)
                .build();
            row.add_prefix(&picture);
            if let Some((id_cover, file)) = &listed.cover {
                let scale = u32::try_from(picture.scale_factor().max(1)).unwrap_or(1);
                self.covers.show(
                    &picture,
                    *id_cover,
                    Source::File(file.clone()),
                    Fit::Within(THUMBNAIL_SIDE * scale),
                );
                self.pictures.push((*id_cover, picture));
            }
            self.volumes_group.add(&row);
            self.volumes.push(row);
        }
    }
}

/// What Add All did, in one sentence for its toast.
fn all_added(outcome: Outcome, added: usize, reclassified: Option<(u64, u64)>) -> String {
    let plural = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let added = added as u64;
    let mut parts = vec![match outcome {
        Outcome::Cancelled => fill(
            &ngettext(
                "Stopped after adding {count} volume; Add All goes on from there",
                "Stopped after adding {count} volumes; Add All goes on from there",
                plural(added),
            ),
            &[("count", &added)],
        ),
        Outcome::Finished => fill(
            &ngettext(
                "Added {count} volume",
                "Added {count} volumes",
                plural(added),
            ),
            &[("count", &added)],
        ),
    }];
    if let Some((applied, to_review)) = reclassified {
        parts.push(fill(
            &ngettext(
                "{count} comic classified",
                "{count} comics classified",
                plural(applied),
            ),
            &[("count", &applied)],
        ));
        if to_review > 0 {
            parts.push(fill(
                &ngettext("{count} to review", "{count} to review", plural(to_review)),
                &[("count", &to_review)],
            ));
        }
    }
    parts.join(" · ")
}
