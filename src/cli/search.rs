//! `vistazo search TEXT…` and `vistazo similar IMAGE-OR-COMIC…`: covers of the collection and of
//! the catalog ranked by how close their CLIP embedding is to a description's or an example's.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use image::RgbImage;
use serde_json::json;

use super::classify::{embed_with_model, open, progress_bar};
use super::{GlobalOptions, UsageError, cancel_on_interrupt};
use crate::clip::ModelFiles;
use crate::clip::engine::Engine;
use crate::db::Database;
use crate::i18n::{fill, gettext};
use crate::imaging::{self, DecodeLimits, ImageLoadError};
use crate::library::{self, ThumbnailStore, format};
use crate::matching::embed::EmbedOptions;
use crate::matching::search::{Found, Hit, Scope, SearchIndex, mean_direction};

/// Where to search and how many covers to print.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    #[arg(long, conflicts_with = "collection", help = gettext("Search the catalog's covers only"))]
    catalog: bool,
    #[arg(long, help = gettext("Search the covers of the owned comics only"))]
    collection: bool,
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..), help = gettext("Print at most N covers"))]
    limit: u32,
    #[arg(long, help = gettext("Print a JSON array, best first"))]
    json: bool,
    #[arg(long, help = gettext("Read again the comics that could not be read before, even when their file has not changed"))]
    retry: bool,
}

impl ScopeArgs {
    fn limit(&self) -> usize {
        self.limit as usize
    }

    fn scope(&self) -> Scope {
        if self.catalog {
            Scope::Catalog
        } else if self.collection {
            Scope::Collection
        } else {
            Scope::Everything
        }
    }
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[arg(value_name = "TEXT", help = gettext("What the cover shows, in words (English works best)"))]
    words: Vec<String>,
    #[arg(long, value_name = "S", default_value_t = -1.0, allow_negative_numbers = true, value_parser = cosine, help = gettext("Leave out covers less similar than S (a cosine, -1 to 1)"))]
    min_score: f32,
    #[command(flatten)]
    scope: ScopeArgs,
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    #[arg(value_name = "IMAGE-OR-COMIC", help = gettext("Picture files or comic files (their cover) to look like"))]
    examples: Vec<PathBuf>,
    #[arg(long, value_name = "ID", help = gettext("An owned comic, by id, to look like"))]
    comic: Vec<i32>,
    #[command(flatten)]
    scope: ScopeArgs,
}

/// `vistazo search TEXT…`.
pub fn search(global: &GlobalOptions, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let text = args.words.join(" ");
    if text.trim().is_empty() {
        return Err(UsageError(gettext(
            "say what the covers show, for example: vistazo search a giant robot in a city",
        ))
        .into());
    }
    let (mut database, store) = open(global)?;
    let files = global.locate_model()?;
    let index = prepared_index(global, &files, &mut database, &store, &args.scope)?;
    let engine = global.load_engine_from(&files, 1)?;
    let query = engine
        .embed_texts(&[text.trim()])?
        .pop()
        .map(|text| text.embedding)
        .ok_or_else(|| anyhow::anyhow!(gettext("the model gave no embedding for the text")))?;
    let hits = index.search(&query, args.scope.limit(), args.min_score)?;
    print(&hits, args.scope.json)
}

