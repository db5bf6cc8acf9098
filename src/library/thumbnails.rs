//! Where cover pictures live on disk, exactly where Babelcomics4 puts and looks for them:
//! `{base}/comics/{id_comicbook}.jpg` for owned comics and
//! `{base}/comicbook_info/{clean volume name}_{id_volume}/{file name}` for catalog covers.
//!
//! The base folder is resolved in one place, [`resolve_base`]. Thumbnails are written atomically
//! and only when none exists, so a thumbnail the user or Babelcomics4 made is never replaced.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::LibraryError;
use super::picture::Thumbnail;
use crate::db::{Database, DbError, Location};

/// Babelcomics4's default for `setups.carpeta_thumbnails`.
pub const DEFAULT_FOLDER: &str = "data/thumbnails";

/// The thumbnails base folder:
/// 1. `explicit` (the `--thumbnails` option) when given;
/// 2. else `setups.carpeta_thumbnails`, or `data/thumbnails` when the database has none.
///
/// A relative folder is taken from where Babelcomics4 runs: the folder that holds `data/`,
/// which is the parent of the database's folder for `…/data/babelcomics.db`. For a database
/// kept anywhere else it is the database's own folder, and for one in memory the current one.
pub fn resolve_base(explicit: Option<&Path>, db: &mut Database) -> Result<PathBuf, DbError> {
    if let Some(folder) = explicit {
        return Ok(folder.to_owned());
    }
    let configured = db
        .babelcomics_thumbnails_folder()?
        .unwrap_or_else(|| DEFAULT_FOLDER.to_owned());
    let configured = PathBuf::from(configured);
    if configured.is_absolute() {
        return Ok(configured);
    }
    let anchor = match db.location() {
        Location::File(path) => babelcomics_root(path),
        Location::Memory => PathBuf::from("."),
    };
    Ok(anchor.join(configured))
}

/// The folder Babelcomics4 runs from, for a database at `database`.
fn babelcomics_root(database: &Path) -> PathBuf {
    let folder = match database.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if folder.file_name().is_some_and(|name| name == "data") {
        match folder.parent() {
            Some(root) if !root.as_os_str().is_empty() => root.to_owned(),
            _ => PathBuf::from("."),
        }
    } else {
        folder
    }
}

/// The cover pictures under one base folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailStore {
    base: PathBuf,
}

