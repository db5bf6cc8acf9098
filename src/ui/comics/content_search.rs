//! The worker behind the Comics page's search by picture content: it ranks every owned comic's
//! cover, and the catalog's covers, by how close their CLIP embedding is to a description's or to
//! an example comic's, with the same search as `vistazo search` and `vistazo similar`.
//!
//! The index of stored embeddings is read once and kept until the page says it is stale (a scan
//! or a classification added embeddings) or the model changes; the covers that have no embedding
//! yet are read first, as a job, with progress. A description is embedded through the engine as
//! work someone waits for, so it goes before the batches of a job running on another page.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use relm4::{ComponentSender, Worker};

use super::classifier::open;
use crate::db::Database;
use crate::db::matching::CatalogCoverRow;
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::{CancelToken, Outcome, ProgressMonitor};
use crate::library::{ComicArchive, ThumbnailStore, cover};
use crate::matching::actions::{Applied, Assignment, Classifications};
use crate::matching::duplicates::{self, Fingerprints};
use crate::matching::search::{Found, Scope, SearchIndex};
use crate::matching::{EmbedEvent, EmbedOptions, catalog_cover_file, embed::embed_missing};
use crate::ui::background::give_way_to_the_window;
use crate::ui::collection_file::{Connection, OpenCollection};
use crate::ui::engine::{EngineEvent, SharedEngine};
use crate::ui::failure::{Failure, JobError, send};
use crate::ui::settings::SharedSettings;

/// Catalog covers shown beside the ranked comics.
pub const CATALOG_HITS: usize = 12;

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// A description, in words.
    Text(String),
    /// Covers like this owned comic's.
    Comic(i32),
}

#[derive(Debug)]
pub enum SearchInput {
    /// Rank for `query`; `generation` comes back with the results, to drop stale ones.
    Rank { query: Query, generation: u64 },
    /// Embeddings were added or changed: read the index again at the next query.
    Stale,
    /// Classify comic `comic_id` as catalog issue `id_comicbook_info`, journaled (undo with
    /// `vistazo undo` or the toast's Undo).
    Assign {
        comic_id: i32,
        id_comicbook_info: i32,
    },
    /// Take back the assignment of this comic.
    Unassign(i32),
    /// Find the comics owned more than once.
    FindDuplicates,
    /// Move a comic to Babelcomics4's trash (`true`) or take it out (`false`).
    Trash { comic_id: i32, in_trash: bool },
    /// The app switched to another collection.
    CollectionSwitched,
}

/// A catalog cover the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogHit {
    pub id_cover: i32,
    pub id_comicbook_info: i32,
    pub volume: String,
    pub number: String,
    pub score: f32,
    pub file: Option<PathBuf>,
}

#[derive(Debug)]
pub enum SearchOutput {
    Ranked {
        generation: u64,
        comics: HashMap<i32, f32>,
        catalog: Vec<CatalogHit>,
    },
    Assigned {
        comic_id: i32,
        /// `false`: the comic changed meanwhile, nothing was written.
        applied: bool,
    },
    Unassigned,
    /// The groups of comics that are the same issue, each a list of (comic id, what tells the
    /// copy from the others).
    Duplicates(Vec<Vec<(i32, String)>>),
    Trashed {
        comic_id: i32,
        in_trash: bool,
    },
    Failed {
        generation: u64,
        error: JobError,
    },
}

struct Loaded {
    model_id: String,
    index: SearchIndex,
    covers: HashMap<i32, CatalogCoverRow>,
    store: ThumbnailStore,
}

pub struct ContentSearch {
    /// The collection's settings, read when each job starts.
    settings: SharedSettings,
    lowered: bool,
    connection: Connection<Database>,
    engine: SharedEngine,
    loaded: Option<Loaded>,
    /// The owned covers' fingerprints read for the duplicates shelf so far.
    fingerprints: Fingerprints,
    /// Issues assigned from a search, as the core applies and takes them back.
    classifications: Classifications,
    /// Loading the model and reading the covers that have no embedding yet.
    progress: ProgressMonitor,
}

impl Worker for ContentSearch {
    type Init = (
        OpenCollection,
        SharedSettings,
        SharedEngine,
        ProgressMonitor,
    );
    type Input = SearchInput;
    type Output = SearchOutput;

    fn init(
        (collection, settings, engine, progress): Self::Init,
        _sender: ComponentSender<Self>,
    ) -> Self {
        Self {
            classifications: Classifications::new(settings.current().write_comicinfo),
            settings,
            lowered: false,
            connection: Connection::new(collection),
            engine,
            loaded: None,
            fingerprints: Fingerprints::default(),
            progress,
        }
    }

