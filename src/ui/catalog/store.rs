//! The background worker behind the catalog window: it lists the volumes in the catalog and the
//! comics whose volume it lacks, asks ComicVine for volumes by name, imports a volume with its
//! issues and covers through [`crate::catalog::add_volume`] (or every missing one through
//! [`crate::catalog::missing::add_missing`]), and classifies again the comics that waited for
//! them, reporting into the window's progress monitor as it goes. It has its own database connection,
//! so a long import never holds up the window or the other workers.

use crate::ui::failure::{JobError, send};
use std::path::PathBuf;

use relm4::{ComponentSender, Worker};

use crate::catalog::missing::{self, AddMissingEvent, AddMissingRun, MissingVolume};
use crate::catalog::{
    self, AddVolumeSummary, CatalogEvent, ComicVine, ComicVineOptions, VolumeSummary,
};
use crate::db::catalog::CatalogVolume;
use crate::db::embeddings::Subject;
use crate::db::{self, Database};
use crate::i18n::{fill, gettext};
use crate::jobs::{CancelToken, Outcome, ProgressMonitor};
use crate::library::ThumbnailStore;
use crate::matching::catalog_cover_file;
use crate::matching::embed::embed_missing;
use crate::matching::{EmbedOptions, actions};
use crate::ui::background::give_way_to_the_window;
use crate::ui::collection_file::{Connection, OpenCollection};
use crate::ui::engine::{BATCH, SharedEngine};
use crate::ui::session_key;
use crate::ui::settings::SharedSettings;

/// How long to wait before looking again whether the engine is free.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Catalog covers on disk without an embedding from `model`.
fn covers_waiting(
    database: &mut Database,
    store: &ThumbnailStore,
    model: &str,
) -> Result<usize, JobError> {
    let known = database
        .embedded_ids(Subject::Cover, model)
        .map_err(JobError::from)?;
    let covers = database.catalog_covers().map_err(JobError::from)?;
    Ok(covers
        .iter()
        .filter(|cover| !known.contains(&i64::from(cover.id_cover)))
        .filter(|cover| catalog_cover_file(store, cover).is_some())
        .count())
}

pub struct CatalogStoreInit {
    pub collection: OpenCollection,
    /// The app's CLIP engine: new covers are read for matching while nobody else needs it.
    pub engine: SharedEngine,
    /// The collection's settings, read when each job starts.
    pub settings: SharedSettings,
}

#[derive(Debug)]
pub enum CatalogStoreInput {
    LoadVolumes,
    Search(String),
    /// Import volume `id`, reporting into `progress`; `cancel` stops it between two covers.
    Add {
        id: i32,
        cancel: CancelToken,
        progress: ProgressMonitor,
    },
    /// Add the volume of every group of comics the catalog lacks, in order, then classify
    /// those comics again; reporting into `progress`, stopping between two groups or two
    /// covers when `cancel` is set.
    AddAll {
        cancel: CancelToken,
        progress: ProgressMonitor,
    },
    /// The app switched to another collection: let go of the old one now.
    CollectionSwitched,
    /// Read some of the covers still without an embedding, then ask again while more wait.
    EmbedNewCovers,
}

/// A volume of the catalog with the file of its first cover, when it is on disk.
#[derive(Debug, Clone)]
pub struct ListedVolume {
    pub volume: CatalogVolume,
    pub cover: Option<(i32, PathBuf)>,
}

#[derive(Debug)]
pub enum CatalogStoreOutput {
    Volumes(Vec<ListedVolume>),
    /// The groups of comics whose volume the catalog lacks, and whether a stopped Add All has
    /// comics waiting to be classified again.
    Missing {
        groups: Vec<MissingVolume>,
        resumable: bool,
    },
    Results(Vec<VolumeSummary>),
    Added(AddVolumeSummary),
    /// A volume added in full, and the comics it serves classified again: how many of them
    /// were applied, and how many wait for review (`None`: no comic waited for it).
    AddDone {
        reclassified: Option<(u64, u64)>,
    },
    /// Add All ended: how many volumes it added, and how many of the comics that waited were
    /// applied and left for review (`None`: none were classified). The series no volume fits
    /// stay listed as missing.
    AllAdded {
        outcome: Outcome,
        added: usize,
        reclassified: Option<(u64, u64)>,
    },
    /// Catalog covers still to be read for matching.
    CoversWaiting(usize),
    Failed(JobError),
}

