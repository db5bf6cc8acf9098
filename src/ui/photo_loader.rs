//! Decodes photos off the main thread for the labeling view, scaled to screen size, so that a
//! key press can show the next photo at once. Requests are answered in order; the view asks
//! for the current photo first, then its neighbours.

use std::path::PathBuf;

use image::imageops::FilterType;
use relm4::{ComponentSender, Worker};

/// Photos are decoded no larger than this on their longest side: enough for a full-screen
/// view, small enough to keep a few in memory.
const MAX_SIDE: u32 = 1600;

#[derive(Debug)]
pub enum LoaderInput {
    Load { id: i64, path: PathBuf },
}

#[derive(Debug)]
pub enum LoaderOutput {
    Loaded {
        id: i64,
        width: u32,
        height: u32,
        /// Packed RGB, 3 bytes a pixel, rows of `3 * width` bytes.
        rgb: Vec<u8>,
    },
    Failed {
        id: i64,
        reason: String,
    },
}

pub struct PhotoLoader;

impl Worker for PhotoLoader {
    type Init = ();
    type Input = LoaderInput;
    type Output = LoaderOutput;

    fn init((): Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self
    }

    fn update(&mut self, message: LoaderInput, sender: ComponentSender<Self>) {
        let LoaderInput::Load { id, path } = message;
        let reply = match decode(&path) {
            Ok((width, height, rgb)) => LoaderOutput::Loaded {
                id,
                width,
                height,
                rgb,
            },
            Err(reason) => LoaderOutput::Failed { id, reason },
        };
        if sender.output(reply).is_err() {
            tracing::debug!("the labeling view closed before photo {id} was decoded");
        }
    }
}

fn decode(path: &std::path::Path) -> Result<(u32, u32, Vec<u8>), String> {
    decode_scaled(path, MAX_SIDE)
}

/// Decodes a photo no larger than `max_side` on its longest side, as packed RGB.
pub fn decode_scaled(path: &std::path::Path, max_side: u32) -> Result<(u32, u32, Vec<u8>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let image =
        crate::library::picture::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let image = if image.width().max(image.height()) > max_side {
        image.resize(max_side, max_side, FilterType::Triangle)
    } else {
        image
    };
    let rgb = image.into_rgb8();
    Ok((rgb.width(), rgb.height(), rgb.into_raw()))
}
