//! The CLIP engine: everything that runs libtorch. The model and its configuration, image
//! preprocessing, the tokenizer, where the weights come from, device choice, and the
//! [`Engine`] that ties them together for the rest of the app. Nothing here knows about GTK or
//! the database.

pub mod config;
pub mod device;
pub mod engine;
pub mod mkl;
pub mod model;
pub mod passes;
pub mod preprocess;
pub mod tokenizer;
pub mod weights;

pub use config::{ClipConfig, ConfigError};
pub use device::{DeviceError, DevicePreference, RuntimeInfo};
pub use engine::{
    Decoding, EmbedReport, Engine, EngineOptions, ImageEmbedding, ImageFailure, PhaseTimings,
    TextEmbedding,
};
pub use model::{ClipModel, ModelError};
pub use preprocess::{PreprocessError, Preprocessor};
pub use tokenizer::{ClipTokenizer, TokenizerError, TokenizerFiles};
pub use weights::{DownloadEvent, ModelFiles, WeightsError};

/// Anything that stops the engine from loading or running.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Device(#[from] DeviceError),
}