pub struct CatalogStore {
    /// The collection's settings, read when each job starts.
    settings: SharedSettings,
    database: Connection<Database>,
    engine: SharedEngine,
    /// The worker's thread runs behind the window (set when it first reads covers).
    lowered: bool,
}

impl Worker for CatalogStore {
    type Init = CatalogStoreInit;
    type Input = CatalogStoreInput;
    type Output = CatalogStoreOutput;

    fn init(init: Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self {
            settings: init.settings,
            database: Connection::new(init.collection),
            engine: init.engine,
            lowered: false,
        }
    }

    fn update(&mut self, message: CatalogStoreInput, sender: ComponentSender<Self>) {
        let adding = matches!(
            message,
            CatalogStoreInput::Add { .. } | CatalogStoreInput::AddAll { .. }
        );
        let reply = match message {
            CatalogStoreInput::LoadVolumes => {
                // Covers another program (Babelcomics4) downloaded are read too.
                sender.input(CatalogStoreInput::EmbedNewCovers);
                if let Ok(missing) = self.missing() {
                    send(&sender, missing);
                }
                self.volumes().map(CatalogStoreOutput::Volumes)
            }
            CatalogStoreInput::Search(query) => self.search(&query),
            CatalogStoreInput::Add {
                id,
                cancel,
                progress,
            } => self.add_and_classify(id, &cancel, &progress, &sender),
            CatalogStoreInput::AddAll { cancel, progress } => {
                self.add_all(&cancel, &progress, &sender)
            }
            CatalogStoreInput::CollectionSwitched => {
                self.database.close_if_switched();
                return;
            }
            CatalogStoreInput::EmbedNewCovers => match self.embed_new_covers(&sender) {
                Ok(Some(waiting)) => Ok(CatalogStoreOutput::CoversWaiting(waiting)),
                Ok(None) => return,
                Err(reason) => {
                    // Classification reads them anyway; nothing the user asked for failed.
                    tracing::info!("catalog covers are left for the next classification: {reason}");
                    return;
                }
            },
        };
        send(&sender, reply.unwrap_or_else(CatalogStoreOutput::Failed));
        if adding {
            sender.input(CatalogStoreInput::EmbedNewCovers);
        }
    }
}

impl CatalogStore {
    fn database(&mut self) -> Result<&mut Database, JobError> {
        self.database
            .get_or_open(|path| db::open(path).map_err(JobError::from))
    }

    /// Reads a batch of the catalog covers still without an embedding when the model is loaded
    /// and free (never loading one for it), so that the next classification starts at once.
    /// Asks for the next batch while covers wait; a job the user started goes first. Returns
    /// how many covers wait; `None` when there is no model to read them with now.
    fn embed_new_covers(
        &mut self,
        sender: &ComponentSender<Self>,
    ) -> Result<Option<usize>, JobError> {
        if !std::mem::replace(&mut self.lowered, true) {
            give_way_to_the_window();
        }
        let store = self.store()?;
        let engine = self.engine.clone();
        let database = self.database()?;
        let attempt = engine.try_with(|loaded| {
            // Said before the batch, which can take a while on a slow processor.
            let waiting = covers_waiting(database, &store, &loaded.model_id)?;
            if waiting == 0 {
                return Ok((0, 0));
            }
            send(sender, CatalogStoreOutput::CoversWaiting(waiting));
            let options = EmbedOptions {
                covers: true,
                comics: false,
                classified_comics: false,
                max: Some(BATCH),
                ..EmbedOptions::default()
            };
            let summary = embed_missing(
                database,
                &loaded.engine,
                &loaded.model_id,
                &store,
                &options,
                &CancelToken::new(),
                &mut |_| {},
            )
            .map_err(JobError::from)?;
            let waiting = covers_waiting(database, &store, &loaded.model_id)?;
            Ok((summary.computed, waiting))
        });
        match attempt {
            None if engine.is_busy() => {
                // Another job has the engine: look again in a moment.
                std::thread::sleep(RETRY_AFTER);
                sender.input(CatalogStoreInput::EmbedNewCovers);
                Ok(None)
            }
            // No model loaded yet: the next classification reads them.
            None => Ok(None),
            Some(Err(reason)) => Err(reason),
            Some(Ok((computed, waiting))) => {
                if waiting > 0 && computed > 0 {
                    sender.input(CatalogStoreInput::EmbedNewCovers);
                }
                Ok(Some(waiting))
            }
        }
    }

