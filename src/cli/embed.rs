//! `embed-image` and `embed-text`: the CLIP engine from the terminal, printing embeddings.
//! Glue only: the model comes from [`GlobalOptions::load_engine`], the work happens in
//! [`crate::clip::Engine`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::GlobalOptions;
use crate::i18n::{self, gettext};
use crate::jobs::CancelToken;

/// `vistazo embed-image FILE... [--json]`. A file that fails is reported on stderr and the
/// others still print; the exit status is then 1.
pub fn embed_image(
    global: &GlobalOptions,
    files: &[PathBuf],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let engine = global.load_engine(16)?;
    let mut embeddings: Vec<Option<Vec<f32>>> = vec![None; files.len()];
    let mut failed = false;
    engine.embed_images(
        files,
        &CancelToken::new(),
        &mut |item| match item.result {
            Ok(embedding) => embeddings[item.index] = Some(embedding),
            Err(error) => {
                failed = true;
                eprintln!("vistazo: {error}");
            }
        },
        &mut |_| {},
    )?;
    let mut out = std::io::stdout().lock();
    if json {
        let map: BTreeMap<String, &Vec<f32>> = files
            .iter()
            .zip(&embeddings)
            .filter_map(|(path, embedding)| Some((path.display().to_string(), embedding.as_ref()?)))
            .collect();
        serde_json::to_writer(&mut out, &map)?;
        writeln!(out)?;
    } else {
        for (path, embedding) in files.iter().zip(&embeddings) {
            if let Some(embedding) = embedding {
                writeln!(out, "{}\t{}", path.display(), summary(embedding))?;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `vistazo embed-text TEXT... [--json]`.
pub fn embed_text(
    global: &GlobalOptions,
    texts: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let engine = global.load_engine(16)?;
    let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
    let embeddings = engine.embed_texts(&borrowed)?;
    let mut out = std::io::stdout().lock();
    if json {
        // A struct rather than `json!`, which would widen the floats to f64 digits.
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            ids: &'a [i64],
            embedding: &'a [f32],
        }
        let map: BTreeMap<&str, Entry> = borrowed
            .iter()
            .zip(&embeddings)
            .map(|(text, item)| {
                let entry = Entry {
                    ids: &item.ids,
                    embedding: &item.embedding,
                };
                (*text, entry)
            })
            .collect();
        serde_json::to_writer(&mut out, &map)?;
        writeln!(out)?;
    } else {
        for (text, item) in borrowed.iter().zip(&embeddings) {
            writeln!(out, "{text}\t{}", summary(&item.embedding))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(embedding: &[f32]) -> String {
    let head: Vec<String> = embedding
        .iter()
        .take(4)
        .map(|v| format!("{v:.4}"))
        .collect();
    i18n::fill(
        &gettext("[{values}, …] ({count} values)"),
        &[("values", &head.join(", ")), ("count", &embedding.len())],
    )
}
