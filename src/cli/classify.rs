//! `vistazo embed`, `vistazo classify` and `vistazo undo`: the comics pipeline in a terminal.
//! Glue only: a progress bar on stderr when it is a terminal, one line per picture that could
//! not be read, results on stdout (one JSON object per comic with `--json`). The work happens
//! in [`crate::matching`].
//!
//! Exit status: 0 when the job ran, 1 when it could not or was cancelled (what was saved stays).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{CANCELLED, GlobalOptions, cancel_on_interrupt, plural, truncated_cover_warning};
use crate::clip::ModelFiles;
use crate::db::Database;
use crate::db::embeddings::Subject;
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::{CancelToken, Outcome};
use crate::library::{ThumbnailStore, thumbnails};
use crate::matching::{
    self, ClassifyEvent, ClassifyOptions, ComicMatch, EditionChoice, EmbedEvent, EmbedOptions,
    TagEvent, TagOutcome, Threshold, UndoTarget,
};

/// Images per forward pass for the pipeline's embedding jobs.
const BATCH: usize = 16;

#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[arg(long, help = gettext("Embed the catalog covers (both kinds when neither is given)"))]
    covers: bool,
    #[arg(long, help = gettext("Embed the covers of the comics to classify (both kinds when neither is given)"))]
    comics: bool,
    #[arg(long, value_name = "N", help = gettext("Compute at most N embeddings"))]
    max: Option<usize>,
    #[arg(long, help = gettext("Read again the comics that could not be read before, even when their file has not changed"))]
    retry: bool,
    #[arg(long, help = gettext("Print the counts and the pictures left out as one JSON object"))]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    #[arg(long, value_name = "F", default_value_t = Threshold::default(), value_parser = Threshold::parse, help = gettext("Lowest score a match needs to be applied (0.5 to 0.99)"))]
    threshold: Threshold,
    #[arg(long, help = gettext("Apply the matches above the threshold that are clearly ahead of the next one"))]
    auto_apply: bool,
    #[arg(long, value_name = "N", help = gettext("Look at most at N comics"))]
    max: Option<usize>,
    #[arg(long, help = gettext("Print one JSON object per comic"))]
    json: bool,
    #[arg(long, help = gettext("Look at comics that are already classified too"))]
    reclassify: bool,
    #[arg(long, requires = "auto_apply", help = gettext("Write the issue applied into each CBZ file as a ComicInfo.xml"))]
    write_comicinfo: bool,
    /// Only these comics, by id: those of volumes just added (`catalog add-missing`).
    #[arg(skip)]
    only: Option<std::collections::HashSet<i32>>,
}

impl ClassifyArgs {
    /// Classifying `comics` again, applying the clear matches at the default threshold.
    pub fn these(comics: std::collections::HashSet<i32>) -> Self {
        Self {
            threshold: Threshold::default(),
            auto_apply: true,
            max: None,
            json: false,
            reclassify: false,
            write_comicinfo: false,
            only: Some(comics),
        }
    }
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    #[arg(long, conflicts_with = "run", help = gettext("Undo the latest run that applied classifications (the default)"))]
    last: bool,
    #[arg(long, value_name = "ID", help = gettext("Undo the run with this number"))]
    run: Option<i64>,
    #[arg(long, help = gettext("Print what was restored as one JSON object"))]
    json: bool,
}

pub(super) fn open(global: &GlobalOptions) -> anyhow::Result<(Database, ThumbnailStore)> {
    let mut database = global.open_collection()?;
    let base = thumbnails::resolve_base(global.thumbnails.as_deref(), &mut database)?;
    Ok((database, ThumbnailStore::new(base)))
}