impl ThumbnailStore {
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Self { base: base.into() }
    }

    pub fn base(&self) -> &Path {
        &self.base
    }

    /// `{base}/comics/{id}.jpg`, whether or not it exists.
    pub fn comic_thumbnail(&self, id_comicbook: i32) -> PathBuf {
        self.base.join("comics").join(format!("{id_comicbook}.jpg"))
    }

    pub fn has_comic_thumbnail(&self, id_comicbook: i32) -> bool {
        self.comic_thumbnail(id_comicbook).is_file()
    }

    /// Writes the thumbnail of comic `id_comicbook` unless one exists. Returns whether it wrote.
    ///
    /// The picture goes to a temporary file beside the target and is renamed over it, so
    /// Babelcomics4 never shows a half-written thumbnail and a crash leaves none at all.
    pub fn write_comic_thumbnail(
        &self,
        id_comicbook: i32,
        thumbnail: &Thumbnail,
    ) -> Result<bool, LibraryError> {
        let target = self.comic_thumbnail(id_comicbook);
        if target.exists() {
            return Ok(false);
        }
        let folder = self.base.join("comics");
        let write_error = |source| LibraryError::WriteThumbnail {
            path: target.clone(),
            source,
        };
        std::fs::create_dir_all(&folder).map_err(write_error)?;
        let mut temporary = tempfile::Builder::new()
            .prefix(&format!(".{id_comicbook}."))
            .suffix(".jpg.part")
            .tempfile_in(&folder)
            .map_err(write_error)?;
        temporary
            .write_all(&thumbnail.jpeg)
            .and_then(|()| temporary.as_file().sync_data())
            .map_err(write_error)?;
        temporary
            .persist(&target)
            .map_err(|error| write_error(error.error))?;
        Ok(true)
    }

    /// Where Babelcomics4 stores the catalog cover downloaded from `url_imagen` for a volume.
    pub fn catalog_cover(&self, volume_name: &str, id_volume: i32, url_imagen: &str) -> PathBuf {
        self.catalog_folder(volume_name, id_volume)
            .join(url_file_name(url_imagen))
    }

    /// The catalog cover file that exists on disk, looked for as Babelcomics4 names covers when
    /// it downloads them ([`babelcomics_cover_name`]): the name it gives the `variant`-th image
    /// of issue `numero` first (the URL's own name, `{stem}_variant_{k}.{ext}`, or
    /// `issue_{numero}.jpg` / `issue_{numero}_variant_{k}.jpg` for an address without a picture
    /// extension), then the URL's own name, then any variant renamed from it, lowest number
    /// first.
    pub fn find_catalog_cover(
        &self,
        volume_name: &str,
        id_volume: i32,
        cover: &CoverName<'_>,
    ) -> Option<PathBuf> {
        let folder = self.catalog_folder(volume_name, id_volume);
        // A variant's address often names the main cover's file: Babelcomics4's own name for
        // it comes first.
        let downloaded = folder.join(babelcomics_cover_name(cover));
        if downloaded.is_file() {
            return Some(downloaded);
        }
        let file_name = url_file_name(cover.url);
        let exact = folder.join(file_name);
        if !file_name.is_empty() && exact.is_file() {
            return Some(exact);
        }
        let (stem, extension) = match file_name.rsplit_once('.') {
            Some((stem, extension)) => (stem, Some(extension)),
            None => (file_name, None),
        };
        let prefix = format!("{stem}_variant_");
        let mut variants: Vec<(u64, PathBuf)> = std::fs::read_dir(&folder)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let rest = name.strip_prefix(&prefix)?;
                let number = match extension {
                    Some(extension) => rest.strip_suffix(extension)?.strip_suffix('.')?,
                    None => rest,
                };
                let n = number.parse::<u64>().ok()?;
                Some((n, entry.path()))
            })
            .collect();
        variants.sort();
        variants.into_iter().map(|(_, path)| path).next()
    }

    /// `{base}/comicbook_info/{clean volume name}_{id_volume}`, the folder of a volume's covers.
    pub fn catalog_folder(&self, volume_name: &str, id_volume: i32) -> PathBuf {
        self.base
            .join("comicbook_info")
            .join(format!("{}_{id_volume}", clean_volume_name(volume_name)))
    }
}

/// A volume name as Babelcomics4 puts it in a folder name: only the characters for which
/// Python's `str.isalnum()` or `str.isspace()` is true, trimmed (Python's `strip()`).
///
/// Python's `isalnum()` is true for letters (general categories Lu, Ll, Lt, Lm, Lo) and numbers
/// (Nd, Nl, No), and false for combining marks (Mn, Mc), which Rust's `char::is_alphanumeric`
/// keeps: 'नागराज' is the folder 'नगरज', while 'Año' stays 'Año'.
pub fn clean_volume_name(name: &str) -> String {
    name.chars()
        .filter(|c| python_isalnum(*c) || python_isspace(*c))
        .collect::<String>()
        .trim_matches(python_isspace)
        .to_owned()
}

/// Python's `str.isalnum()` for one character: a letter or a number by general category.
fn python_isalnum(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
    )
}

/// Python's `str.isspace()` for one character: Unicode's white space plus the four ASCII
/// separators (U+001C to U+001F) Python counts as space by their bidirectional class.
fn python_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A catalog cover as Babelcomics4 names its file: its address, the number and its
/// place among the images (0 the main cover, k the k-th variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverName<'a> {
    pub url: &'a str,
    pub numero: &'a str,
    pub variant: u32,
}

/// The file name Babelcomics4 gives a cover it downloads: the address's last segment, or
/// `issue_{numero}.jpg` when that segment does not end in `.jpg`, `.jpeg` or `.png` (compared
/// as written, query and all); the k-th variant is `{stem}_variant_{k}.{ext}`, or
/// `issue_{numero}_variant_{k}.jpg`.
pub fn babelcomics_cover_name(cover: &CoverName<'_>) -> String {
    let segment = cover.url.rsplit('/').next().unwrap_or(cover.url);
    let picture = [".jpg", ".jpeg", ".png"]
        .iter()
        .any(|extension| segment.ends_with(extension));
    match (picture, cover.variant) {
        (true, 0) => segment.to_owned(),
        (true, k) => match segment.rsplit_once('.') {
            Some((stem, extension)) => format!("{stem}_variant_{k}.{extension}"),
            None => segment.to_owned(),
        },
        (false, 0) => format!("issue_{}.jpg", cover.numero),
        (false, k) => format!("issue_{}_variant_{k}.jpg", cover.numero),
    }
}

