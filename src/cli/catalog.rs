//! `vistazo catalog search|add-volume|set-key`: renders [`catalog`] in a terminal. Results and
//! summaries go to stdout, a progress bar to stderr when it is a terminal. The API key is read
//! from the environment or the database, never from the command line (it would stay in the
//! shell's history), and is never printed.
//!
//! Exit status: 0 when the command ran (even if some covers were skipped), 1 when it could
//! not or was cancelled (Ctrl+C; the work saved stays).

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::classify::embed_with_model;
use super::{CANCELLED, GlobalOptions, UsageError, cancel_on_interrupt, plural};
use crate::catalog::missing::{self, AddMissingEvent};
use crate::catalog::{self, ApiKey, CatalogEvent, ComicVine, ComicVineOptions};
use crate::clip::weights;
use crate::db;
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::{CancelToken, Outcome};
use crate::library::{ThumbnailStore, thumbnails};
use crate::matching::embed::EmbedOptions;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    #[command(about = gettext("Search ComicVine for volumes by name"))]
    Search {
        #[arg(required = true, value_name = "NAME", help = gettext("Words of the volume name"))]
        name: Vec<String>,
        #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help = gettext("Page of results, from 1"))]
        page: u32,
        #[arg(long, help = gettext("Print one JSON object per volume"))]
        json: bool,
    },
    #[command(about = gettext("Add a ComicVine volume with all its issues and covers to the catalog"))]
    AddVolume {
        #[arg(value_name = "CV_ID", value_parser = volume_id, help = gettext("The ComicVine id of the volume (the number after 4050- in its address)"))]
        id: i32,
        #[arg(long, help = gettext("Leave the new covers to be read for matching by the next embed or classify"))]
        no_embed: bool,
        #[arg(long, help = gettext("Print the counts and the covers left out as one JSON object"))]
        json: bool,
    },
    #[command(about = gettext("List the volumes the catalog lacks, from the unclassified comics' names and tags"))]
    Missing {
        #[arg(long, help = gettext("Print an array with one JSON object per volume"))]
        json: bool,
    },
    #[command(about = gettext("Add the ComicVine volume that fits each group of comics the catalog lacks, then classify those comics again"))]
    AddMissing {
        #[arg(long, value_name = "N", help = gettext("Add at most N volumes, the largest groups first"))]
        max: Option<usize>,
    },
    #[command(about = gettext("Store the ComicVine API key, read from standard input, in the database"))]
    SetKey,
}

