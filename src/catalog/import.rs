//! Importing one ComicVine volume: its row, every issue with its covers, and every cover picture
//! downloaded into Babelcomics4's folders, so that Babelcomics4 shows the volume as if it had
//! fetched it itself.
//!
//! The import is resumable by construction: what it has written (rows, committed a page of
//! issues at a time, and cover files, each recorded once on disk) is what it skips on the next
//! run. It never replaces a catalog row or a cover file that is already there, and it stops
//! between two items when cancelled.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;

use super::CatalogError;
use super::comicvine::{ComicVine, Issue, Volume};
use crate::db::Database;
use crate::db::catalog::{NewIssue, NewVolume};
use crate::i18n::gettext;
use crate::jobs::{CancelToken, Outcome, Progress, ProgressMeter};
use crate::library::picture::{self, THUMBNAIL_JPEG_QUALITY, THUMBNAIL_MAX_HEIGHT};
use crate::library::thumbnails::{CoverName, ThumbnailStore, babelcomics_cover_name};

/// Catalog covers are kept this tall, as Babelcomics4 resizes them when it downloads them.
pub const COVER_HEIGHT: u32 = THUMBNAIL_MAX_HEIGHT;

/// What an import reports while it runs.
#[derive(Debug)]
pub enum CatalogEvent {
    /// The volume is in the database under `name`.
    Volume { id: i32, name: String, issues: i32 },
    /// `listed` of the volume's `total` issues have been read from ComicVine.
    IssuesListed { listed: u64, total: u64 },
    /// `total` cover pictures are missing from disk and will be fetched.
    Downloading { total: u64 },
    /// One more cover handled (saved, found on disk, or skipped).
    Progress(Progress),
    /// A cover could not be saved; the import goes on without it.
    CoverSkipped {
        id_comicbook_info: i32,
        error: CatalogError,
    },
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddVolumeSummary {
    /// The volume's ComicVine id.
    pub id_volume: i32,
    /// Its row in the database: Babelcomics4's own id in the current layout, the ComicVine id
    /// in the keyed one. Its covers folder is named after it.
    pub volume_row: i32,
    pub name: String,
    pub issues_added: u64,
    pub issues_known: u64,
    pub covers_added: u64,
    pub covers_downloaded: u64,
    /// Covers whose file was already on disk.
    pub covers_present: u64,
    pub covers_failed: u64,
    pub outcome: Outcome,
}

/// Imports volume `id_volume` from ComicVine into `db` and its covers into `store`.
///
/// Cancelling (through `cancel`, which should also be the client's) ends it between two
/// items with [`Outcome::Cancelled`]; running it again continues where it stopped. A cover
/// that cannot be fetched (HTTP 4xx) or decoded is reported and skipped; any other failure
/// ends the import with an error, keeping what was saved.
pub fn add_volume(
    db: &mut Database,
    client: &ComicVine,
    store: &ThumbnailStore,
    id_volume: i32,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(CatalogEvent),
) -> Result<AddVolumeSummary, CatalogError> {
    let mut import = Import {
        db,
        client,
        store,
        cancel,
        on_event,
        summary: AddVolumeSummary {
            id_volume,
            volume_row: id_volume,
            name: String::new(),
            issues_added: 0,
            issues_known: 0,
            covers_added: 0,
            covers_downloaded: 0,
            covers_present: 0,
            covers_failed: 0,
            outcome: Outcome::Finished,
        },
    };
    match import.run() {
        Ok(()) => Ok(import.summary),
        Err(CatalogError::Cancelled) => {
            import.summary.outcome = Outcome::Cancelled;
            Ok(import.summary)
        }
        Err(error) => Err(error),
    }
}

struct Import<'a> {
    db: &'a mut Database,
    client: &'a ComicVine,
    store: &'a ThumbnailStore,
    cancel: &'a CancelToken,
    on_event: &'a mut dyn FnMut(CatalogEvent),
    summary: AddVolumeSummary,
}

