//! `vistazo scan DIR... [--json]`: renders [`library::scan`] in a terminal. A progress bar on
//! stderr when it is a terminal, one line on stderr per file that could not be read, has gone
//! missing or needs a look, and a summary on stdout (with `--json`, one object with the counts
//! and those files). Ctrl+C stops after the files being read; a second Ctrl+C quits at once.
//!
//! Exit status: 0 when the scan ran (even if some files were skipped), 1 when it could not run
//! or was cancelled (the comics saved before stay).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::{CANCELLED, GlobalOptions, cancel_on_interrupt, plural, truncated_cover_warning};
use crate::i18n::{fill, gettext, ngettext};
use crate::jobs::Outcome;
use crate::library::{self, ScanEvent, ScanOptions, ScanSummary, ThumbnailStore};

/// The files a scan names one by one, kept for `--json`.
#[derive(Default)]
struct Findings {
    skipped: Vec<serde_json::Value>,
    missing: Vec<serde_json::Value>,
    tags_ignored: Vec<serde_json::Value>,
    truncated_covers: Vec<serde_json::Value>,
}

impl Findings {
    fn record(&mut self, event: &ScanEvent) {
        match event {
            ScanEvent::Skipped { error, known_id } => self.skipped.push(json!({
                "path": error.path().to_string_lossy(),
                "reason": error.to_string(),
                "comic_id": known_id,
            })),
            ScanEvent::Missing { id, path } => self.missing.push(json!({
                "comic_id": id,
                "path": path.to_string_lossy(),
            })),
            ScanEvent::Added {
                id,
                path,
                truncated_cover,
                ignored_tags,
                ..
            }
            | ScanEvent::Known {
                id,
                path,
                truncated_cover,
                ignored_tags,
                ..
            } => {
                if let Some(reason) = ignored_tags {
                    self.tags_ignored.push(json!({
                        "comic_id": id,
                        "path": path.to_string_lossy(),
                        "reason": reason,
                    }));
                }
                if let Some(entry) = truncated_cover {
                    self.truncated_covers.push(json!({
                        "comic_id": id,
                        "path": path.to_string_lossy(),
                        "entry": entry,
                    }));
                }
            }
            ScanEvent::Found { .. } | ScanEvent::Progress(_) => {}
        }
    }

    fn to_json(&self, summary: &ScanSummary) -> serde_json::Value {
        json!({
            "added": summary.added,
            "known": summary.known,
            "thumbnails_written": summary.thumbnails_written,
            "skipped": self.skipped,
            "missing": self.missing,
            "tagged": summary.tagged,
            "tags_ignored": self.tags_ignored,
            "truncated_covers": self.truncated_covers,
            "cancelled": summary.outcome == Outcome::Cancelled,
        })
    }
}

pub fn run(global: &GlobalOptions, folders: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    // Checked before the database is opened, so that a mistyped folder creates nothing.
    library::scan::resolve_roots(folders)?;
    let mut database = global.open_or_start_collection()?;
    let base = library::thumbnails::resolve_base(global.thumbnails.as_deref(), &mut database)?;
    let options = ScanOptions::new(ThumbnailStore::new(base));
    let cancel = cancel_on_interrupt(gettext(
        "Stopping after the files being read… Press Ctrl+C again to quit at once.",
    ));

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        // Translators: keep the words in braces as they are; the progress bar fills them in.
        ProgressStyle::with_template(&gettext(
            "{spinner} {wide_bar} {pos}/{len} comics · {per_sec} · {eta} left",
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));

    let mut findings = Findings::default();
    let summary = library::scan(&mut database, folders, &options, &cancel, &mut |event| {
        if json {
            findings.record(&event);
        }
        render(&bar, event)
    });
    bar.finish_and_clear();
    let summary = summary?;
    if json {
        println!("{}", findings.to_json(&summary));
    } else {
        print_summary(&summary);
    }
    Ok(match summary.outcome {
        Outcome::Finished => ExitCode::SUCCESS,
        Outcome::Cancelled => ExitCode::from(CANCELLED),
    })
}

fn render(bar: &ProgressBar, event: ScanEvent) {
    if let ScanEvent::Added {
        path,
        ignored_tags: Some(reason),
        ..
    }
    | ScanEvent::Known {
        path,
        ignored_tags: Some(reason),
        ..
    } = &event
    {
        bar.suspend(|| {
            eprintln!(
                "{}",
                fill(
                    &gettext("Tags of {path}: {reason}"),
                    &[("path", &path.display()), ("reason", reason)]
                )
            );
        });
    }
    match event {
        ScanEvent::Found { to_read, .. } => bar.set_length(to_read),
        ScanEvent::Progress(progress) => bar.set_position(progress.done),
        ScanEvent::Skipped { error, .. } => {
            bar.suspend(|| {
                eprintln!(
                    "{}",
                    fill(&gettext("Skipped: {reason}"), &[("reason", &error)])
                )
            });
        }
        ScanEvent::Missing { id, path } => bar.suspend(|| {
            eprintln!(
                "{}",
                fill(
                    &gettext("Missing or moved: {path} (comic {id}); it stays in the collection."),
                    &[("path", &path.display()), ("id", &id)]
                )
            );
        }),
        ScanEvent::Added {
            path,
            truncated_cover: Some(entry),
            ..
        }
        | ScanEvent::Known {
            path,
            truncated_cover: Some(entry),
            ..
        } => bar.suspend(|| eprintln!("{}", truncated_cover_warning(&path, &entry))),
        ScanEvent::Added { .. } | ScanEvent::Known { .. } => {}
    }
}

fn print_summary(summary: &ScanSummary) {
    // ngettext is called with literals at each line so that xgettext finds both forms.
    let line = |template: String, n: u64| println!("{}", fill(&template, &[("count", &n)]));
    if summary.outcome == Outcome::Cancelled {
        println!(
            "{}",
            gettext("Scan cancelled. The comics found so far are saved; scan again to go on.")
        );
    }
    let n = summary.added;
    line(
        ngettext("Added {count} comic.", "Added {count} comics.", plural(n)),
        n,
    );
    let n = summary.known;
    line(
        ngettext(
            "{count} comic was already in the collection.",
            "{count} comics were already in the collection.",
            plural(n),
        ),
        n,
    );
    let n = summary.thumbnails_written;
    line(
        ngettext(
            "Wrote {count} cover thumbnail.",
            "Wrote {count} cover thumbnails.",
            plural(n),
        ),
        n,
    );
    let n = summary.skipped;
    line(
        ngettext(
            "Skipped {count} file that could not be read.",
            "Skipped {count} files that could not be read.",
            plural(n),
        ),
        n,
    );
    let n = summary.missing;
    line(
        ngettext(
            "{count} comic in the collection is missing from disk.",
            "{count} comics in the collection are missing from disk.",
            plural(n),
        ),
        n,
    );
    let n = summary.tagged;
    if n > 0 {
        line(
            ngettext(
                "{count} comic names its ComicVine issue in its tags.",
                "{count} comics name their ComicVine issue in their tags.",
                plural(n),
            ),
            n,
        );
    }
    let n = summary.tags_ignored;
    if n > 0 {
        line(
            ngettext(
                "{count} comic has tags that could not be read; they were ignored.",
                "{count} comics have tags that could not be read; they were ignored.",
                plural(n),
            ),
            n,
        );
    }
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
}
