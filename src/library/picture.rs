//! Decoding a page safely and turning a cover into the thumbnail Babelcomics4 shows.
//!
//! Decoding is bounded ([`MAX_IMAGE_SIDE`], [`MAX_IMAGE_ALLOC`]) so that a picture whose header
//! claims enormous dimensions fails with a clear message instead of exhausting memory, and it
//! honours the EXIF orientation so covers are upright. Nothing here touches the file system.

use std::path::Path;

use image::DynamicImage;
use image::codecs::jpeg::JpegEncoder;

use super::format::{self, PictureFormat};
use super::{MAX_IMAGE_ALLOC, MAX_IMAGE_SIDE};
use crate::i18n::gettext;
use crate::imaging;

/// Thumbnails fit in this box, as Babelcomics4 makes them.
pub const THUMBNAIL_MAX_WIDTH: u32 = 280;
pub const THUMBNAIL_MAX_HEIGHT: u32 = 400;
pub const THUMBNAIL_JPEG_QUALITY: u8 = 85;

/// A cover thumbnail, encoded as JPEG and ready to be written.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Decodes a picture from its bytes, upright, with the app's one image loader
/// ([`crate::imaging`]). The error is a sentence fragment for
/// [`LibraryError::BadImage`](super::LibraryError::BadImage).
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    decode_checked(bytes).map(|decoded| DynamicImage::ImageRgb8(decoded.image))
}

/// [`decode`], telling whether the picture was cut short (see [`imaging::Decoded`]).
pub fn decode_checked(bytes: &[u8]) -> Result<imaging::Decoded, String> {
    if format::sniff_picture(bytes) == Some(PictureFormat::Avif) {
        return Err("AVIF pictures cannot be decoded by this build".to_owned());
    }
    let limits = imaging::DecodeLimits {
        max_side: MAX_IMAGE_SIDE,
        max_alloc: MAX_IMAGE_ALLOC,
        ..imaging::DecodeLimits::default()
    };
    imaging::decode_bytes(bytes, Path::new("page"), &limits).map_err(|error| match error {
        imaging::ImageLoadError::Decode { source, .. } => source.to_string(),
        imaging::ImageLoadError::Truncated { .. } => {
            gettext("truncated image: the file ends before the picture does")
        }
        other => other.to_string(),
    })
}

/// Shrinks `cover` to fit 280x400 (never enlarging it) and encodes it as JPEG quality 85.
pub fn make_thumbnail(cover: &DynamicImage) -> Result<Thumbnail, image::ImageError> {
    let fits = cover.width() <= THUMBNAIL_MAX_WIDTH && cover.height() <= THUMBNAIL_MAX_HEIGHT;
    let small = if fits {
        cover.clone()
    } else {
        cover.thumbnail(THUMBNAIL_MAX_WIDTH, THUMBNAIL_MAX_HEIGHT)
    };
    // JPEG has no alpha channel; transparent pages are flattened the way viewers show them.
    let rgb = small.to_rgb8();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, THUMBNAIL_JPEG_QUALITY).encode_image(&rgb)?;
    Ok(Thumbnail {
        width: rgb.width(),
        height: rgb.height(),
        jpeg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb, RgbImage};
    use std::io::Cursor;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_pixel(width, height, Rgb([200, 30, 30]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .expect("encoding a small PNG in memory");
        bytes
    }

    #[test]
    fn thumbnails_fit_the_babelcomics_box_and_keep_the_aspect() {
        let cover = decode(&png(1000, 1500)).expect("valid PNG");
        let thumbnail = make_thumbnail(&cover).expect("encodes");
        assert_eq!((thumbnail.width, thumbnail.height), (267, 400));
        let wide = make_thumbnail(&decode(&png(1400, 1000)).expect("valid")).expect("encodes");
        assert_eq!((wide.width, wide.height), (280, 200));
        assert!(thumbnail.jpeg.starts_with(b"\xff\xd8\xff"));
    }

    #[test]
    fn small_covers_are_not_enlarged() {
        let thumbnail = make_thumbnail(&decode(&png(100, 150)).expect("valid")).expect("encodes");
        assert_eq!((thumbnail.width, thumbnail.height), (100, 150));
    }

    #[test]
    fn pictures_claiming_huge_dimensions_are_refused_before_decoding() {
        // A BMP header claiming 30000x30000 pixels of 24 bits, and no pixel data.
        let mut bmp = Vec::new();
        bmp.extend_from_slice(b"BM");
        bmp.extend_from_slice(&54u32.to_le_bytes());
        bmp.extend_from_slice(&0u32.to_le_bytes());
        bmp.extend_from_slice(&54u32.to_le_bytes());
        bmp.extend_from_slice(&40u32.to_le_bytes());
        bmp.extend_from_slice(&30_000i32.to_le_bytes());
        bmp.extend_from_slice(&30_000i32.to_le_bytes());
        bmp.extend_from_slice(&1u16.to_le_bytes());
        bmp.extend_from_slice(&24u16.to_le_bytes());
        bmp.extend_from_slice(&[0u8; 24]);
        let error = decode(&bmp).expect_err("over the limits");
        assert!(error.to_lowercase().contains("limit"), "{error}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(b"\xff\xd8\xff\xe0 not really a jpeg").is_err());
        assert!(decode(b"").is_err());
    }
}
