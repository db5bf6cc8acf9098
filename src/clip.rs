//! The CLIP engine: everything that runs libtorch. It owns device choice today; the model,
//! preprocessing and tokenizer live beside it. Nothing here knows about GTK or the database.

pub mod device;

pub use device::{DeviceError, DevicePreference, RuntimeInfo};