/// `vistazo similar IMAGE-OR-COMIC… [--comic ID]`.
pub fn similar(global: &GlobalOptions, args: &SimilarArgs) -> anyhow::Result<ExitCode> {
    if args.examples.is_empty() && args.comic.is_empty() {
        return Err(UsageError(gettext(
            "name a picture or a comic file to look like, or an owned comic with --comic ID",
        ))
        .into());
    }
    if let Some(path) = args.examples.iter().find(|path| !path.exists()) {
        return Err(UsageError(fill(
            &gettext(
                "there is no file {path}: name a picture or a comic file, or an owned comic with --comic ID",
            ),
            &[("path", &path.display())],
        ))
        .into());
    }
    let (mut database, store) = open(global)?;
    let files = global.locate_model()?;
    let comic_ids = distinct(&args.comic);
    // The example files first: one that cannot be used stops the command before the
    // collection's missing embeddings are computed.
    let mut examples: Vec<Vec<f32>> = Vec::new();
    if !args.examples.is_empty() {
        let engine = global.load_engine_from(&files, EXAMPLE_BATCH)?;
        examples = embed_examples(&engine, &distinct_files(&args.examples))?;
    }
    let scope = args.scope.scope();
    let index = prepared_index(global, &files, &mut database, &store, &args.scope)?;
    // A cover cut short is grey in part: covers like that grey would be found. The index's
    // preparation has read the covers not read before.
    let truncated = database.truncated_covers()?;
    if let Some((id, entry)) = comic_ids
        .iter()
        .find_map(|id| Some((id, truncated.get(id)?)))
    {
        anyhow::bail!(fill(
            &gettext(
                "the cover of comic {id} ({entry}) is a truncated image, grey where its file ends; covers like that grey would be found, so choose another example"
            ),
            &[("id", id), ("entry", entry)]
        ));
    }
    if !comic_ids.is_empty() {
        // The owned comics' own embeddings, wherever the search looks.
        let comics = if scope.collection() {
            None
        } else {
            Some(SearchIndex::load(
                &mut database,
                &files.model_id(),
                Scope::Collection,
            )?)
        };
        for &id in &comic_ids {
            let vector = comics
                .as_ref()
                .unwrap_or(&index)
                .comic_vector(id)
                .ok_or_else(|| {
                    anyhow::anyhow!(fill(
                        &gettext(
                            "no comic with id {id} in the collection, or its cover cannot be read"
                        ),
                        &[("id", &id)]
                    ))
                })?;
            examples.push(vector);
        }
    }
    let query = mean_direction(&examples)
        .ok_or_else(|| anyhow::anyhow!(gettext("the examples gave no embedding")))?;
    // The comics given as examples are not results.
    let hits: Vec<Hit> = index
        .search(&query, args.scope.limit() + comic_ids.len(), -1.0)?
        .into_iter()
        .filter(|hit| {
            !matches!(hit.found, Found::Comic { id_comicbook, .. } if args.comic.contains(&id_comicbook))
        })
        .take(args.scope.limit())
        .collect();
    print(&hits, args.scope.json)
}

/// A cosine similarity: a number from -1 to 1.
fn cosine(value: &str) -> Result<f32, String> {
    match value.trim().parse::<f32>() {
        Ok(number) if (-1.0..=1.0).contains(&number) => Ok(number),
        _ => Err(gettext("expected a number between -1 and 1")),
    }
}

/// The index of the scope `args` asks for, for the model in `files`, after computing the
/// embeddings it lacks.
fn prepared_index(
    global: &GlobalOptions,
    files: &ModelFiles,
    database: &mut Database,
    store: &ThumbnailStore,
    args: &ScopeArgs,
) -> anyhow::Result<SearchIndex> {
    let scope = args.scope();
    let options = EmbedOptions {
        covers: scope.catalog(),
        comics: scope.collection(),
        classified_comics: true,
        retry: args.retry,
        ..EmbedOptions::default()
    };
    let cancel = cancel_on_interrupt(gettext(
        "Stopping after the pictures being embedded… Press Ctrl+C again to quit at once.",
    ));
    let summary = embed_with_model(global, files, database, store, &options, &cancel)?;
    if summary.outcome == crate::jobs::Outcome::Cancelled {
        anyhow::bail!(gettext(
            "cancelled while computing the missing embeddings; the ones computed are saved"
        ));
    }
    let index = SearchIndex::load(database, &files.model_id(), scope)?;
    if index.is_empty() {
        anyhow::bail!(match scope {
            Scope::Catalog => gettext(
                "the catalog has no covers to search: add volumes with vistazo catalog add-volume"
            ),
            Scope::Collection => gettext(
                "the collection has no comic covers to search: add comics with vistazo scan FOLDER"
            ),
            Scope::Everything => gettext(
                "there are no covers to search: add comics with vistazo scan FOLDER and volumes with vistazo catalog add-volume"
            ),
        });
    }
    Ok(index)
}

/// Pictures decoded and embedded at once when the examples are files.
const EXAMPLE_BATCH: usize = 16;

/// `items` without repeats, in the order first given.
fn distinct<T: Clone + Eq + std::hash::Hash>(items: &[T]) -> Vec<T> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter(|item| seen.insert((*item).clone()))
        .cloned()
        .collect()
}

/// The example files, each once: a file named twice, or by two paths (a link, `./`), is one
/// example, so that it weighs as much as any other.
fn distinct_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    paths
        .iter()
        .filter(|path| {
            seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
        })
        .cloned()
        .collect()
}

