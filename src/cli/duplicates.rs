//! `vistazo duplicates [--json]`: the comics owned twice, found by
//! [`crate::matching::duplicates`]. Glue only: one paragraph per group, or with `--json` one
//! object `{"groups": [{"comics": [id…], "issue": id | null, "reason": "…"}]}` on stdout.
//!
//! The embeddings that confirm a same-cover match are those of `--model` when given, else of
//! the model the latest classification used; no model is loaded or downloaded.

use std::process::ExitCode;

use super::GlobalOptions;
use crate::i18n::{fill, gettext, ngettext};
use crate::library::{ThumbnailStore, thumbnails};
use crate::matching::duplicates::{self, Group};

pub fn run(global: &GlobalOptions, json: bool) -> anyhow::Result<ExitCode> {
    let mut database = global.open_collection()?;
    let base = thumbnails::resolve_base(global.thumbnails.as_deref(), &mut database)?;
    let store = ThumbnailStore::new(base);
    let model = match &global.model {
        Some(_) => Some(global.locate_model()?.model_id()),
        None => database.latest_classification_model()?,
    };
    let groups = duplicates::find(&mut database, &store, model.as_deref())?;
    if json {
        println!("{}", json_object(&groups));
        return Ok(ExitCode::SUCCESS);
    }
    if groups.is_empty() {
        println!(
            "{}",
            gettext("No duplicates: no two comics out of the trash are the same issue.")
        );
        return Ok(ExitCode::SUCCESS);
    }
    for group in &groups {
        let heading = match group.issue {
            Some(issue) => fill(
                &gettext("Issue {issue} ({reason}):"),
                &[("issue", &issue), ("reason", &group.reason.describe())],
            ),
            None => fill(
                &gettext("Same cover ({reason}):"),
                &[("reason", &group.reason.describe())],
            ),
        };
        println!("{heading}");
        for (id, path) in group.comics.iter().zip(&group.paths) {
            println!(
                "  {}",
                fill(
                    &gettext("comic {id}: {path}"),
                    &[("id", id), ("path", path)]
                )
            );
        }
    }
    let n = groups.len() as u64;
    println!(
        "{}",
        fill(
            &ngettext(
                "{count} group of duplicates.",
                "{count} groups of duplicates.",
                super::plural(n),
            ),
            &[("count", &n)]
        )
    );
    Ok(ExitCode::SUCCESS)
}

fn json_object(groups: &[Group]) -> serde_json::Value {
    let groups: Vec<serde_json::Value> = groups
        .iter()
        .map(|group| {
            serde_json::json!({
                "comics": group.comics,
                "issue": group.issue,
                "reason": group.reason.key(),
            })
        })
        .collect();
    serde_json::json!({ "groups": groups })
}