/// The last path segment of an image URL, without query or fragment.
pub fn url_file_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comic_thumbnails_are_named_by_id() {
        let store = ThumbnailStore::new("/data/thumbnails");
        assert_eq!(
            store.comic_thumbnail(42),
            PathBuf::from("/data/thumbnails/comics/42.jpg")
        );
    }

    #[test]
    fn volume_names_are_cleaned_as_python_isalnum_and_isspace_clean_them() {
        // What Python's `"".join(c for c in name if c.isalnum() or c.isspace()).strip()` gives.
        let table = [
            // Latin and Spanish: letters, digits and spaces stay, punctuation goes.
            (" Spider-Man: Año Uno (2019) ", "SpiderMan Año Uno 2019"),
            ("X-Men '97", "XMen 97"),
            ("¡Ñandú! ¿Qué?", "Ñandú Qué"),
            ("Ça ira, l'été", "Ça ira lété"),
            ("!!!", ""),
            // Devanagari: vowel signs (Mc) and the virama (Mn) are combining marks.
            ("नागराज", "नगरज"),
            ("डोगा 1", "डग 1"),
            // Thai: the vowel and tone marks above and below (Mn) go, spacing vowels (Lo) stay.
            ("ผีเสื้อ", "ผเสอ"),
            // Hebrew: the points (Mn) go, the letters stay.
            ("בְּרֵאשִׁית", "בראשית"),
            // CJK: ideographs are letters; the ideographic space is a space, trimmed at the ends.
            ("\u{3000}鉄腕アトム 第1巻\u{3000}", "鉄腕アトム 第1巻"),
            ("ドラゴンボール・超", "ドラゴンボール超"),
            // Digits of other scripts, superscripts, fractions and Roman numerals are numbers.
            ("٣ ١٢ ४२ ๓", "٣ ١٢ ४२ ๓"),
            ("Vol² ½ Ⅻ", "Vol² ½ Ⅻ"),
            // Accents written as combining marks go; precomposed letters stay.
            ("Pok\u{e9}mon Poke\u{301}mon", "Pokémon Pokemon"),
            // Python counts the ASCII separators as space; a tab stays inside.
            ("\u{1c}A\tB\u{1f}", "A\tB"),
            // Symbols and emoji are neither.
            ("Ⓐ ♥ 🦇 Batman™", "Batman"),
        ];
        for (name, folder) in table {
            assert_eq!(clean_volume_name(name), folder, "{name:?}");
        }
    }

    #[test]
    fn covers_are_named_as_babelcomics_downloads_them() {
        let name = |url, numero, variant| {
            babelcomics_cover_name(&CoverName {
                url,
                numero,
                variant,
            })
        };
        let url = "https://cv/uploads/scale_medium/6/67663/8012-saga.jpg";
        assert_eq!(name(url, "1", 0), "8012-saga.jpg");
        assert_eq!(name(url, "1", 2), "8012-saga_variant_2.jpg");
        // No picture extension, as written (upper case, a query): named after the issue.
        assert_eq!(name("https://cv/a/api/image/123/", "7", 0), "issue_7.jpg");
        assert_eq!(
            name("https://cv/a/x.JPG", "1.5", 1),
            "issue_1.5_variant_1.jpg"
        );
        assert_eq!(name("https://cv/a/x.jpg?v=2", "0", 0), "issue_0.jpg");
        assert_eq!(name("https://cv/a/x.png", "Annual 1", 3), "x_variant_3.png");
    }

    #[test]
    fn every_name_babelcomics_saves_a_cover_under_is_found() {
        let base = tempfile::tempdir().expect("temp dir");
        let store = ThumbnailStore::new(base.path());
        let folder = base.path().join("comicbook_info/नगरज_9");
        std::fs::create_dir_all(&folder).expect("create folder");
        let covers = [
            ("https://cv/u/main.jpg", 0, "main.jpg"),
            ("https://cv/u/second.jpg", 1, "second_variant_1.jpg"),
            ("https://cv/u/api/image/77", 0, "issue_12.jpg"),
            ("https://cv/u/api/image/78", 2, "issue_12_variant_2.jpg"),
        ];
        for (_, _, file) in covers {
            std::fs::write(folder.join(file), b"jpg").expect("write");
        }
        for (url, variant, file) in covers {
            let cover = CoverName {
                url,
                numero: "12",
                variant,
            };
            assert_eq!(
                store.find_catalog_cover("नागराज", 9, &cover),
                Some(folder.join(file)),
                "{url}"
            );
        }
    }

    #[test]
    fn catalog_covers_follow_the_babelcomics_layout() {
        let store = ThumbnailStore::new("/t");
        assert_eq!(
            store.catalog_cover(
                "Batman: Year One",
                796,
                "https://comicvine.gamespot.com/a/uploads/scale_medium/0/4/12345-batman.jpg?x=1"
            ),
            PathBuf::from("/t/comicbook_info/Batman Year One_796/12345-batman.jpg")
        );
    }

    #[test]
    fn a_renamed_variant_is_found_when_the_exact_name_is_missing() {
        let base = tempfile::tempdir().expect("temp dir");
        let store = ThumbnailStore::new(base.path());
        let folder = base.path().join("comicbook_info/Saga_123");
        std::fs::create_dir_all(&folder).expect("create folder");
        let url = "https://x/uploads/original/cover.jpg";
        let cover = CoverName {
            url,
            numero: "1",
            variant: 0,
        };
        assert_eq!(store.find_catalog_cover("Saga", 123, &cover), None);
        for name in [
            "cover_variant_10.jpg",
            "cover_variant_2.jpg",
            "cover_variant_x.jpg",
        ] {
            std::fs::write(folder.join(name), b"jpg").expect("write");
        }
        assert_eq!(
            store.find_catalog_cover("Saga", 123, &cover),
            Some(folder.join("cover_variant_2.jpg"))
        );
        std::fs::write(folder.join("cover.jpg"), b"jpg").expect("write");
        assert_eq!(
            store.find_catalog_cover("Saga", 123, &cover),
            Some(folder.join("cover.jpg"))
        );
    }

    #[test]
    fn thumbnails_are_written_once() {
        let base = tempfile::tempdir().expect("temp dir");
        let store = ThumbnailStore::new(base.path());
        let first = Thumbnail {
            width: 1,
            height: 1,
            jpeg: b"first".to_vec(),
        };
        let second = Thumbnail {
            jpeg: b"second".to_vec(),
            ..first.clone()
        };
        assert!(store.write_comic_thumbnail(7, &first).expect("writes"));
        assert!(!store.write_comic_thumbnail(7, &second).expect("no error"));
        let on_disk = std::fs::read(store.comic_thumbnail(7)).expect("read back");
        assert_eq!(on_disk, b"first");
        let leftovers: Vec<_> = std::fs::read_dir(base.path().join("comics"))
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn the_base_folder_is_relative_to_where_babelcomics_runs() {
        assert_eq!(
            babelcomics_root(Path::new("/home/u/Babel/data/babelcomics.db")),
            PathBuf::from("/home/u/Babel")
        );
        assert_eq!(
            babelcomics_root(Path::new("/home/u/.local/share/vistazo/vistazo.db")),
            PathBuf::from("/home/u/.local/share/vistazo")
        );
        assert_eq!(
            babelcomics_root(Path::new("data/babelcomics.db")),
            PathBuf::from(".")
        );
        assert_eq!(babelcomics_root(Path::new("x.db")), PathBuf::from("."));
    }

    #[test]
    fn setups_decides_the_base_unless_the_option_is_given() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("data").join("babelcomics.db");
        let mut db = crate::db::open(&db_path).expect("open");
        let root = dir.path().to_owned();
        assert_eq!(
            resolve_base(None, &mut db).expect("resolves"),
            root.join("data/thumbnails")
        );
        db.set_babelcomics_thumbnails_folder("covers/small")
            .expect("update setups");
        assert_eq!(
            resolve_base(None, &mut db).expect("resolves"),
            root.join("covers/small")
        );
        db.set_babelcomics_thumbnails_folder("/srv/thumbs")
            .expect("update setups");
        assert_eq!(
            resolve_base(None, &mut db).expect("resolves"),
            PathBuf::from("/srv/thumbs")
        );
        assert_eq!(
            resolve_base(Some(Path::new("/elsewhere")), &mut db).expect("resolves"),
            PathBuf::from("/elsewhere")
        );
    }
}