/// The embeddings of picture files and comic files (their cover page), decoded on the
/// engine's helper threads and embedded in batches, with a progress bar on stderr. An example
/// that cannot be read, or whose picture is a truncated image, is refused: a search by it would
/// find covers like its grey part.
fn embed_examples(engine: &Engine, paths: &[PathBuf]) -> anyhow::Result<Vec<Vec<f32>>> {
    let limits = DecodeLimits::default();
    let load = |index: usize| -> Result<(RgbImage, PathBuf), ImageLoadError> {
        let path = &paths[index];
        Ok((read_example(path, &limits)?, path.clone()))
    };
    let cancel = cancel_on_interrupt(gettext(
        "Stopping after the pictures being embedded… Press Ctrl+C again to quit at once.",
    ));
    let bar = progress_bar();
    bar.set_length(paths.len() as u64);
    let mut embeddings: Vec<Option<Vec<f32>>> = vec![None; paths.len()];
    let mut failure = None;
    let embedded = engine.embed_with(
        paths.len(),
        &load,
        &cancel,
        &mut |result| match result.result {
            Ok(vector) => embeddings[result.index] = Some(vector),
            Err(error) => {
                // The first reason is told; the others would not change the answer.
                if failure.is_none() {
                    failure = Some(error);
                    cancel.cancel();
                }
            }
        },
        &mut |progress| bar.set_position(progress.done),
    );
    bar.finish_and_clear();
    embedded?;
    if let Some(failure) = failure {
        return Err(failure.into());
    }
    if cancel.is_cancelled() {
        anyhow::bail!(gettext("cancelled while reading the examples"));
    }
    Ok(embeddings.into_iter().flatten().collect())
}

/// A picture file, or a comic file's cover page; refused when it is a truncated image.
fn read_example(path: &Path, limits: &DecodeLimits) -> Result<RgbImage, ImageLoadError> {
    if format::detect(path).is_err() {
        return imaging::load(path, limits)?.whole(path);
    }
    let cover = library::read_cover(path).map_err(|error| ImageLoadError::Open {
        path: path.to_owned(),
        source: std::io::Error::other(error.to_string()),
    })?;
    if cover.truncated {
        // Named with its page, as the other commands name a truncated cover.
        let mut named = path.as_os_str().to_owned();
        named.push(format!(" ({})", cover.entry));
        return Err(ImageLoadError::Truncated {
            path: PathBuf::from(named),
        });
    }
    Ok(cover.image.into_rgb8())
}

fn print(hits: &[Hit], as_json: bool) -> anyhow::Result<ExitCode> {
    if as_json {
        let items: Vec<serde_json::Value> = hits
            .iter()
            .map(|hit| match &hit.found {
                Found::Comic { id_comicbook, path } => json!({
                    "kind": "comic",
                    "score": hit.score,
                    "id_comicbook": id_comicbook,
                    "path": path,
                }),
                Found::Catalog {
                    id_cover,
                    id_comicbook_info,
                    volume,
                    number,
                } => json!({
                    "kind": "catalog",
                    "score": hit.score,
                    "id_cover": id_cover,
                    "id_comicbook_info": id_comicbook_info,
                    "volume": volume,
                    "number": number,
                }),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        println!("{}", gettext("No cover is that similar."));
    }
    for hit in hits {
        let what = match &hit.found {
            Found::Comic { path, .. } => path.clone(),
            Found::Catalog {
                volume,
                number,
                id_cover,
                ..
            } => fill(
                &gettext("{volume} #{number} (catalog cover {cover})"),
                &[("volume", volume), ("number", number), ("cover", id_cover)],
            ),
        };
        println!("{:.3}  {what}", hit.score);
    }
    Ok(ExitCode::SUCCESS)
}

/// `vistazo bench search`: builds an index of `covers` random unit vectors of CLIP ViT-B/32's
/// size and times `queries` searches of the best 50, as a window's search does each time the
/// user types.
pub fn bench(covers: usize, queries: usize) -> anyhow::Result<()> {
    const DIMS: usize = 512;
    let mut rng = crate::random::SplitMix64::new(17);
    let mut unit = || -> Vec<f32> {
        let vector: Vec<f32> = (0..DIMS).map(|_| rng.normal() as f32).collect();
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        vector.iter().map(|v| v / norm).collect()
    };
    let started = std::time::Instant::now();
    let index = SearchIndex::from_entries((0..covers).map(|at| {
        (
            Found::Comic {
                id_comicbook: at as i32,
                path: String::new(),
            },
            unit(),
        )
    }));
    let built = started.elapsed();
    let mut times: Vec<f64> = Vec::with_capacity(queries);
    for _ in 0..queries.max(1) {
        let query = unit();
        let started = std::time::Instant::now();
        let hits = index.search(&query, 50, -1.0)?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(hits);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{}",
        fill(
            &gettext("Index of {count} covers built in {seconds} s"),
            &[
                ("count", &index.len()),
                ("seconds", &format!("{:.1}", built.as_secs_f64()))
            ]
        )
    );
    println!(
        "{}",
        fill(
            &gettext(
                "Search: median {median} ms, fastest {fastest} ms, slowest {slowest} ms over {count} queries"
            ),
            &[
                ("median", &format!("{:.1}", times[times.len() / 2])),
                ("fastest", &format!("{:.1}", times[0])),
                ("slowest", &format!("{:.1}", times[times.len() - 1])),
                ("count", &times.len())
            ]
        )
    );
    Ok(())
}