    fn store(&mut self) -> Result<ThumbnailStore, JobError> {
        let settings = self.settings.current();
        settings
            .thumbnail_store(self.database()?)
            .map_err(JobError::from)
    }

    fn volumes(&mut self) -> Result<Vec<ListedVolume>, JobError> {
        let store = self.store()?;
        let database = self.database()?;
        let mut covers = database.volume_first_covers().map_err(JobError::from)?;
        let volumes = database.catalog_volumes().map_err(JobError::from)?;
        Ok(volumes
            .into_iter()
            .map(|volume| {
                let cover = covers.remove(&volume.id_volume).and_then(|row| {
                    catalog_cover_file(&store, &row).map(|file| (row.id_cover, file))
                });
                ListedVolume { volume, cover }
            })
            .collect())
    }

    fn missing(&mut self) -> Result<CatalogStoreOutput, JobError> {
        let database = self.database()?;
        let groups = missing::groups_to_add(database).map_err(JobError::from)?;
        let resumable = !AddMissingRun::load(database)
            .map_err(JobError::from)?
            .waiting
            .is_empty();
        Ok(CatalogStoreOutput::Missing { groups, resumable })
    }

    /// Adds the volume of every group of comics the catalog lacks, in order and at ComicVine's
    /// pace, then classifies those comics again (as `vistazo catalog add-missing` does). A
    /// stopped run goes on where it was the next time.
    fn add_all(
        &mut self,
        cancel: &CancelToken,
        monitor: &ProgressMonitor,
        sender: &ComponentSender<Self>,
    ) -> Result<CatalogStoreOutput, JobError> {
        let client = self.client(Some(cancel))?;
        let store = self.store()?;
        let database = self.database()?;
        let groups = missing::groups_to_add(database).map_err(JobError::from)?;
        monitor.started(
            Some(groups.len() as u64),
            gettext("Adding the missing volumes…"),
        );
        let mut adding = String::new();
        let summary =
            missing::add_missing(database, &client, &store, &groups, cancel, &mut |event| {
                match event {
                    AddMissingEvent::Searching { group, .. } => monitor.relabel(fill(
                        &gettext("Looking for {series} on ComicVine…"),
                        &[("series", &group.series)],
                    )),
                    AddMissingEvent::Adding { volume, .. } => {
                        adding.clone_from(&volume.name);
                        monitor.relabel(fill(&gettext("Adding {name}…"), &[("name", &adding)]));
                    }
                    AddMissingEvent::Import(CatalogEvent::Progress(covers)) => {
                        monitor.relabel(fill(
                            &gettext("Adding {name} ({done} of {total} covers)"),
                            &[
                                ("name", &adding),
                                ("done", &covers.done),
                                ("total", &covers.total),
                            ],
                        ));
                    }
                    AddMissingEvent::NoFit { .. }
                    | AddMissingEvent::Added(_)
                    | AddMissingEvent::Skipped { .. } => monitor.advanced(1),
                    AddMissingEvent::Import(CatalogEvent::CoverSkipped {
                        id_comicbook_info,
                        error,
                    }) => tracing::warn!("skipped a cover of issue {id_comicbook_info}: {error}"),
                    AddMissingEvent::Import(_) => {}
                }
            });
        // What was added shows at once, whatever comes next.
        if let Ok(volumes) = self.volumes() {
            send(sender, CatalogStoreOutput::Volumes(volumes));
        }
        let summary = summary.map_err(JobError::from)?;
        let added = summary.added.len();
        if summary.outcome == Outcome::Cancelled {
            return Ok(CatalogStoreOutput::AllAdded {
                outcome: Outcome::Cancelled,
                added,
                reclassified: None,
            });
        }
        let reclassified = self.classify_again(
            &summary.waiting,
            gettext("Classifying the comics that waited for these volumes…"),
            cancel,
            monitor,
        )?;
        // Stopped while classifying: the next Add All classifies them.
        let outcome = if cancel.is_cancelled() {
            Outcome::Cancelled
        } else {
            missing::classified_again(self.database()?).map_err(JobError::from)?;
            Outcome::Finished
        };
        Ok(CatalogStoreOutput::AllAdded {
            outcome,
            added,
            reclassified,
        })
    }

