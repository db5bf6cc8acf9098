//! `vistazo inspect FILE... [--json]`: what Vistazo reads from comic files, without any
//! collection. Exit status 1 when a file could not be read (its name is shown all the same).

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::i18n::{fill, gettext, ngettext};
use crate::library::inspect::{Inspection, inspect};

pub fn run(files: &[PathBuf], as_json: bool) -> ExitCode {
    let seen: Vec<Inspection> = files.iter().map(|file| inspect(file)).collect();
    if as_json {
        let array: Vec<Value> = seen.iter().map(to_json).collect();
        println!("{}", Value::Array(array));
    } else {
        for (at, inspection) in seen.iter().enumerate() {
            if at > 0 {
                println!();
            }
            print_text(inspection);
        }
    }
    for inspection in &seen {
        if let Some(problem) = &inspection.problem {
            eprintln!("{problem}");
        }
    }
    if seen.iter().any(|inspection| inspection.problem.is_some()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn to_json(seen: &Inspection) -> Value {
    let name = &seen.name;
    let tags = &seen.tags;
    json!({
        "file": seen.file.to_string_lossy(),
        "name": {
            "series": name.series,
            "volume": name.volume,
            "number": name.number,
            "year": name.year,
            "title": name.title,
        },
        "tags": {
            "comicvine_issue": tags.comicvine_issue,
            "comicvine_conflict": tags.comicvine_conflict,
            "series": tags.series,
            "number": tags.number,
            "volume": tags.volume,
            "year": tags.year,
            "ignored": seen.tags_ignored,
        },
        "format": seen.format.map(|format| format.name()),
        "pages": seen.pages,
        "cover": seen.cover,
        "error": seen.problem,
    })
}

/// A value read, or "unknown" for what was not.
fn or_unknown(value: Option<String>) -> String {
    value.unwrap_or_else(|| gettext("unknown"))
}

fn print_text(seen: &Inspection) {
    println!("{}", seen.file.display());
    let name = &seen.name;
    println!(
        "  {}",
        fill(
            &gettext(
                "Name: series {series}, volume {volume}, number {number}, year {year}, title {title}"
            ),
            &[
                ("series", &or_unknown(name.series.clone())),
                ("volume", &or_unknown(name.volume.map(|v| v.to_string()))),
                ("number", &or_unknown(name.number.clone())),
                ("year", &or_unknown(name.year.map(|y| y.to_string()))),
                ("title", &or_unknown(name.title.clone())),
            ]
        )
    );
    let tags = &seen.tags;
    if tags.is_empty() {
        println!("  {}", gettext("Tags: none"));
    } else {
        println!(
            "  {}",
            fill(
                &gettext(
                    "Tags: ComicVine issue {issue}, series {series}, number {number}, volume {volume}, year {year}"
                ),
                &[
                    (
                        "issue",
                        &or_unknown(tags.comicvine_issue.map(|i| i.to_string()))
                    ),
                    ("series", &or_unknown(tags.series.clone())),
                    ("number", &or_unknown(tags.number.clone())),
                    ("volume", &or_unknown(tags.volume.clone())),
                    ("year", &or_unknown(tags.year.map(|y| y.to_string()))),
                ]
            )
        );
    }
    if let Some(other) = tags.comicvine_conflict {
        println!(
            "  {}",
            fill(
                &gettext("Its tags also name ComicVine issue {other}: they contradict each other"),
                &[("other", &other)]
            )
        );
    }
    if let Some(ignored) = &seen.tags_ignored {
        println!("  {ignored}");
    }
    if let (Some(format), Some(pages)) = (seen.format, seen.pages) {
        println!(
            "  {}",
            fill(
                &ngettext(
                    "Format: {format}, {pages} page",
                    "Format: {format}, {pages} pages",
                    u32::try_from(pages).unwrap_or(u32::MAX)
                ),
                &[("format", &format.name()), ("pages", &pages)]
            )
        );
    }
    if let Some(cover) = &seen.cover {
        let line = if cover.truncated {
            gettext("Cover: {entry} ({width}×{height}), a truncated image")
        } else {
            gettext("Cover: {entry} ({width}×{height})")
        };
        println!(
            "  {}",
            fill(
                &line,
                &[
                    ("entry", &cover.entry),
                    ("width", &cover.width),
                    ("height", &cover.height),
                ]
            )
        );
    }
    if let Some(problem) = &seen.problem {
        println!(
            "  {}",
            fill(&gettext("Not read: {reason}"), &[("reason", problem)])
        );
    }
}
