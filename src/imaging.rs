//! The one image loader of the app: files or in-memory bytes (a cover inside an archive) become
//! upright 8-bit RGB pictures, the way Pillow's `exif_transpose` + `convert("RGB")` would see
//! them. EXIF orientation is applied, grey and palette images are expanded, alpha is dropped
//! (not blended), and images too large to decode safely are refused before any pixel memory is
//! allocated.
//!
//! Files are read only when they are regular files (a pipe named `*.jpg` would block forever,
//! a device never ends) and only up to [`MAX_FILE_BYTES`].
//!
//! A JPEG cut short (a download or a copy that stopped) still decodes, its missing part filled
//! grey; [`load`] and [`decode_bytes`] tell it by the end-of-image marker the file lacks, so a
//! caller can report it instead of using a picture that is two-thirds grey. Other formats cut
//! short fail to decode, and say so ([`ImageLoadError::Truncated`]).
//!
//! It never resizes or normalises: what a picture is for (a model input, a thumbnail) is the
//! caller's business.

use std::fs::File;
use std::io::{BufRead, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use crate::i18n::{fill, gettext};

/// Largest image file read. A real photo or page is a few megabytes; anything far larger is
/// not a picture Vistazo should hold in memory.
pub const MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;

/// How large an image may be before it is refused: a small file can claim billions of pixels
/// (a "decompression bomb") and take the machine's memory with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Longest side, in pixels.
    pub max_side: u32,
    /// Width × height.
    pub max_pixels: u64,
    /// Memory the decoder may allocate, in bytes.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    /// Generous for scans of comic pages and camera photos (up to 64 megapixels), small enough
    /// that a few decoding threads stay well within a desktop's memory.
    fn default() -> Self {
        Self {
            max_side: 20_000,
            max_pixels: 64_000_000,
            max_alloc: 512 * 1024 * 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImageLoadError {
    #[error("{}", fill(&gettext("cannot open the image {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("cannot read the image {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Decode {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    #[error("{}", fill(&gettext("the image {path} is too large to open safely ({width}×{height} pixels; the limit is {max_pixels} pixels and {max_side} pixels a side)"), &[("path", &.path.display()), ("width", .width), ("height", .height), ("max_pixels", .max_pixels), ("max_side", .max_side)]))]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        max_pixels: u64,
        max_side: u32,
    },
    /// Over the limits, with a header too broken to tell its size.
    #[error("{}", fill(&gettext("the image {path} is too large to open safely (the limit is {max_pixels} pixels and {max_side} pixels a side)"), &[("path", &.path.display()), ("max_pixels", .max_pixels), ("max_side", .max_side)]))]
    OverLimits {
        path: PathBuf,
        max_pixels: u64,
        max_side: u32,
    },
    #[error("{}", fill(&gettext("the image {path} has no pixels"), &[("path", &.path.display())]))]
    Empty { path: PathBuf },
    #[error("{}", fill(&gettext("truncated image {path}: the file ends before the picture does"), &[("path", &.path.display())]))]
    Truncated { path: PathBuf },
    #[error("{}", fill(&gettext("{path} is not a regular file (a pipe, a device or a socket), so it was not read"), &[("path", &.path.display())]))]
    NotAFile { path: PathBuf },
    #[error("{}", fill(&gettext("the image file {path} is larger than {limit} MiB, so it was not read"), &[("path", &.path.display()), ("limit", &(.limit / (1024 * 1024)))]))]
    FileTooLarge { path: PathBuf, limit: u64 },
}

impl ImageLoadError {
    /// The file (or archive entry) that failed.
    pub fn path(&self) -> &Path {
        match self {
            Self::Open { path, .. }
            | Self::Decode { path, .. }
            | Self::TooLarge { path, .. }
            | Self::OverLimits { path, .. }
            | Self::Empty { path }
            | Self::Truncated { path }
            | Self::NotAFile { path }
            | Self::FileTooLarge { path, .. } => path,
        }
    }
}

/// A decoded picture, and whether its file was all there.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub image: RgbImage,
    /// The file ends before the picture does: the part missing is filled grey.
    pub truncated: bool,
}

impl Decoded {
    /// The picture, or [`ImageLoadError::Truncated`] naming `path` when it was cut short.
    pub fn whole(self, path: &Path) -> Result<RgbImage, ImageLoadError> {
        if self.truncated {
            return Err(ImageLoadError::Truncated {
                path: path.to_owned(),
            });
        }
        Ok(self.image)
    }
}

/// Reads an image file, upright and in RGB, and tells whether it was cut short.
pub fn load(path: &Path, limits: &DecodeLimits) -> Result<Decoded, ImageLoadError> {
    let bytes = read_file(path, MAX_FILE_BYTES)?;
    decode_bytes(&bytes, path, limits)
}

/// Reads an image file, upright and in RGB; a JPEG cut short comes back as far as it goes,
/// the rest grey (see [`load`]).
pub fn load_rgb(path: &Path, limits: &DecodeLimits) -> Result<RgbImage, ImageLoadError> {
    load(path, limits).map(|decoded| decoded.image)
}

/// The bytes of an image file, refused when it is not a regular file or holds more than
/// `limit` bytes.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ImageLoadError> {
    let file = open_regular(path, limit)?;
    let mut bytes = Vec::new();
    // The size can grow after it was checked; the cap holds whatever the file turns out to be.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ImageLoadError::Open {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(ImageLoadError::FileTooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

/// Opens `path` for reading if it is a regular file of at most `limit` bytes. Checked before
/// opening: opening a pipe waits for a writer that may never come.
fn open_regular(path: &Path, limit: u64) -> Result<File, ImageLoadError> {
    let open_error = |source| ImageLoadError::Open {
        path: path.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(open_error)?;
    if !metadata.is_file() {
        return Err(ImageLoadError::NotAFile {
            path: path.to_owned(),
        });
    }
    if metadata.len() > limit {
        return Err(ImageLoadError::FileTooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    File::open(path).map_err(open_error)
}

/// Decodes an image held in memory, and tells whether it was cut short; `name` is what errors
/// report (an archive entry, say).
pub fn decode_bytes(
    bytes: &[u8],
    name: &Path,
    limits: &DecodeLimits,
) -> Result<Decoded, ImageLoadError> {
    let image = decode_rgb(Cursor::new(bytes), name, limits)?;
    let truncated = jpeg_cut_short(bytes);
    Ok(Decoded { image, truncated })
}

/// Decodes an image held in memory; a JPEG cut short comes back as far as it goes (see
/// [`decode_bytes`]).
pub fn decode_rgb_bytes(
    bytes: &[u8],
    name: &Path,
    limits: &DecodeLimits,
) -> Result<RgbImage, ImageLoadError> {
    decode_bytes(bytes, name, limits).map(|decoded| decoded.image)
}

/// Whether `bytes` are a JPEG that ends before its end-of-image marker. The decoder fills what
/// is missing with grey and says nothing, so the markers are walked: segments by their length
/// (an EXIF thumbnail's own end marker is inside one), scans up to the next marker (inside a
/// scan 0xFF is only ever followed by a stuffed 0x00 or a restart marker). Data after the end
/// marker (a motion photo's video, say) is not looked at. Anything not starting like a JPEG
/// is not this function's business: false.
pub fn jpeg_cut_short(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut at = 2;
    loop {
        // The next marker: 0xFF, maybe fill bytes of 0xFF, then its code.
        while bytes.get(at).is_some_and(|&b| b != 0xFF) {
            at += 1;
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else {
            return true;
        };
        at += 1;
        match marker {
            0xD9 => return false,
            0x00 | 0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(at..at + 2) else {
            return true;
        };
        // The length counts its own two bytes.
        at += usize::from(u16::from_be_bytes([length[0], length[1]])).max(2);
        if at > bytes.len() {
            return true;
        }
        if marker == 0xDA {
            // Entropy-coded data, up to the first 0xFF that starts a real marker.
            loop {
                while bytes.get(at).is_some_and(|&b| b != 0xFF) {
                    at += 1;
                }
                let mut next = at + 1;
                while bytes.get(next) == Some(&0xFF) {
                    next += 1;
                }
                match bytes.get(next) {
                    None => return true,
                    Some(0x00 | 0xD0..=0xD7) => at = next + 1,
                    Some(_) => break,
                }
            }
        }
    }
}

fn decode_rgb<R: BufRead + Seek>(
    mut input: R,
    path: &Path,
    limits: &DecodeLimits,
) -> Result<RgbImage, ImageLoadError> {
    let start = input.stream_position().unwrap_or(0);
    match decode_within_limits(&mut input, path, limits) {
        // Refused before the size was known: say the size the file claims.
        Err(ImageLoadError::OverLimits { .. }) => {
            Err(too_large(path, claimed_size(&mut input, start), limits))
        }
        decoded => decoded,
    }
}

fn decode_within_limits<R: BufRead + Seek>(
    input: &mut R,
    path: &Path,
    limits: &DecodeLimits,
) -> Result<RgbImage, ImageLoadError> {
    let decode_error = |source| ImageLoadError::Decode {
        path: path.to_owned(),
        source,
    };
    let mut reader = ImageReader::new(input)
        .with_guessed_format()
        .map_err(|source| ImageLoadError::Open {
            path: path.to_owned(),
            source,
        })?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);

    let mut decoder = match reader.into_decoder() {
        Ok(decoder) => decoder,
        Err(image::ImageError::Limits(_)) => return Err(too_large(path, None, limits)),
        Err(source) => return Err(decode_error(source)),
    };
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageLoadError::Empty {
            path: path.to_owned(),
        });
    }
    if width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(too_large(path, Some((width, height)), limits));
    }
    // A broken EXIF block must not cost the picture: it is then shown as stored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = match DynamicImage::from_decoder(decoder) {
        Ok(image) => image,
        Err(image::ImageError::Limits(_)) => {
            return Err(too_large(path, Some((width, height)), limits));
        }
        Err(source) if ends_early(&source) => {
            return Err(ImageLoadError::Truncated {
                path: path.to_owned(),
            });
        }
        Err(source) => return Err(decode_error(source)),
    };
    image.apply_orientation(orientation);
    Ok(match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.into_rgb8(),
    })
}