pub(super) fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        // Translators: keep the words in braces as they are; the progress bar fills them in.
        ProgressStyle::with_template(&gettext(
            "{spinner} {wide_bar} {pos}/{len} · {per_sec} · {eta} left",
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs the embedding job with a progress bar; prints nothing else but skipped pictures.
fn run_embedding(
    global: &GlobalOptions,
    database: &mut Database,
    store: &ThumbnailStore,
    options: &EmbedOptions,
    cancel: &CancelToken,
    observe: &mut dyn FnMut(&EmbedEvent),
) -> anyhow::Result<matching::EmbedSummary> {
    let files = global.locate_model()?;
    embed_observed(global, &files, database, store, options, cancel, observe)
}

/// Embeds what `options` asks for with the model in `files`, with a progress bar on stderr.
pub(super) fn embed_with_model(
    global: &GlobalOptions,
    files: &ModelFiles,
    database: &mut Database,
    store: &ThumbnailStore,
    options: &EmbedOptions,
    cancel: &CancelToken,
) -> anyhow::Result<matching::EmbedSummary> {
    embed_observed(global, files, database, store, options, cancel, &mut |_| {})
}

/// [`embed_with_model`], showing each event to `observe` before it is rendered.
fn embed_observed(
    global: &GlobalOptions,
    files: &ModelFiles,
    database: &mut Database,
    store: &ThumbnailStore,
    options: &EmbedOptions,
    cancel: &CancelToken,
    observe: &mut dyn FnMut(&EmbedEvent),
) -> anyhow::Result<matching::EmbedSummary> {
    let model = files.model_id();
    let engine = global.load_engine_from(files, BATCH)?;
    let bar = progress_bar();
    let summary = matching::embed::embed_missing(
        database,
        &engine,
        &model,
        store,
        options,
        cancel,
        &mut |event| {
            observe(&event);
            render_embedding(&bar, event)
        },
    );
    bar.finish_and_clear();
    Ok(summary?)
}

/// Shows an embedding job's progress on `bar`, and each picture left out above it on stderr.
fn render_embedding(bar: &ProgressBar, event: EmbedEvent) {
    match event {
        EmbedEvent::Planned { total } => bar.set_length(total),
        EmbedEvent::Progress(progress) => bar.set_position(progress.done),
        EmbedEvent::Skipped { reason, .. } => {
            bar.suspend(|| {
                eprintln!(
                    "{}",
                    fill(&gettext("Skipped: {reason}"), &[("reason", &reason)])
                )
            });
        }
        EmbedEvent::TruncatedComic { path, entry, .. } => {
            bar.suspend(|| eprintln!("{}", truncated_cover_warning(&path, &entry)));
        }
        EmbedEvent::Reused { .. } => {}
    }
}

/// `vistazo embed [--covers] [--comics] [--max N]`.
pub fn embed(global: &GlobalOptions, args: &EmbedArgs) -> anyhow::Result<ExitCode> {
    let (mut database, store) = open(global)?;
    let both = !args.covers && !args.comics;
    let options = EmbedOptions {
        covers: args.covers || both,
        comics: args.comics || both,
        max: args.max,
        retry: args.retry,
        ..EmbedOptions::default()
    };
    let cancel = cancel_on_interrupt(gettext(
        "Stopping after the pictures being embedded… Press Ctrl+C again to quit at once.",
    ));
    let mut skipped = Vec::new();
    let mut truncated_comics = Vec::new();
    let summary = run_embedding(
        global,
        &mut database,
        &store,
        &options,
        &cancel,
        &mut |event| match event {
            EmbedEvent::Skipped {
                subject,
                id,
                reason,
            } => skipped.push(serde_json::json!({
                "subject": subject.as_str(),
                "id": id,
                "reason": reason,
            })),
            EmbedEvent::TruncatedComic { id, path, entry } => {
                truncated_comics.push(serde_json::json!({
                    "comic_id": id,
                    "path": path.to_string_lossy(),
                    "entry": entry,
                }));
            }
            _ => {}
        },
    )?;
    if args.json {
        let value = serde_json::json!({
            "computed": summary.computed,
            "reused": summary.reused,
            "skipped": skipped,
            "truncated_covers": summary.truncated_covers,
            "truncated_comics": truncated_comics,
            "covers_without_file": summary.covers_without_file,
            "unreadable_before": summary.known_unreadable,
            "cancelled": summary.outcome == Outcome::Cancelled,
        });
        println!("{value}");
        return Ok(exit_code(summary.outcome));
    }
    if summary.outcome == Outcome::Cancelled {
        println!(
            "{}",
            gettext("Cancelled. The embeddings computed so far are saved; run again to go on.")
        );
    }
    let line = |template: String, n: u64| println!("{}", fill(&template, &[("count", &n)]));
    let n = summary.computed;
    line(
        ngettext(
            "Computed {count} embedding.",
            "Computed {count} embeddings.",
            plural(n),
        ),
        n,
    );
    let n = summary.reused;
    line(
        ngettext(
            "Reused {count} embedding stored by Babelcomics4.",
            "Reused {count} embeddings stored by Babelcomics4.",
            plural(n),
        ),
        n,
    );
    let n = summary.failed;
    line(
        ngettext(
            "Skipped {count} picture that could not be read.",
            "Skipped {count} pictures that could not be read.",
            plural(n),
        ),
        n,
    );
    let n = summary.truncated_covers;
    if n > 0 {
        line(
            ngettext(
                "{count} catalog cover is a truncated image and was left without an embedding; download it again.",
                "{count} catalog covers are truncated images and were left without an embedding; download them again.",
                plural(n),
            ),
            n,
        );
    }
    let n = summary.truncated_comics;
    if n > 0 {
        line(
            ngettext(
                "{count} comic has a truncated cover image; its match will only be suggested.",
                "{count} comics have a truncated cover image; their matches will only be suggested.",
                plural(n),
            ),
            n,
        );
    }
    let n = summary.covers_without_file;
    if n > 0 {
        line(
            ngettext(
                "{count} catalog cover has no picture on disk.",
                "{count} catalog covers have no picture on disk.",
                plural(n),
            ),
            n,
        );
    }
    let n = summary.known_unreadable;
    if n > 0 {
        line(
            ngettext(
                "{count} comic that could not be read before was left out, its file unchanged; --retry reads it again.",
                "{count} comics that could not be read before were left out, their files unchanged; --retry reads them again.",
                plural(n),
            ),
            n,
        );
    }
    Ok(match summary.outcome {
        Outcome::Finished => ExitCode::SUCCESS,
        Outcome::Cancelled => ExitCode::from(CANCELLED),
    })
}

/// `vistazo classify [--threshold F] [--auto-apply] [--max N] [--json] [--reclassify]`.
pub fn classify(global: &GlobalOptions, args: &ClassifyArgs) -> anyhow::Result<ExitCode> {
    let (mut database, store) = open(global)?;
    let files = global.locate_model()?;
    let model = files.model_id();
    let cancel = cancel_on_interrupt(gettext(
        "Stopping after the comic being classified… Press Ctrl+C again to quit at once.",
    ));
    // The covers of the comics about to be looked at are embedded first, and kept.
    let known = database.embedded_ids(Subject::Comic, &model)?;
    let mut scope = database.comics_to_classify(args.reclassify)?;
    if let Some(only) = &args.only {
        scope.retain(|comic| only.contains(&comic.id_comicbook));
    }
    if let Some(max) = args.max {
        scope.truncate(max);
    }
    if scope
        .iter()
        .any(|comic| !known.contains(&i64::from(comic.id_comicbook)))
    {
        let options = EmbedOptions {
            covers: false,
            comics: true,
            classified_comics: args.reclassify,
            max: args.max,
            ..EmbedOptions::default()
        };
        let summary = run_embedding(
            global,
            &mut database,
            &store,
            &options,
            &cancel,
            &mut |_| {},
        )?;
        if summary.outcome == Outcome::Cancelled {
            return Ok(ExitCode::from(CANCELLED));
        }
    }
    if database.embedded_ids(Subject::Cover, &model)?.is_empty() {
        anyhow::bail!(gettext(
            "no catalog cover has an embedding for this model yet: run vistazo embed --covers first"
        ));
    }

    let options = ClassifyOptions {
        threshold: args.threshold.value(),
        auto_apply: args.auto_apply,
        max: args.max,
        reclassify: args.reclassify,
        only: args.only.clone(),
    };
    let bar = progress_bar();
    let mut out = std::io::stdout().lock();
    let mut write_failed = None;
    let summary = matching::classify::classify(
        &mut database,
        &store,
        &model,
        &options,
        &cancel,
        &mut |event| {
            match event {
            ClassifyEvent::Progress(progress) => {
                bar.set_length(progress.total);
                bar.set_position(progress.done);
            }
            ClassifyEvent::UnreadableCover { id_cover, reason } => bar.suspend(|| {
                eprintln!(
                    "{}",
                    fill(
                        &gettext(
                            "Could not read catalog cover {cover} ({reason}): its issue is only suggested"
                        ),
                        &[("cover", &id_cover), ("reason", &reason)]
                    )
                );
            }),
            ClassifyEvent::Skipped { path, reason, .. } => bar.suspend(|| {
                eprintln!(
                    "{}",
                    fill(
                        &gettext("Skipped {path}: {reason}"),
                        &[("path", &path), ("reason", &reason)]
                    )
                );
            }),
            ClassifyEvent::Matched(found) => {
                if let Some(entry) = &found.truncated_cover {
                    let path = std::path::Path::new(&found.path);
                    bar.suspend(|| eprintln!("{}", truncated_cover_warning(path, entry)));
                }
                let line = if args.json {
                    json_line(&found)
                } else {
                    text_line(&found)
                };
                if let Err(error) = bar.suspend(|| writeln!(out, "{line}")) {
                    write_failed.get_or_insert(error);
                }
            }
        }
        },
    );
    bar.finish_and_clear();
    let summary = summary?;
    if let Some(error) = write_failed {
        return Err(error.into());
    }
    let line = |template: String, n: u64| eprintln!("{}", fill(&template, &[("count", &n)]));
    let n = summary.applied;
    line(
        ngettext(
            "Classified {count} comic.",
            "Classified {count} comics.",
            plural(n),
        ),
        n,
    );
    let n = summary.suggested;
    line(
        ngettext(
            "Left {count} suggestion to review.",
            "Left {count} suggestions to review.",
            plural(n),
        ),
        n,
    );
    let n = summary.truncated_covers;
    if n > 0 {
        line(
            ngettext(
                "{count} comic has a truncated cover image; its match will only be suggested.",
                "{count} comics have a truncated cover image; their matches will only be suggested.",
                plural(n),
            ),
            n,
        );
    }
    let n = summary.unreadable_catalog_covers;
    if n > 0 {
        line(
            ngettext(
                "{count} catalog cover could not be read; the issues it shows are only suggested. Run vistazo catalog add-volume again to download it.",
                "{count} catalog covers could not be read; the issues they show are only suggested. Run vistazo catalog add-volume again to download them.",
                plural(n),
            ),
            n,
        );
    }
    let mut outcome = summary.outcome;
    let mut not_written = 0;
    if args.write_comicinfo && summary.applied > 0 && outcome == Outcome::Finished {
        let tagged = matching::tagging::write_comic_info_for_run(
            &mut database,
            summary.run_id,
            &cancel,
            &mut print_file_event,
        )?;
        outcome = tagged.outcome;
        not_written = tagged.failed;
        let n = tagged.written;
        line(
            ngettext(
                "Wrote the ComicInfo.xml of {count} comic.",
                "Wrote the ComicInfo.xml of {count} comics.",
                plural(n),
            ),
            n,
        );
        let n = tagged.skipped + tagged.failed;
        if n > 0 {
            line(
                ngettext(
                    "{count} comic did not get a ComicInfo.xml.",
                    "{count} comics did not get a ComicInfo.xml.",
                    plural(n),
                ),
                n,
            );
        }
    }
    if summary.applied > 0 {
        eprintln!(
            "{}",
            fill(
                &gettext("To undo this run: vistazo undo --run {run}"),
                &[("run", &summary.run_id)]
            )
        );
    }
    if not_written > 0 {
        anyhow::bail!(fill(
            &ngettext(
                "the ComicInfo.xml of {count} comic could not be written; its classification is applied all the same",
                "the ComicInfo.xml of {count} comics could not be written; their classifications are applied all the same",
                plural(not_written),
            ),
            &[("count", &not_written)]
        ));
    }
    Ok(match outcome {
        Outcome::Finished => ExitCode::SUCCESS,
        Outcome::Cancelled => ExitCode::from(CANCELLED),
    })
}

fn exit_code(outcome: Outcome) -> ExitCode {
    match outcome {
        Outcome::Finished => ExitCode::SUCCESS,
        Outcome::Cancelled => ExitCode::from(CANCELLED),
    }
}

/// One line on stderr for a comic file whose ComicInfo.xml was not simply written or restored.
fn print_file_event(event: TagEvent) {
    let line = match &event.outcome {
        TagOutcome::Written | TagOutcome::Unchanged | TagOutcome::Restored => return,
        TagOutcome::Skipped(reason) => fill(
            &gettext("Skipped {path}: {reason}"),
            &[("path", &event.path), ("reason", reason)],
        ),
        TagOutcome::Failed(reason) => fill(
            &gettext("Could not write the ComicInfo.xml of {path}: {reason}"),
            &[("path", &event.path), ("reason", reason)],
        ),
    };
    eprintln!("{line}");
}

fn json_line(found: &ComicMatch) -> String {
    let candidates: Vec<serde_json::Value> = found
        .candidates
        .iter()
        .map(|c| {
            serde_json::json!({
                "id_comicbook_info": c.id_comicbook_info,
                "id_cover": c.id_cover,
                "volume": c.volume,
                "number": c.number,
                "year": c.year,
                "score": c.signals.combined,
                "signals": c.signals,
                "tagged": c.tagged,
                "same_folder": c.same_folder,
                "edition": c.edition,
                "publisher": c.publisher,
                "unreadable_cover": c.unreadable_cover,
            })
        })
        .collect();
    let best = found.candidates.first().map(|c| {
        serde_json::json!({
            "id_comicbook_info": c.id_comicbook_info,
            "volume": c.volume,
            "number": c.number,
            "score": c.signals.combined,
        })
    });
    serde_json::json!({
        "comic_id": found.comic_id,
        "path": found.path,
        "applied": found.applied,
        "truncated_cover": found.truncated_cover,
        "best": best,
        "candidates": candidates,
        "tagged": found.tagged.as_ref().map(|tag| serde_json::json!({
            "comicvine_issue": tag.comicvine_issue,
            "id_comicbook_info": tag.id_comicbook_info,
            "volume": tag.volume,
            "disputed": tag.disputed,
            "conflict": tag.conflict.map(|(other, _)| other),
        })),
        "held": found.held,
        "not_in_catalog": found
            .tagged
            .as_ref()
            .filter(|tag| tag.id_comicbook_info.is_none())
            .and_then(|tag| tag.problem()),
        "editions": found.editions.as_ref().map(|e| serde_json::json!({
            "issues": e.issues,
            "chosen_by": e.chosen_by,
        })),
    })
    .to_string()
}

fn text_line(found: &ComicMatch) -> String {
    let mut lines = vec![match_line(found)];
    let problems = [
        found.tagged.as_ref().and_then(|tag| tag.problem()),
        found
            .editions
            .as_ref()
            .and_then(|e| e.problem(&found.candidates)),
    ];
    for problem in problems.into_iter().flatten() {
        lines.push(fill(
            &gettext("{path}: {problem}"),
            &[("path", &found.path), ("problem", &problem)],
        ));
    }
    lines.join("\n")
}

fn match_line(found: &ComicMatch) -> String {
    match found.candidates.first() {
        None => fill(&gettext("{path}: no candidate"), &[("path", &found.path)]),
        Some(best) => {
            let chosen_by = found.editions.as_ref().map(|e| e.chosen_by);
            let template = if found.applied && best.tagged {
                gettext("{path}: {volume} #{number} ({score}) applied, as its tags say")
            } else if found.applied && chosen_by == Some(EditionChoice::Folder) {
                gettext(
                    "{path}: {volume} #{number} ({score}) applied, the edition its folder holds ({publisher})",
                )
            } else if found.applied && chosen_by == Some(EditionChoice::Publisher) {
                gettext(
                    "{path}: {volume} #{number} ({score}) applied, the edition of the publisher you prefer ({publisher})",
                )
            } else if found.applied {
                gettext("{path}: {volume} #{number} ({score}) applied")
            } else if found.truncated_cover.is_some() {
                gettext(
                    "{path}: {volume} #{number} ({score}) suggested; its cover is a truncated image, so it is not applied automatically",
                )
            } else {
                gettext("{path}: {volume} #{number} ({score}) suggested")
            };
            fill(
                &template,
                &[
                    ("path", &found.path),
                    ("volume", &best.volume),
                    ("number", &best.number),
                    ("score", &format!("{:.2}", best.signals.combined)),
                    (
                        "publisher",
                        &best
                            .publisher
                            .clone()
                            .unwrap_or_else(|| gettext("publisher unknown")),
                    ),
                ],
            )
        }
    }
}

/// `vistazo undo [--last | --run ID]`.
pub fn undo(global: &GlobalOptions, args: &UndoArgs) -> anyhow::Result<ExitCode> {
    let mut database = global.open_collection()?;
    let target = match args.run {
        Some(id) if !args.last => UndoTarget::Run(id),
        _ => UndoTarget::Last,
    };
    let mut files = 0u64;
    let (run_id, summary) =
        matching::undo_with_files(&mut database, target, &mut |event: TagEvent| {
            if event.outcome == TagOutcome::Restored {
                files += 1;
            }
            print_file_event(event);
        })?;
    if args.json {
        let value = serde_json::json!({
            "run": run_id,
            "restored": summary.restored,
            "changed_since": summary.changed_since,
            "comicinfo_restored": files,
        });
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    let n = summary.restored;
    println!(
        "{}",
        fill(
            &ngettext(
                "Run {run}: restored the previous value of {count} comic.",
                "Run {run}: restored the previous values of {count} comics.",
                plural(n),
            ),
            &[("run", &run_id), ("count", &n)]
        )
    );
    let n = summary.changed_since;
    if n > 0 {
        println!(
            "{}",
            fill(
                &ngettext(
                    "{count} comic was changed after the run and keeps its current value.",
                    "{count} comics were changed after the run and keep their current value.",
                    plural(n),
                ),
                &[("count", &n)]
            )
        );
    }
    if files > 0 {
        println!(
            "{}",
            fill(
                &ngettext(
                    "Put back the previous ComicInfo.xml of {files} comic.",
                    "Put back the previous ComicInfo.xml of {files} comics.",
                    plural(files),
                ),
                &[("files", &files)]
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}