impl Import<'_> {
    fn run(&mut self) -> Result<(), CatalogError> {
        let id = self.summary.id_volume;
        let volume = self.client.volume(id)?;
        if let Some(publisher) = &volume.publisher {
            self.db.add_publisher(publisher.id, &publisher.name)?;
        }
        // The folder follows the row already in the database, where Babelcomics4 looks.
        let row = self.db.add_volume(&new_volume(&volume))?;
        self.summary.name = row.nombre;
        self.summary.volume_row = row.id_volume;
        (self.on_event)(CatalogEvent::Volume {
            id,
            name: self.summary.name.clone(),
            issues: volume.count_of_issues,
        });
        self.list_issues()?;
        self.download_covers()
    }

    fn check_cancel(&self) -> Result<(), CatalogError> {
        if self.cancel.is_cancelled() {
            Err(CatalogError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Reads every page of the volume's issues and adds the new ones, a page per transaction.
    fn list_issues(&mut self) -> Result<(), CatalogError> {
        let id = self.summary.id_volume;
        let row = self.summary.volume_row;
        let known = self.db.catalog_issue_ids(row)?;
        let mut offset = 0u32;
        loop {
            self.check_cancel()?;
            let page = self.client.volume_issues(id, offset)?;
            let received = u32::try_from(page.results.len()).unwrap_or(u32::MAX);
            let mut batch = Vec::new();
            let mut stopped = None;
            for issue in page.results {
                if known.contains(&i64::from(issue.id)) {
                    self.summary.issues_known += 1;
                    continue;
                }
                match self.with_variants(issue) {
                    Ok(issue) => batch.push(new_issue(&issue)),
                    Err(error) => {
                        stopped = Some(error);
                        break;
                    }
                }
            }
            // What was gathered is saved even when the page was cut short.
            let (issues, covers) = self.db.add_catalog_issues(row, &batch)?;
            self.summary.issues_added += issues as u64;
            self.summary.covers_added += covers as u64;
            if let Some(error) = stopped {
                return Err(error);
            }
            offset = offset.saturating_add(received);
            (self.on_event)(CatalogEvent::IssuesListed {
                listed: u64::from(offset.min(page.total.max(offset))),
                total: u64::from(page.total),
            });
            if received == 0 || offset >= page.total {
                return Ok(());
            }
        }
    }

    /// The issue with its variant covers: lists may leave `associated_images` out, and then
    /// the issue itself is asked for.
    fn with_variants(&self, issue: Issue) -> Result<Issue, CatalogError> {
        if issue.associated_images.is_some() {
            return Ok(issue);
        }
        self.check_cancel()?;
        let detailed = self.client.issue(issue.id)?;
        Ok(Issue {
            associated_images: Some(detailed.associated_images.unwrap_or_default()),
            ..issue
        })
    }

    /// Fetches every cover of the volume that has no file on disk yet.
    fn download_covers(&mut self) -> Result<(), CatalogError> {
        let row = self.summary.volume_row;
        let name = self.summary.name.clone();
        let folder = self.store.catalog_folder(&name, row);
        let covers = self.db.volume_covers(row)?;
        let mut files = self.db.cover_files(row)?;
        let pending: Vec<_> = covers
            .into_iter()
            .filter(|cover| {
                let present = files
                    .get(&cover.id_cover)
                    .is_some_and(|file| folder.join(file).is_file());
                if present {
                    self.summary.covers_present += 1;
                }
                !present
            })
            .collect();
        let total = pending.len() as u64;
        (self.on_event)(CatalogEvent::Downloading { total });
        let mut meter = ProgressMeter::new(total);
        for cover in pending {
            self.check_cancel()?;
            let claimed: HashSet<&str> = files
                .iter()
                .filter(|(id_cover, _)| **id_cover != cover.id_cover)
                .map(|(_, file)| file.as_str())
                .collect();
            // Named as Babelcomics4 names what it downloads, so that it finds the file.
            let wanted = babelcomics_cover_name(&CoverName {
                url: &cover.url_imagen,
                numero: &cover.numero,
                variant: u32::try_from(cover.variant).unwrap_or(0),
            });
            let file_name = match free_file_name(&wanted, &claimed) {
                Some(file_name) => file_name,
                None => {
                    self.skip(
                        cover.id_comicbook_info,
                        CatalogError::BadImage {
                            url: cover.url_imagen.clone(),
                            detail: gettext("the address names no file"),
                        },
                    );
                    (self.on_event)(CatalogEvent::Progress(meter.advance(1)));
                    continue;
                }
            };
            let path = folder.join(&file_name);
            if path.is_file() {
                // Saved by Babelcomics4, or by a run that stopped before recording it.
                self.summary.covers_present += 1;
            } else {
                match fetch_cover(self.client, &cover.url_imagen) {
                    Ok(jpeg) => {
                        write_atomically(&folder, &path, &jpeg)?;
                        self.summary.covers_downloaded += 1;
                    }
                    Err(error @ CatalogError::BadImage { .. })
                    | Err(
                        error @ CatalogError::Http {
                            status: 400..=499, ..
                        },
                    ) => {
                        self.skip(cover.id_comicbook_info, error);
                        (self.on_event)(CatalogEvent::Progress(meter.advance(1)));
                        continue;
                    }
                    Err(error) => return Err(error),
                }
            }
            self.db.record_cover_file(cover.id_cover, &file_name)?;
            files.insert(cover.id_cover, file_name);
            (self.on_event)(CatalogEvent::Progress(meter.advance(1)));
        }
        Ok(())
    }

    fn skip(&mut self, id_comicbook_info: i32, error: CatalogError) {
        self.summary.covers_failed += 1;
        (self.on_event)(CatalogEvent::CoverSkipped {
            id_comicbook_info,
            error,
        });
    }
}

fn new_volume(volume: &Volume) -> NewVolume {
    NewVolume {
        comicvine_id: volume.id,
        nombre: volume.name.trim().to_owned(),
        deck: volume.deck.clone(),
        descripcion: volume.description.clone(),
        url: volume.site_detail_url.clone(),
        image_url: volume
            .image
            .as_ref()
            .and_then(|image| image.medium_url.clone())
            .unwrap_or_default(),
        id_publisher: volume.publisher.as_ref().map_or(0, |p| p.id),
        anio_inicio: volume.start_year.unwrap_or(0),
        cantidad_numeros: volume.count_of_issues,
    }
}

fn new_issue(issue: &Issue) -> NewIssue {
    let numero = issue
        .issue_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("0")
        .to_owned();
    NewIssue {
        comicvine_id: issue.id,
        titulo: issue.name.as_deref().unwrap_or("").trim().to_owned(),
        orden_clasificacion: sort_order(&numero),
        numero,
        fecha_tapa: issue.cover_year(),
        url_api_detalle: issue.api_detail_url.clone(),
        url_sitio_web: issue.site_detail_url.clone(),
        covers: issue.cover_urls(),
    }
}

/// The number as a sort key when it is a number ('12', '1.5', '-1'), else 0.
fn sort_order(numero: &str) -> f64 {
    numero
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .unwrap_or(0.0)
}

/// The file name a cover gets in its volume's folder: the name Babelcomics4 gives it, or,
/// when another cover already holds that name, `{stem}_variant_{n}.{ext}` with the lowest free
/// `n` (the names [`ThumbnailStore::find_catalog_cover`] looks for). `None` when the name is
/// not one file's (empty, `.`, `..`, or a path, which an issue number with a slash makes).
fn free_file_name(url_name: &str, claimed: &HashSet<&str>) -> Option<String> {
    if url_name.is_empty() || url_name == "." || url_name == ".." || url_name.contains('/') {
        return None;
    }
    if !claimed.contains(url_name) {
        return Some(url_name.to_owned());
    }
    let (stem, extension) = match url_name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, Some(extension)),
        _ => (url_name, None),
    };
    (1u32..).find_map(|n| {
        let candidate = match extension {
            Some(extension) => format!("{stem}_variant_{n}.{extension}"),
            None => format!("{stem}_variant_{n}"),
        };
        (!claimed.contains(candidate.as_str())).then_some(candidate)
    })
}