    fn update(&mut self, message: SearchInput, sender: ComponentSender<Self>) {
        if !std::mem::replace(&mut self.lowered, true) {
            give_way_to_the_window();
        }
        match message {
            SearchInput::Rank { query, generation } => {
                let ranked = self.rank(&query);
                self.progress.finished();
                let reply = match ranked {
                    Ok((comics, catalog)) => SearchOutput::Ranked {
                        generation,
                        comics,
                        catalog,
                    },
                    Err(error) => SearchOutput::Failed { generation, error },
                };
                send(&sender, reply);
            }
            SearchInput::Stale => self.loaded = None,
            SearchInput::Assign {
                comic_id,
                id_comicbook_info,
            } => {
                let reply = match self.assign(comic_id, id_comicbook_info) {
                    Ok(applied) => SearchOutput::Assigned { comic_id, applied },
                    Err(error) => SearchOutput::Failed {
                        generation: 0,
                        error,
                    },
                };
                send(&sender, reply);
            }
            SearchInput::Unassign(comic_id) => {
                let reply = match self.unassign(comic_id) {
                    Ok(()) => SearchOutput::Unassigned,
                    Err(error) => SearchOutput::Failed {
                        generation: 0,
                        error,
                    },
                };
                send(&sender, reply);
            }
            SearchInput::FindDuplicates => {
                let reply = match self.duplicates() {
                    Ok(groups) => SearchOutput::Duplicates(groups),
                    Err(error) => SearchOutput::Failed {
                        generation: 0,
                        error,
                    },
                };
                send(&sender, reply);
            }
            SearchInput::Trash { comic_id, in_trash } => {
                let reply = match self.trash(comic_id, in_trash) {
                    Ok(_) => SearchOutput::Trashed { comic_id, in_trash },
                    Err(error) => SearchOutput::Failed {
                        generation: 0,
                        error,
                    },
                };
                send(&sender, reply);
            }
            SearchInput::CollectionSwitched => {
                self.loaded = None;
                self.connection.close_if_switched();
            }
        }
    }
}

impl ContentSearch {
    fn rank(&mut self, query: &Query) -> Result<(HashMap<i32, f32>, Vec<CatalogHit>), JobError> {
        let monitor = self.progress.clone();
        let mut on_event = |event: EngineEvent| event.report_into(&monitor);
        // The description's embedding, and the model's name, as work someone waits for.
        let text = match query {
            Query::Text(text) => Some(text.trim().to_owned()),
            Query::Comic(_) => None,
        };
        let (model_id, embedded) = self.engine.now(&mut on_event, |loaded| {
            let embedded = match &text {
                Some(text) => Some(
                    loaded
                        .engine
                        .embed_texts(&[text.as_str()])?
                        .pop()
                        .map(|text| text.embedding)
                        .unwrap_or_default(),
                ),
                None => None,
            };
            Ok((loaded.model_id.clone(), embedded))
        })?;
        if self
            .loaded
            .as_ref()
            .is_none_or(|loaded| loaded.model_id != model_id)
        {
            self.loaded = Some(self.load(&model_id, &mut on_event)?);
        }
        let Some(loaded) = &self.loaded else {
            return Ok((HashMap::new(), Vec::new()));
        };
        let query = match (query, embedded) {
            (Query::Text(_), Some(embedding)) => embedding,
            (Query::Comic(id), _) => loaded.index.comic_vector(*id).ok_or_else(|| {
                JobError::NotReady(Failure::from(gettext(
                    "This comic's cover cannot be read, so there is nothing to compare with.",
                )))
            })?,
            (Query::Text(_), None) => return Ok((HashMap::new(), Vec::new())),
        };
        let hits = loaded.index.search(&query, loaded.index.len(), -1.0)?;
        let mut comics = HashMap::new();
        let mut catalog = Vec::new();
        for hit in hits {
            match hit.found {
                Found::Comic { id_comicbook, .. } => {
                    comics.insert(id_comicbook, hit.score);
                }
                Found::Catalog {
                    id_cover,
                    id_comicbook_info,
                    volume,
                    number,
                } if catalog.len() < CATALOG_HITS => {
                    let file = loaded
                        .covers
                        .get(&id_cover)
                        .and_then(|row| catalog_cover_file(&loaded.store, row));
                    catalog.push(CatalogHit {
                        id_cover,
                        id_comicbook_info,
                        volume,
                        number,
                        score: hit.score,
                        file,
                    });
                }
                Found::Catalog { .. } => {}
            }
        }
        Ok((comics, catalog))
    }

