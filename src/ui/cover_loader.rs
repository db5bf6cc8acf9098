//! Decodes covers off the main thread for the review page and the catalog: owned comics' covers
//! (their thumbnail, else the cover page read from the file) and catalog covers, scaled down to
//! what the page shows. Requests are answered in order; pages ask for what they show first and
//! then for what comes next.

use std::path::PathBuf;

use image::imageops::FilterType;
use relm4::{ComponentSender, Worker};

use crate::imaging::{self, DecodeLimits};
use crate::library;

/// What a decoded cover is, for the page that asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoverKey {
    /// The cover of an owned comic, by comic id.
    Comic(i32),
    /// A catalog cover, by cover id.
    Catalog(i32),
}

/// Where to read a cover from.
#[derive(Debug, Clone)]
pub enum CoverSource {
    /// A picture file.
    File(PathBuf),
    /// The cover page inside a comic file.
    ComicFile(PathBuf),
}

#[derive(Debug)]
pub struct CoverRequest {
    pub key: CoverKey,
    pub source: CoverSource,
    /// Longest side of the decoded picture.
    pub max_side: u32,
}

#[derive(Debug)]
pub enum CoverLoaded {
    Loaded {
        key: CoverKey,
        width: u32,
        height: u32,
        /// Packed RGB, 3 bytes a pixel, rows of `3 * width` bytes.
        rgb: Vec<u8>,
    },
    Failed {
        key: CoverKey,
        reason: String,
    },
}

pub struct CoverLoader;

impl Worker for CoverLoader {
    type Init = ();
    type Input = CoverRequest;
    type Output = CoverLoaded;

    fn init((): Self::Init, _sender: ComponentSender<Self>) -> Self {
        Self
    }

    fn update(&mut self, request: CoverRequest, sender: ComponentSender<Self>) {
        let key = request.key;
        let reply = match decode(&request.source, request.max_side) {
            Ok((width, height, rgb)) => CoverLoaded::Loaded {
                key,
                width,
                height,
                rgb,
            },
            Err(reason) => CoverLoaded::Failed { key, reason },
        };
        if sender.output(reply).is_err() {
            tracing::debug!("the page closed before cover {key:?} was decoded");
        }
    }
}

fn decode(source: &CoverSource, max_side: u32) -> Result<(u32, u32, Vec<u8>), String> {
    let picture = match source {
        CoverSource::File(path) => {
            imaging::load_rgb(path, &DecodeLimits::default()).map_err(|e| e.to_string())?
        }
        CoverSource::ComicFile(path) => library::read_cover(path)
            .map_err(|e| e.to_string())?
            .image
            .into_rgb8(),
    };
    let picture = if picture.width().max(picture.height()) > max_side {
        let scale = f64::from(max_side) / f64::from(picture.width().max(picture.height()));
        let width = ((f64::from(picture.width()) * scale).round() as u32).max(1);
        let height = ((f64::from(picture.height()) * scale).round() as u32).max(1);
        image::imageops::resize(&picture, width, height, FilterType::Triangle)
    } else {
        picture
    };
    Ok((picture.width(), picture.height(), picture.into_raw()))
}