/// Whether decoding failed because the data ran out (a PNG cut short, say).
fn ends_early(error: &image::ImageError) -> bool {
    if let image::ImageError::IoError(io) = error {
        return io.kind() == std::io::ErrorKind::UnexpectedEof;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::UnexpectedEof
        {
            return true;
        }
        source = error.source();
    }
    false
}

/// The size an image's header claims, read without limits: only the header is read, no pixel
/// memory is allocated.
fn claimed_size<R: BufRead + Seek>(input: &mut R, start: u64) -> Option<(u32, u32)> {
    input.seek(std::io::SeekFrom::Start(start)).ok()?;
    let mut reader = ImageReader::new(input).with_guessed_format().ok()?;
    reader.no_limits();
    reader.into_dimensions().ok()
}

fn too_large(path: &Path, size: Option<(u32, u32)>, limits: &DecodeLimits) -> ImageLoadError {
    match size {
        Some((width, height)) => ImageLoadError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        },
        None => ImageLoadError::OverLimits {
            path: path.to_owned(),
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .expect("encode a PNG in memory");
        bytes
    }

    #[test]
    fn refuses_images_over_the_pixel_limit_before_decoding() {
        let limits = DecodeLimits {
            max_pixels: 100,
            ..DecodeLimits::default()
        };
        let error = decode_rgb_bytes(&png_bytes(20, 10), Path::new("bomb.png"), &limits)
            .expect_err("200 pixels is over a 100-pixel limit");
        assert!(matches!(
            error,
            ImageLoadError::TooLarge {
                width: 20,
                height: 10,
                ..
            }
        ));
        assert!(error.to_string().contains("bomb.png"), "{error}");
    }

    #[test]
    fn refuses_images_with_a_side_over_the_limit() {
        let limits = DecodeLimits {
            max_side: 16,
            ..DecodeLimits::default()
        };
        let error = decode_rgb_bytes(&png_bytes(20, 4), Path::new("wide.png"), &limits)
            .expect_err("20 pixels wide is over a 16-pixel side");
        assert!(
            matches!(
                error,
                ImageLoadError::TooLarge {
                    width: 20,
                    height: 4,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("(20×4 pixels;"), "{error}");
    }

    #[test]
    fn garbage_is_a_decode_error_naming_the_file() {
        let error = decode_rgb_bytes(
            b"not an image at all",
            Path::new("notes.jpg"),
            &DecodeLimits::default(),
        )
        .expect_err("text is not an image");
        assert_eq!(error.path(), Path::new("notes.jpg"));
        assert!(error.to_string().contains("notes.jpg"), "{error}");
    }

    fn jpeg_bytes(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 3) as u8, (y * 2) as u8, 200])
        });
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
            .expect("encode a JPEG in memory");
        bytes
    }

    #[test]
    fn a_jpeg_cut_short_decodes_but_is_reported_truncated() {
        let whole = jpeg_bytes(64, 96);
        let cut = &whole[..whole.len() * 2 / 3];
        let decoded = decode_bytes(cut, Path::new("cut.jpg"), &DecodeLimits::default())
            .expect("the decoder fills the missing part in");
        assert!(decoded.truncated);
        // What the user would otherwise get: the bottom of the picture is flat grey.
        assert_eq!(decoded.image.get_pixel(63, 95).0, [128, 128, 128]);
        let error = decoded
            .whole(Path::new("cut.jpg"))
            .expect_err("a truncated picture is not whole");
        assert!(matches!(error, ImageLoadError::Truncated { .. }));
        assert!(
            error.to_string().contains("truncated image cut.jpg"),
            "{error}"
        );
    }

    #[test]
    fn a_whole_jpeg_is_not_truncated_even_with_data_after_its_end() {
        let whole = jpeg_bytes(64, 96);
        let decoded =
            decode_bytes(&whole, Path::new("ok.jpg"), &DecodeLimits::default()).expect("decodes");
        assert!(!decoded.truncated);
        // A motion photo: a video appended after the picture's end marker.
        let mut motion = whole.clone();
        motion.extend_from_slice(b"\0\0\0\x18ftypmp42 and more video bytes");
        assert!(!jpeg_cut_short(&motion));
    }

    #[test]
    fn an_end_marker_inside_a_segment_does_not_count() {
        // An APP1 segment (where EXIF keeps its thumbnail) holding FF D9, then the real
        // picture cut in its scan.
        let whole = jpeg_bytes(64, 96);
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD8, 0xFF, 0xD9];
        bytes.extend_from_slice(&whole[2..whole.len() * 2 / 3]);
        assert!(jpeg_cut_short(&bytes));
        // Only the two bytes of the end marker missing.
        assert!(jpeg_cut_short(&whole[..whole.len() - 2]));
        assert!(!jpeg_cut_short(&whole));
    }

    #[test]
    fn a_png_cut_short_is_a_truncated_image_error() {
        let whole = png_bytes(64, 96);
        let error = decode_bytes(
            &whole[..whole.len() * 2 / 3],
            Path::new("cut.png"),
            &DecodeLimits::default(),
        )
        .expect_err("a PNG cut short does not decode");
        assert!(
            matches!(error, ImageLoadError::Truncated { .. }),
            "{error:?}"
        );
        assert!(!jpeg_cut_short(&whole));
    }

    #[test]
    fn decodes_within_limits() {
        let image = decode_rgb_bytes(
            &png_bytes(20, 10),
            Path::new("ok.png"),
            &DecodeLimits::default(),
        )
        .expect("a small PNG decodes");
        assert_eq!(image.dimensions(), (20, 10));
        assert_eq!(image.get_pixel(3, 2).0, [3, 2, 7]);
    }
}