    /// Reads the covers that have no embedding yet, then the index.
    fn load(
        &mut self,
        model_id: &str,
        on_event: &mut dyn FnMut(EngineEvent),
    ) -> Result<Loaded, JobError> {
        let Self {
            connection,
            settings,
            engine,
            progress,
            ..
        } = self;
        engine.job(on_event, |loaded| {
            let (database, store) = open(connection, settings)?;
            let options = EmbedOptions {
                covers: true,
                comics: true,
                classified_comics: true,
                ..EmbedOptions::default()
            };
            progress.started(None, gettext("Reading covers…"));
            let summary = embed_missing(
                database,
                &loaded.engine,
                &loaded.model_id,
                &store,
                &options,
                &CancelToken::new(),
                &mut |event| {
                    if let EmbedEvent::Progress(done) = event {
                        progress.reached(done.done, done.total);
                    }
                },
            )?;
            if summary.outcome == Outcome::Cancelled {
                tracing::debug!("reading the covers for the search stopped");
            }
            Ok(())
        })?;
        let (database, store) = open(connection, settings)?;
        let index = SearchIndex::load(database, model_id, Scope::Everything)?;
        let covers = database
            .catalog_covers()?
            .into_iter()
            .map(|row| (row.id_cover, row))
            .collect();
        Ok(Loaded {
            model_id: model_id.to_owned(),
            index,
            covers,
            store,
        })
    }

    /// The duplicates, with the stored embeddings of the model loaded now confirming a same
    /// cover when there is one (fingerprints alone otherwise: no model is loaded for this).
    fn duplicates(&mut self) -> Result<Vec<Vec<(i32, String)>>, JobError> {
        let model = self
            .engine
            .try_with(|loaded| Ok(loaded.model_id.clone()))
            .and_then(Result::ok)
            .or_else(|| self.loaded.as_ref().map(|loaded| loaded.model_id.clone()));
        let (database, store) = open(&mut self.connection, &self.settings)?;
        let groups =
            duplicates::find_with(database, &store, model.as_deref(), &mut self.fingerprints)?;
        Ok(groups
            .into_iter()
            .map(|group| {
                group
                    .comics
                    .into_iter()
                    .zip(group.paths.iter().map(|path| copy_note(path)))
                    .collect()
            })
            .collect())
    }

    /// The collection, with the decisions of another one forgotten and the ComicInfo.xml
    /// preference as it is now.
    fn collection(&mut self) -> Result<&mut Database, JobError> {
        if self.connection.close_if_switched() {
            self.classifications.forget();
        }
        self.classifications
            .set_write_comicinfo(self.settings.current().write_comicinfo);
        let (database, _) = open(&mut self.connection, &self.settings)?;
        Ok(database)
    }

    /// Applies the issue a person picked from a search, as every decision is applied: the
    /// journal, the edition choice and the ComicInfo.xml are the core's.
    fn assign(&mut self, comic_id: i32, id_comicbook_info: i32) -> Result<bool, JobError> {
        let model = self
            .loaded
            .as_ref()
            .map(|loaded| loaded.model_id.clone())
            .unwrap_or_default();
        self.collection()?;
        let (database, _) = open(&mut self.connection, &self.settings)?;
        let Some(comic) = database.owned_comic(comic_id)? else {
            return Ok(false);
        };
        let assignment = Assignment {
            comic_id,
            seen: comic.id_comicbook_info,
            id_comicbook_info,
            model,
        };
        // A search has no threshold: the person chose.
        let applied = self.classifications.assign(database, &assignment, 1.0)?;
        Ok(matches!(applied, Applied::Applied { .. }))
    }

    /// Moves a copy to the trash, or back, as every such decision is taken.
    fn trash(&mut self, comic_id: i32, in_trash: bool) -> Result<bool, JobError> {
        self.collection()?;
        let (database, _) = open(&mut self.connection, &self.settings)?;
        let changed = if in_trash {
            self.classifications.trash(database, comic_id)
        } else {
            self.classifications.untrash(database, comic_id)
        };
        Ok(changed?)
    }

    fn unassign(&mut self, comic_id: i32) -> Result<(), JobError> {
        self.collection()?;
        let (database, _) = open(&mut self.connection, &self.settings)?;
        self.classifications.undo_assignment(database, comic_id)?;
        Ok(())
    }
}

/// What tells a copy from the others on the duplicates shelf: "CBZ · 75.1 kB · 24 pages".
fn copy_note(path: &str) -> String {
    let path = Path::new(path);
    let format = path
        .extension()
        .map(|e| e.to_string_lossy().to_uppercase())
        .unwrap_or_else(|| gettext("Folder"));
    let mut parts = vec![format];
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.is_file()
    {
        parts.push(glib::format_size(metadata.len()).to_string());
    }
    let pages = ComicArchive::open(path)
        .and_then(|archive| archive.entries())
        .map(|entries| cover::pages(&entries).len())
        .unwrap_or(0);
    if pages > 0 {
        let count = u32::try_from(pages).unwrap_or(u32::MAX);
        parts.push(fill(
            &ngettext("{pages} page", "{pages} pages", count),
            &[("pages", &pages)],
        ));
    }
    // Lines break between the parts, never inside one ("2 pages").
    parts
        .iter()
        .map(|part| part.replace(' ', "\u{a0}"))
        .collect::<Vec<_>>()
        .join(" · ")
}
