//! The cover of a PDF comic: its first page, rendered with poppler on a white background at
//! a size large enough for thumbnails and for the image model. Only reads the file.

use std::path::Path;

use image::{DynamicImage, RgbImage};

use super::LibraryError;
use super::cover::CoverPage;

/// Height of the rendered page in pixels: more than the 400 of a thumbnail, and than the 224
/// the model sees, so both are made by shrinking.
const RENDER_HEIGHT: f64 = 1200.0;

/// Widest rendering allowed, for pages with absurd proportions.
const MAX_RENDER_WIDTH: f64 = 4000.0;

/// Opens the PDF at `path` with poppler.
fn open(path: &Path) -> Result<poppler::Document, LibraryError> {
    let corrupt = |detail: String| LibraryError::Corrupt {
        path: path.to_owned(),
        detail,
    };
    let uri = glib::filename_to_uri(path, None).map_err(|e| corrupt(e.to_string()))?;
    poppler::Document::from_file(&uri, None).map_err(|error| {
        if error.matches(poppler::Error::Encrypted) {
            LibraryError::Encrypted {
                path: path.to_owned(),
            }
        } else {
            corrupt(error.to_string())
        }
    })
}

/// How many pages the PDF at `path` has.
pub(super) fn page_count(path: &Path) -> Result<usize, LibraryError> {
    Ok(usize::try_from(open(path)?.n_pages()).unwrap_or(0))
}

/// Renders the first page of the PDF at `path`.
pub(super) fn first_page(path: &Path) -> Result<CoverPage, LibraryError> {
    let corrupt = |detail: String| LibraryError::Corrupt {
        path: path.to_owned(),
        detail,
    };
    let document = open(path)?;
    let page = document.page(0).ok_or_else(|| LibraryError::Empty {
        path: path.to_owned(),
    })?;
    let (width_points, height_points) = page.size();
    if !(width_points > 0.0 && height_points > 0.0) {
        return Err(corrupt(format!(
            "the first page measures {width_points}x{height_points} points"
        )));
    }
    let scale = (RENDER_HEIGHT / height_points).min(MAX_RENDER_WIDTH / width_points);
    let width = (width_points * scale).round().max(1.0) as i32;
    let height = (height_points * scale).round().max(1.0) as i32;

    let cairo_error = |e: cairo::Error| corrupt(e.to_string());
    let mut surface =
        cairo::ImageSurface::create(cairo::Format::Rgb24, width, height).map_err(cairo_error)?;
    {
        let context = cairo::Context::new(&surface).map_err(cairo_error)?;
        // PDF pages are transparent where nothing is drawn; paper is white.
        context.set_source_rgb(1.0, 1.0, 1.0);
        context.paint().map_err(cairo_error)?;
        context.scale(scale, scale);
        page.render(&context);
    }
    surface.flush();
    let stride = surface.stride() as usize;
    let data = surface
        .data()
        .map_err(|e| corrupt(format!("cannot read the rendered page: {e}")))?;
    let (width, height) = (width as u32, height as u32);
    // Cairo's RGB24 is a native-endian 32-bit word per pixel: B, G, R, unused on little-endian.
    let mut rgb = RgbImage::new(width, height);
    for (y, row) in data.chunks(stride).take(height as usize).enumerate() {
        for (x, pixel) in row.chunks_exact(4).take(width as usize).enumerate() {
            let word = u32::from_ne_bytes([pixel[0], pixel[1], pixel[2], pixel[3]]);
            let [_, r, g, b] = word.to_be_bytes();
            rgb.put_pixel(x as u32, y as u32, image::Rgb([r, g, b]));
        }
    }
    Ok(CoverPage {
        entry: "page 1".to_owned(),
        image: DynamicImage::ImageRgb8(rgb),
        // Poppler renders what the file holds; a damaged PDF fails instead.
        truncated: false,
    })
}
