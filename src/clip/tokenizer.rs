//! Text to CLIP token ids, identical to transformers' `CLIPTokenizer`: NFC, whitespace collapsed,
//! lower case, CLIP's split pattern, byte-level BPE with `</w>` word ends, the start and end
//! tokens around the text, and truncation to the context length that keeps the end token.
//!
//! It reads the model folder's `tokenizer.json`, or builds the same pipeline from `vocab.json`
//! and `merges.txt` when that is all a folder has. It never touches tensors.

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;

use crate::i18n::{fill, gettext};

pub const START_OF_TEXT: &str = "<|startoftext|>";
pub const END_OF_TEXT: &str = "<|endoftext|>";

#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("{}", fill(&gettext("cannot read the tokenizer file {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("the tokenizer file {path} is not usable: {reason}"), &[("path", &.path.display()), ("reason", .reason)]))]
    Invalid { path: PathBuf, reason: String },
    #[error("{}", fill(&gettext("the tokenizer in {path} has no {token} token"), &[("path", &.path.display()), ("token", .token)]))]
    MissingSpecialToken { path: PathBuf, token: &'static str },
    #[error("{}", fill(&gettext("cannot tokenise “{text}”: {reason}"), &[("text", &crate::i18n::echoed(.text)), ("reason", .reason)]))]
    Encode { text: String, reason: String },
}

/// Where a model folder keeps its tokenizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerFiles {
    Json(PathBuf),
    VocabAndMerges { vocab: PathBuf, merges: PathBuf },
}

impl TokenizerFiles {
    /// `tokenizer.json` when there is one, else `vocab.json` + `merges.txt`.
    pub fn in_folder(folder: &Path) -> Option<Self> {
        let json = folder.join("tokenizer.json");
        if json.is_file() {
            return Some(Self::Json(json));
        }
        let vocab = folder.join("vocab.json");
        let merges = folder.join("merges.txt");
        (vocab.is_file() && merges.is_file()).then_some(Self::VocabAndMerges { vocab, merges })
    }

    fn main_path(&self) -> &Path {
        match self {
            Self::Json(path) => path,
            Self::VocabAndMerges { vocab, .. } => vocab,
        }
    }
}

/// CLIP's tokenizer, with the model's context length.
#[derive(Debug, Clone)]
pub struct ClipTokenizer {
    inner: Tokenizer,
    context_length: usize,
    end_of_text: i64,
}

impl ClipTokenizer {
    pub fn load(files: &TokenizerFiles, context_length: usize) -> Result<Self, TokenizerError> {
        let path = files.main_path().to_owned();
        let json = match files {
            TokenizerFiles::Json(path) => read(path)?,
            TokenizerFiles::VocabAndMerges { vocab, merges } => {
                pipeline_json(&read(vocab)?, vocab, &read(merges)?, merges)?
            }
        };
        let inner: Tokenizer = json.parse().map_err(|error| TokenizerError::Invalid {
            path: path.clone(),
            reason: format!("{error}"),
        })?;
        let end_of_text =
            inner
                .token_to_id(END_OF_TEXT)
                .ok_or(TokenizerError::MissingSpecialToken {
                    path: path.clone(),
                    token: END_OF_TEXT,
                })?;
        if inner.token_to_id(START_OF_TEXT).is_none() {
            return Err(TokenizerError::MissingSpecialToken {
                path,
                token: START_OF_TEXT,
            });
        }
        Ok(Self {
            inner,
            context_length: context_length.max(2),
            end_of_text: i64::from(end_of_text),
        })
    }

    pub fn context_length(&self) -> usize {
        self.context_length
    }

    /// The ids of `text`, start and end tokens included. A text longer than the context keeps
    /// its beginning and the end token, as transformers' `truncation=True` does.
    pub fn encode(&self, text: &str) -> Result<Vec<i64>, TokenizerError> {
        let encoding = self
            .inner
            .encode(text, true)
            .map_err(|error| TokenizerError::Encode {
                text: text.to_owned(),
                reason: format!("{error}"),
            })?;
        let mut ids: Vec<i64> = encoding.get_ids().iter().map(|&id| i64::from(id)).collect();
        if ids.len() > self.context_length {
            ids.truncate(self.context_length - 1);
            ids.push(self.end_of_text);
        }
        Ok(ids)
    }
}

fn read(path: &Path) -> Result<String, TokenizerError> {
    std::fs::read_to_string(path).map_err(|source| TokenizerError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The `tokenizer.json` transformers writes for CLIP, around a vocabulary and merge list.
fn pipeline_json(
    vocab: &str,
    vocab_path: &Path,
    merges: &str,
    merges_path: &Path,
) -> Result<String, TokenizerError> {
    let vocab: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(vocab).map_err(|error| TokenizerError::Invalid {
            path: vocab_path.to_owned(),
            reason: error.to_string(),
        })?;
    let id_of = |token: &'static str| {
        vocab.get(token).and_then(serde_json::Value::as_u64).ok_or(
            TokenizerError::MissingSpecialToken {
                path: vocab_path.to_owned(),
                token,
            },
        )
    };
    let start = id_of(START_OF_TEXT)?;
    let end = id_of(END_OF_TEXT)?;
    let merges: Vec<&str> = merges
        .lines()
        .filter(|line| !line.starts_with("#version") && !line.trim().is_empty())
        .collect();
    if merges.iter().any(|line| line.split(' ').count() != 2) {
        return Err(TokenizerError::Invalid {
            path: merges_path.to_owned(),
            reason: "every line must hold two symbols separated by a space".to_owned(),
        });
    }
    let special = |id: u64, content: &str| {
        serde_json::json!({"id": id, "content": content, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": false, "special": true})
    };
    let json = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [special(start, START_OF_TEXT), special(end, END_OF_TEXT)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"},
        ]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex":
                "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"},
             "behavior": "Removed", "invert": true},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
        ]},
        "post_processor": {"type": "RobertaProcessing", "sep": [END_OF_TEXT, end],
            "cls": [START_OF_TEXT, start], "trim_offsets": false, "add_prefix_space": false},
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": END_OF_TEXT,
            "continuing_subword_prefix": "", "end_of_word_suffix": "</w>", "fuse_unk": false,
            "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges},
    });
    Ok(json.to_string())
}