pub fn run(global: &GlobalOptions, command: CatalogCommand) -> anyhow::Result<ExitCode> {
    if let CatalogCommand::Search { name, .. } = &command
        && name.join(" ").trim().is_empty()
    {
        return Err(UsageError(gettext(
            "say which volume to look for, for example: vistazo catalog search saga",
        ))
        .into());
    }
    let mut database = match command {
        CatalogCommand::Search { .. } | CatalogCommand::Missing { .. } => {
            global.open_collection()?
        }
        CatalogCommand::AddVolume { .. }
        | CatalogCommand::AddMissing { .. }
        | CatalogCommand::SetKey => global.open_or_start_collection()?,
    };
    match command {
        CatalogCommand::Search { name, page, json } => {
            let query = name.join(" ");
            let client = ComicVine::new(catalog::api_key(&mut database)?, options())?;
            search(&client, query.trim(), page, json)
        }
        CatalogCommand::AddVolume { id, no_embed, json } => {
            let key = catalog::api_key(&mut database)?;
            let base = thumbnails::resolve_base(global.thumbnails.as_deref(), &mut database)?;
            let store = ThumbnailStore::new(base);
            let cancel = cancel_on_interrupt(gettext(
                "Stopping after the cover being saved… Press Ctrl+C again to quit at once.",
            ));
            let mut report = AddVolumeReport {
                json,
                ..AddVolumeReport::default()
            };
            let client = ComicVine::new(key, options())?.with_cancel(cancel.clone());
            let summary = add_volume(&mut database, &client, &store, id, &cancel, &mut report)?;
            let code = if summary.outcome == Outcome::Cancelled {
                ExitCode::from(CANCELLED)
            } else if no_embed || cancel.is_cancelled() {
                ExitCode::SUCCESS
            } else {
                embed_new_covers(global, &mut database, &store, &cancel, &mut report)?
            };
            if json {
                println!("{}", report.to_json(&summary));
            }
            Ok(code)
        }
        CatalogCommand::Missing { json } => {
            let groups = missing::missing_volumes(&mut database)?;
            if json {
                println!("{}", serde_json::to_string(&groups)?);
            } else {
                for group in &groups {
                    let name = match group.year {
                        Some(year) => format!("{} ({year})", group.series),
                        None => group.series.clone(),
                    };
                    println!(
                        "{}",
                        fill(
                            &ngettext(
                                "{name}: {count} comic; search with vistazo catalog search \"{query}\"",
                                "{name}: {count} comics; search with vistazo catalog search \"{query}\"",
                                u32::try_from(group.comics.len()).unwrap_or(u32::MAX),
                            ),
                            &[
                                ("name", &name),
                                ("count", &group.comics.len()),
                                ("query", &group.query),
                            ]
                        )
                    );
                }
                if groups.is_empty() {
                    println!(
                        "{}",
                        gettext("Every unclassified comic names a volume the catalog has.")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::AddMissing { max } => add_missing(global, database, max),
        CatalogCommand::SetKey => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let key = ApiKey::new(line).ok_or_else(|| {
                super::UsageError(gettext(
                    "no key on standard input: run echo your-key | vistazo catalog set-key",
                ))
            })?;
            catalog::store_api_key(&mut database, &key)?;
            println!(
                "{}",
                gettext("The ComicVine API key is stored in the system keyring.")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `vistazo catalog add-missing`: for each group of comics whose volume the catalog lacks,
/// the ComicVine volume that fits them is added with its covers; then those comics are
/// classified again. ComicVine's pace is kept; a stopped run goes on where it was
/// ([`missing::add_missing`] records what it did).
fn add_missing(
    global: &GlobalOptions,
    mut database: db::Database,
    max: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let mut groups = missing::groups_to_add(&mut database)?;
    if let Some(max) = max {
        groups.truncate(max);
    }
    let waiting = missing::AddMissingRun::load(&mut database)?.waiting;
    if groups.is_empty() && waiting.is_empty() {
        println!(
            "{}",
            gettext("Every unclassified comic names a volume the catalog has.")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let base = thumbnails::resolve_base(global.thumbnails.as_deref(), &mut database)?;
    let store = ThumbnailStore::new(base);
    let cancel = cancel_on_interrupt(gettext(
        "Stopping after the cover being saved… Press Ctrl+C again to quit at once.",
    ));
    let mut report = AddVolumeReport::default();
    // One client for every request, so that ComicVine's pace holds across them.
    let client =
        ComicVine::new(catalog::api_key(&mut database)?, options())?.with_cancel(cancel.clone());
    let mut bar: Option<ProgressBar> = None;
    let summary = missing::add_missing(
        &mut database,
        &client,
        &store,
        &groups,
        &cancel,
        &mut |event| match event {
            AddMissingEvent::NoFit { group } => println!(
                "{}",
                fill(
                    &gettext(
                        "No ComicVine volume fits {series}: search for it with vistazo catalog search"
                    ),
                    &[("series", &group.series)]
                )
            ),
            AddMissingEvent::Adding { group, volume } => {
                println!(
                    "{}",
                    fill(
                        &gettext("{series}: adding {name} ({id})"),
                        &[
                            ("series", &group.series),
                            ("name", &volume.name),
                            ("id", &volume.id)
                        ]
                    )
                );
                bar = Some(cover_bar());
            }
            AddMissingEvent::Import(event) => {
                if let Some(bar) = &bar {
                    report.note(&event);
                    render(bar, event, false);
                }
            }
            AddMissingEvent::Added(added) => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
                print_summary(added);
            }
            AddMissingEvent::Searching { .. } | AddMissingEvent::Skipped { .. } => {}
        },
    );
    if let Some(bar) = bar.take() {
        bar.finish_and_clear();
    }
    let summary = summary?;
    if summary.outcome == Outcome::Cancelled {
        return Ok(ExitCode::from(CANCELLED));
    }
    if summary.waiting.is_empty() {
        missing::classified_again(&mut database)?;
        return Ok(ExitCode::SUCCESS);
    }
    let code = embed_new_covers(global, &mut database, &store, &cancel, &mut report)?;
    if code != ExitCode::SUCCESS || report.covers_read.is_none() {
        return Ok(code);
    }
    drop(database);
    let comics = summary.waiting.into_iter().collect();
    let code = super::classify::classify(global, &super::classify::ClassifyArgs::these(comics))?;
    if code == ExitCode::SUCCESS {
        missing::classified_again(&mut global.open_collection()?)?;
    }
    Ok(code)
}

fn options() -> ComicVineOptions {
    ComicVineOptions::from_env()
}

/// A volume id as a number, or as ComicVine writes it in addresses (`4050-12345`).
fn volume_id(value: &str) -> Result<i32, String> {
    let value = value.trim();
    let number = value.strip_prefix("4050-").unwrap_or(value);
    match number.parse::<i32>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(gettext(
            "expected a ComicVine volume id such as 4050-12345 or 12345",
        )),
    }
}

fn search(client: &ComicVine, query: &str, page: u32, json: bool) -> anyhow::Result<ExitCode> {
    let results = client.search_volumes(query, page)?;
    for volume in &results.results {
        if json {
            println!("{}", serde_json::to_string(volume)?);
            continue;
        }
        let year = volume
            .start_year
            .map_or_else(|| "?".to_owned(), |y| y.to_string());
        let publisher = volume
            .publisher
            .as_ref()
            .map_or_else(|| gettext("unknown publisher"), |p| p.name.clone());
        let n = u64::try_from(volume.count_of_issues).unwrap_or(0);
        let issues = fill(
            &ngettext("{count} issue", "{count} issues", plural(n)),
            &[("count", &n)],
        );
        println!(
            "{}",
            fill(
                // Translators: id, name, start year, publisher, issue count; keep the tab.
                &gettext("{id}\t{name} ({year}), {publisher}, {issues}"),
                &[
                    ("id", &volume.id),
                    ("name", &volume.name),
                    ("year", &year),
                    ("publisher", &publisher),
                    ("issues", &issues)
                ]
            )
        );
    }
    if results.results.is_empty() && !json {
        println!(
            "{}",
            fill(
                &gettext("No volumes match “{query}”."),
                &[("query", &crate::i18n::echoed(query))]
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What `add-volume --json` prints besides the summary's counts; in that mode the text
/// results are held back so that stdout is the one object.
#[derive(Default)]
struct AddVolumeReport {
    json: bool,
    covers_skipped: Vec<serde_json::Value>,
    /// New covers read for matching; `None` when left for later.
    covers_read: Option<u64>,
}

impl AddVolumeReport {
    /// Keeps a cover left out, for the JSON summary.
    fn note(&mut self, event: &CatalogEvent) {
        if let CatalogEvent::CoverSkipped {
            id_comicbook_info,
            error,
        } = event
        {
            self.covers_skipped.push(serde_json::json!({
                "id_comicbook_info": id_comicbook_info,
                "reason": one_line(error),
            }));
        }
    }

    fn to_json(&self, summary: &catalog::AddVolumeSummary) -> serde_json::Value {
        serde_json::json!({
            "volume": { "id": summary.id_volume, "name": summary.name },
            "issues_added": summary.issues_added,
            "issues_known": summary.issues_known,
            "covers_downloaded": summary.covers_downloaded,
            "covers_present": summary.covers_present,
            "covers_skipped": self.covers_skipped,
            "covers_read": self.covers_read,
            "cancelled": summary.outcome == Outcome::Cancelled,
        })
    }
}

/// Adds volume `id` through `client`, whose pace every request of the command keeps.
fn add_volume(
    database: &mut db::Database,
    client: &ComicVine,
    store: &ThumbnailStore,
    id: i32,
    cancel: &CancelToken,
    report: &mut AddVolumeReport,
) -> anyhow::Result<catalog::AddVolumeSummary> {
    let bar = cover_bar();
    let summary = catalog::add_volume(database, client, store, id, cancel, &mut |event| {
        report.note(&event);
        render(&bar, event, report.json)
    });
    bar.finish_and_clear();
    let summary = summary?;
    if !report.json {
        print_summary(&summary);
    }
    Ok(summary)
}

/// The progress bar of the covers of a volume being added, on stderr.
fn cover_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        // Translators: keep the words in braces as they are; the progress bar fills them in.
        ProgressStyle::with_template(&gettext(
            "{spinner} {wide_bar} {pos}/{len} covers · {per_sec} · {eta} left {msg}",
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Reads the catalog covers that have no embedding yet, so that the next classification
/// starts at once: with `--model`, or the model already downloaded; without one, says when
/// they will be read instead of downloading it now.
fn embed_new_covers(
    global: &GlobalOptions,
    database: &mut db::Database,
    store: &ThumbnailStore,
    cancel: &CancelToken,
    report: &mut AddVolumeReport,
) -> anyhow::Result<ExitCode> {
    let files = match weights::locate(global.model.as_deref(), false, &mut |_| {}) {
        Ok(files) => files,
        Err(error) if global.model.is_some() => return Err(error.into()),
        Err(error) => {
            tracing::debug!("no model to read the new covers with now: {error}");
            if report.json {
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{}",
                gettext(
                    "The new covers will be read for matching by the next vistazo embed or vistazo classify, once the model is downloaded."
                )
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    let options = EmbedOptions {
        covers: true,
        comics: false,
        ..EmbedOptions::default()
    };
    let summary = embed_with_model(global, &files, database, store, &options, cancel)?;
    report.covers_read = Some(summary.computed);
    if report.json {
        return Ok(match summary.outcome {
            Outcome::Finished => ExitCode::SUCCESS,
            Outcome::Cancelled => ExitCode::from(CANCELLED),
        });
    }
    let n = summary.computed;
    println!(
        "{}",
        fill(
            &ngettext(
                "Read {count} new cover for matching.",
                "Read {count} new covers for matching.",
                plural(n),
            ),
            &[("count", &n)],
        )
    );
    Ok(match summary.outcome {
        Outcome::Finished => ExitCode::SUCCESS,
        Outcome::Cancelled => {
            println!(
                "{}",
                gettext("Cancelled. The embeddings computed so far are saved; run again to go on.")
            );
            ExitCode::from(CANCELLED)
        }
    })
}

/// Shows the import's progress on `bar`, the volume on stdout (unless `json`), and each cover
/// left out on stderr.
fn render(bar: &ProgressBar, event: CatalogEvent, json: bool) {
    match event {
        CatalogEvent::Volume { .. } if json => {}
        CatalogEvent::Volume { id, name, .. } => bar.suspend(|| {
            println!(
                "{}",
                fill(
                    &gettext("Volume {id}: {name}"),
                    &[("id", &id), ("name", &name)]
                )
            );
        }),
        CatalogEvent::IssuesListed { listed, total } => {
            bar.set_message(fill(
                &gettext("Issues listed: {listed} of {total}"),
                &[("listed", &listed), ("total", &total)],
            ));
        }
        CatalogEvent::Downloading { total } => {
            bar.set_message("");
            bar.set_length(total);
        }
        CatalogEvent::Progress(progress) => bar.set_position(progress.done),
        CatalogEvent::CoverSkipped {
            id_comicbook_info,
            error,
        } => bar.suspend(|| {
            eprintln!(
                "{}",
                fill(
                    &gettext("Skipped a cover of issue {issue}: {error}"),
                    &[("issue", &id_comicbook_info), ("error", &one_line(&error))]
                )
            );
        }),
    }
}

/// An error's text on one line: a decoder's message may end in a line break.
fn one_line(error: &catalog::CatalogError) -> String {
    error.to_string().trim_end().replace('\n', " ")
}

fn print_summary(summary: &catalog::AddVolumeSummary) {
    // ngettext is called with literals at each line so that xgettext finds both forms.
    let line = |template: String, n: u64| println!("{}", fill(&template, &[("count", &n)]));
    if summary.outcome == Outcome::Cancelled {
        println!(
            "{}",
            gettext("Import cancelled. What was saved stays; run the command again to go on.")
        );
    }
    let n = summary.issues_added;
    line(
        ngettext("Added {count} issue.", "Added {count} issues.", plural(n)),
        n,
    );
    let n = summary.issues_known;
    line(
        ngettext(
            "{count} issue was already in the catalog.",
            "{count} issues were already in the catalog.",
            plural(n),
        ),
        n,
    );
    let n = summary.covers_downloaded;
    line(
        ngettext(
            "Downloaded {count} cover.",
            "Downloaded {count} covers.",
            plural(n),
        ),
        n,
    );
    let n = summary.covers_present;
    line(
        ngettext(
            "{count} cover was already on disk.",
            "{count} covers were already on disk.",
            plural(n),
        ),
        n,
    );
    let n = summary.covers_failed;
    line(
        ngettext(
            "Skipped {count} cover that could not be saved.",
            "Skipped {count} covers that could not be saved.",
            plural(n),
        ),
        n,
    );
}

#[cfg(test)]
mod tests {
    use super::volume_id;

    #[test]
    fn volume_ids_are_read_bare_or_as_in_addresses() {
        assert_eq!(volume_id("4050-796"), Ok(796));
        assert_eq!(volume_id(" 796 "), Ok(796));
        assert!(volume_id("abc").is_err());
        assert!(volume_id("0").is_err());
    }
}
