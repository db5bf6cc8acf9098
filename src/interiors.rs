//! Interiors: photos of rooms, labelled bad / medium / good by the user, a quality head and a
//! pairwise ranker trained on their CLIP embeddings, automatic labels where the head is
//! confident, and a 0-100 score that means the same across retrainings.
//!
//! This module owns the learning and the pixel metrics. It never touches GTK, and it reads and
//! writes the database only through `crate::db`.

pub mod active;
pub mod charts;
pub mod explain;
pub mod filters;
pub mod import;
pub mod labeling;
pub mod metrics;
pub mod quality;
pub mod rounds;
pub mod scoring;
pub mod semantics;
pub mod similar;
pub mod training;
pub mod trees;

pub use quality::{LabelSource, Quality};
