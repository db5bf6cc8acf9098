//! Comic files for the tests, made by code: small, deterministic, one colour per page so a
//! test can tell which page became the cover. The cover page is red, every other page blue.

#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use image::{ImageFormat, Rgb, RgbImage};

pub const COVER: [u8; 3] = [220, 20, 20];
pub const INSIDE: [u8; 3] = [20, 20, 220];

/// A page of one colour, encoded in `format`.
pub fn page(colour: [u8; 3], width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_pixel(width, height, Rgb(colour));
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("encoding a test page in memory");
    bytes
}

pub fn cover_jpeg() -> Vec<u8> {
    page(COVER, 600, 900, ImageFormat::Jpeg)
}

pub fn inside_jpeg() -> Vec<u8> {
    page(INSIDE, 600, 900, ImageFormat::Jpeg)
}

pub fn cover_png() -> Vec<u8> {
    page(COVER, 300, 450, ImageFormat::Png)
}

pub fn inside_png() -> Vec<u8> {
    page(INSIDE, 300, 450, ImageFormat::Png)
}

/// Entries of an archive: name and bytes, in the order they are stored.
pub type Entries = Vec<(String, Vec<u8>)>;

pub fn entries(list: &[(&str, Vec<u8>)]) -> Entries {
    list.iter()
        .map(|(name, bytes)| (name.to_string(), bytes.clone()))
        .collect()
}

/// A ComicInfo.xml marking page `index` as the front cover.
pub fn comicinfo_front_cover(index: usize) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<ComicInfo><Series>Test</Series><Number>1</Number><Pages>
<Page Image="0" Type="Story" /><Page Image="{index}" Type="Story FrontCover" />
</Pages></ComicInfo>"#
    )
    .into_bytes()
}

pub fn write_zip(path: &Path, entries: &Entries) -> PathBuf {
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).expect("zip entry");
        zip.write_all(bytes).expect("zip data");
    }
    zip.finish().expect("finish zip");
    path.to_owned()
}

pub fn write_tar(path: &Path, entries: &Entries) -> PathBuf {
    let file = std::fs::File::create(path).expect("create tar");
    let mut tar = tar::Builder::new(file);
    for (name, bytes) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice())
            .expect("tar entry");
    }
    tar.finish().expect("finish tar");
    path.to_owned()
}

pub fn write_7z(path: &Path, entries: &Entries) -> PathBuf {
    let mut writer = sevenz_rust2::ArchiveWriter::create(path).expect("create 7z");
    for (name, bytes) in entries {
        writer
            .push_archive_entry(
                sevenz_rust2::ArchiveEntry::new_file(name),
                Some(bytes.as_slice()),
            )
            .expect("7z entry");
    }
    writer.finish().expect("finish 7z");
    path.to_owned()
}

/// A RAR5 archive with its files stored (not compressed), which is all a test needs and what
/// a writer can produce from the published format description.
pub fn write_rar5_stored(path: &Path, entries: &Entries) -> PathBuf {
    let mut out = b"Rar!\x1a\x07\x01\x00".to_vec();
    // Main archive header: type 1, no flags, no archive flags.
    out.extend(rar5_block(&[1, 0, 0], &[]));
    for (name, bytes) in entries {
        let mut fields = Vec::new();
        vint(&mut fields, 2); // file header
        vint(&mut fields, 0x0002); // a data area follows
        vint(&mut fields, bytes.len() as u64); // data size
        vint(&mut fields, 0x0004); // file flags: data CRC32 present
        vint(&mut fields, bytes.len() as u64); // unpacked size
        vint(&mut fields, 0o644); // attributes
        fields.extend(crc32(bytes).to_le_bytes());
        vint(&mut fields, 0); // compression: version 0, method 0 (store)
        vint(&mut fields, 1); // host OS: Unix
        vint(&mut fields, name.len() as u64);
        fields.extend(name.as_bytes());
        out.extend(rar5_block(&fields, bytes));
    }
    // End of archive: type 5, no flags.
    out.extend(rar5_block(&[5, 0, 0], &[]));
    std::fs::write(path, out).expect("write rar");
    path.to_owned()
}

fn rar5_block(fields: &[u8], data: &[u8]) -> Vec<u8> {
    let mut sized = Vec::new();
    vint(&mut sized, fields.len() as u64);
    sized.extend(fields);
    let mut block = crc32(&sized).to_le_bytes().to_vec();
    block.extend(sized);
    block.extend(data);
    block
}

fn vint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The CRC-32 that ZIP, RAR5 and PNG use.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A one-page PDF whose page is filled with `colour`.
pub fn write_pdf(path: &Path, colour: [u8; 3]) -> PathBuf {
    let [r, g, b] = colour.map(|c| f32::from(c) / 255.0);
    let content = format!("{r:.3} {g:.3} {b:.3} rg 0 0 200 300 re f\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 300] /Contents 4 0 R >>".to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (number, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", number + 1).into_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    std::fs::write(path, pdf).expect("write pdf");
    path.to_owned()
}

/// A folder whose files are the pages.
pub fn write_folder(path: &Path, entries: &Entries) -> PathBuf {
    std::fs::create_dir_all(path).expect("create folder");
    for (name, bytes) in entries {
        std::fs::write(path.join(name), bytes).expect("write page");
    }
    path.to_owned()
}

/// The RAR files shipped with the tests.
pub fn rar_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rar")
        .join(name)
}

/// The mean colour of a picture file.
pub fn mean_colour(path: &Path) -> [u8; 3] {
    let image = image::open(path).expect("open picture").to_rgb8();
    mean_of(&image)
}

pub fn mean_of(image: &RgbImage) -> [u8; 3] {
    let mut sums = [0u64; 3];
    for pixel in image.pixels() {
        for (sum, value) in sums.iter_mut().zip(pixel.0) {
            *sum += u64::from(value);
        }
    }
    let count = u64::from(image.width()) * u64::from(image.height());
    sums.map(|sum| (sum / count.max(1)) as u8)
}

/// Whether a colour is the cover's red rather than the inside pages' blue.
pub fn is_cover_colour(colour: [u8; 3]) -> bool {
    colour[0] > 150 && colour[2] < 100
}