    fn client(&mut self, cancel: Option<&CancelToken>) -> Result<ComicVine, JobError> {
        let database = self.database()?;
        let key = session_key::api_key(database).map_err(JobError::from)?;
        let client = ComicVine::new(key, ComicVineOptions::from_env()).map_err(JobError::from)?;
        Ok(match cancel {
            Some(cancel) => client.with_cancel(cancel.clone()),
            None => client,
        })
    }

    /// Adds volume `id`, then classifies again at once the comics that waited for it (as
    /// `vistazo catalog add-missing` does).
    fn add_and_classify(
        &mut self,
        id: i32,
        cancel: &CancelToken,
        monitor: &ProgressMonitor,
        sender: &ComponentSender<Self>,
    ) -> Result<CatalogStoreOutput, JobError> {
        // Read before: once the volume is in the catalog its comics no longer count as waiting.
        let waiting = missing::missing_volumes(self.database()?).map_err(JobError::from)?;
        let summary = self.add(id, cancel, monitor)?;
        if let Ok(volumes) = self.volumes() {
            send(sender, CatalogStoreOutput::Volumes(volumes));
        }
        let finished = summary.outcome == Outcome::Finished;
        let comics = missing::served_by(&waiting, &summary.name);
        send(sender, CatalogStoreOutput::Added(summary));
        if !finished {
            return Ok(CatalogStoreOutput::AddDone { reclassified: None });
        }
        let reclassified = self.classify_again(
            &comics,
            gettext("Classifying the comics that waited for this volume…"),
            cancel,
            monitor,
        )?;
        Ok(CatalogStoreOutput::AddDone { reclassified })
    }

    /// Classifies `comics` again, their covers and the new volumes' read with the app's model
    /// first, saying `label` meanwhile.
    fn classify_again(
        &mut self,
        comics: &[i32],
        label: String,
        cancel: &CancelToken,
        monitor: &ProgressMonitor,
    ) -> Result<Option<(u64, u64)>, JobError> {
        if comics.is_empty() {
            return Ok(None);
        }
        monitor.started(None, label);
        let settings = self.settings.current();
        let store = self.store()?;
        let Self {
            database, engine, ..
        } = self;
        let summary = engine.job(&mut |event| event.report_into(monitor), |loaded| {
            let database = database.get_or_open(|path| db::open(path).map_err(JobError::from))?;
            embed_missing(
                database,
                &loaded.engine,
                &loaded.model_id,
                &store,
                &EmbedOptions::default(),
                cancel,
                &mut |_| {},
            )
            .map_err(JobError::from)?;
            actions::classify_again(
                database,
                &store,
                &loaded.model_id,
                comics,
                settings.threshold,
                cancel,
                &mut |_| {},
            )
            .map_err(JobError::from)
        })?;
        Ok(Some((summary.applied, summary.suggested)))
    }

    fn search(&mut self, query: &str) -> Result<CatalogStoreOutput, JobError> {
        let client = self.client(None)?;
        let page = client.search_volumes(query, 1).map_err(JobError::from)?;
        Ok(CatalogStoreOutput::Results(page.results))
    }

    fn add(
        &mut self,
        id: i32,
        cancel: &CancelToken,
        monitor: &ProgressMonitor,
    ) -> Result<AddVolumeSummary, JobError> {
        let client = self.client(Some(cancel))?;
        let store = self.store()?;
        let database = self.database()?;
        catalog::add_volume(database, &client, &store, id, cancel, &mut |event| {
            report_into(monitor, event);
        })
        .map_err(JobError::from)
    }
}

/// Reports a step of adding a volume into `monitor`, as the window shows it.
pub fn report_into(monitor: &ProgressMonitor, event: CatalogEvent) {
    match event {
        CatalogEvent::Volume { name, .. } => {
            monitor.started(None, fill(&gettext("Adding {name}…"), &[("name", &name)]));
        }
        CatalogEvent::IssuesListed { listed, total } => {
            if monitor.report().total.is_none() {
                monitor.started(Some(total), gettext("Listing the volume’s issues…"));
            }
            monitor.reached(listed, total);
        }
        CatalogEvent::Downloading { total } => {
            monitor.started(Some(total), gettext("Downloading the volume’s covers…"));
        }
        CatalogEvent::Progress(progress) => monitor.reached(progress.done, progress.total),
        CatalogEvent::CoverSkipped {
            id_comicbook_info,
            error,
        } => tracing::warn!("skipped a cover of issue {id_comicbook_info}: {error}"),
    }
}