/// Downloads a cover and turns it into the JPEG Babelcomics4 keeps: 400 pixels high, same
/// aspect.
fn fetch_cover(client: &ComicVine, url: &str) -> Result<Vec<u8>, CatalogError> {
    let bytes = client.download(url)?;
    let bad = |detail: String| CatalogError::BadImage {
        url: url.to_owned(),
        detail,
    };
    let cover = picture::decode(&bytes).map_err(bad)?;
    let resized = cover
        .resize(u32::MAX, COVER_HEIGHT, FilterType::Lanczos3)
        .to_rgb8();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, THUMBNAIL_JPEG_QUALITY)
        .encode_image(&resized)
        .map_err(|error| bad(error.to_string()))?;
    Ok(jpeg)
}

/// Writes to a temporary file beside `path` and renames it over, so Babelcomics4 never sees a
/// half-written cover and a crash leaves none.
fn write_atomically(folder: &Path, path: &Path, bytes: &[u8]) -> Result<(), CatalogError> {
    let error = |source| CatalogError::WriteCover {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(folder).map_err(error)?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".cover.")
        .suffix(".part")
        .tempfile_in(folder)
        .map_err(error)?;
    temporary
        .write_all(bytes)
        .and_then(|()| temporary.as_file().sync_data())
        .map_err(error)?;
    temporary.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_names_become_numbered_variants() {
        let none = HashSet::new();
        assert_eq!(free_file_name("a.jpg", &none).as_deref(), Some("a.jpg"));
        let claimed: HashSet<&str> = ["a.jpg", "a_variant_1.jpg"].into_iter().collect();
        assert_eq!(
            free_file_name("a.jpg", &claimed).as_deref(),
            Some("a_variant_2.jpg")
        );
        let claimed: HashSet<&str> = ["cover"].into_iter().collect();
        assert_eq!(
            free_file_name("cover", &claimed).as_deref(),
            Some("cover_variant_1")
        );
        assert_eq!(free_file_name("", &none), None);
        assert_eq!(free_file_name("..", &none), None);
    }

    #[test]
    fn numbers_sort_when_they_are_numbers() {
        assert_eq!(sort_order("12"), 12.0);
        assert_eq!(sort_order("1.5"), 1.5);
        assert_eq!(sort_order("Annual 1"), 0.0);
        assert_eq!(sort_order("inf"), 0.0);
    }

    #[test]
    fn issues_become_babelcomics_rows() {
        let issue: Issue = serde_json::from_value(serde_json::json!({
            "id": 321, "name": " Pilot ", "issue_number": "2", "cover_date": "1999-05-01",
            "image": {"medium_url": "https://x/m/c.jpg"}, "associated_images": [],
            "api_detail_url": "https://x/api/issue/4000-321/",
            "site_detail_url": "https://x/issue/4000-321/"
        }))
        .expect("parses");
        let row = new_issue(&issue);
        assert_eq!(row.titulo, "Pilot");
        assert_eq!(row.numero, "2");
        assert_eq!(row.fecha_tapa, 1999);
        assert_eq!(row.orden_clasificacion, 2.0);
        assert_eq!(row.covers, ["https://x/m/c.jpg"]);
    }
}
