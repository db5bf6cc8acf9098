//! Photos of interiors, their labels with a history for undo, and the training and
//! auto-labeling rounds. Human labels are never overwritten by automatic ones.

use diesel::prelude::*;

use super::embeddings::{Subject, blob_to_vector};
use super::schema::{
    vz_auto_label_rounds, vz_embeddings, vz_label_history, vz_photo_labels, vz_photo_measurements,
    vz_photos, vz_training_rounds,
};
use super::{Database, DbError};
use crate::interiors::metrics::{FaultMeasurements, PixelMetrics};
use crate::interiors::{LabelSource, Quality};

/// A photo about to be recorded.
#[derive(Debug, Clone)]
pub struct NewPhoto<'a> {
    pub path: &'a str,
    pub content_hash: &'a str,
    pub width: u32,
    pub height: u32,
}

/// What recording a photo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoRecord {
    Added(i64),
    /// The same path was imported before.
    AlreadyKnown(i64),
    /// The same content was imported before under another path.
    Duplicate(i64),
}

impl PhotoRecord {
    pub fn id(self) -> i64 {
        match self {
            Self::Added(id) | Self::AlreadyKnown(id) | Self::Duplicate(id) => id,
        }
    }
}

/// A photo with its current label.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRow {
    pub id: i64,
    pub path: String,
    pub label: Option<(Quality, LabelSource)>,
    pub indoor_score: Option<f64>,
    pub room_score: Option<f64>,
    pub room_type: Option<String>,
}

/// A labelled photo with its embedding.
#[derive(Debug, Clone)]
pub struct LabelledEmbedding {
    pub photo_id: i64,
    pub embedding: Vec<f32>,
    pub quality: Quality,
    pub source: LabelSource,
}

/// A stored training round.
#[derive(Debug, Clone)]
pub struct StoredRound {
    pub id: i64,
    pub created_at: String,
    pub embedding_model: String,
    pub human_labels: i64,
    pub auto_labels: i64,
    pub folds: i64,
    pub accuracy: Option<f64>,
    pub metrics: String,
    pub head: Vec<u8>,
    pub ranker: Vec<u8>,
}

/// A training round's result, to be saved.
#[derive(Debug, Clone)]
pub struct NewRound<'a> {
    pub embedding_model: &'a str,
    pub human_labels: i64,
    pub auto_labels: i64,
    pub folds: i64,
    pub accuracy: Option<f64>,
    pub metrics: &'a str,
    pub head: &'a [u8],
    pub ranker: &'a [u8],
}

fn label_of(label: &str, source: &str) -> Option<(Quality, LabelSource)> {
    Some((label.parse().ok()?, LabelSource::parse(source)?))
}

impl Database {
    /// Records a photo once per path and once per content.
    pub fn record_photo(&mut self, photo: &NewPhoto<'_>) -> Result<PhotoRecord, DbError> {
        self.conn().immediate_transaction(|conn| {
            if let Some(id) = vz_photos::table
                .filter(vz_photos::path.eq(photo.path))
                .select(vz_photos::id)
                .first::<i64>(conn)
                .optional()?
            {
                return Ok(PhotoRecord::AlreadyKnown(id));
            }
            if let Some(id) = vz_photos::table
                .filter(vz_photos::content_hash.eq(photo.content_hash))
                .select(vz_photos::id)
                .first::<i64>(conn)
                .optional()?
            {
                return Ok(PhotoRecord::Duplicate(id));
            }
            let id = diesel::insert_into(vz_photos::table)
                .values((
                    vz_photos::path.eq(photo.path),
                    vz_photos::content_hash.eq(photo.content_hash),
                    vz_photos::width.eq(i32::try_from(photo.width).unwrap_or(i32::MAX)),
                    vz_photos::height.eq(i32::try_from(photo.height).unwrap_or(i32::MAX)),
                ))
                .returning(vz_photos::id)
                .get_result(conn)?;
            Ok(PhotoRecord::Added(id))
        })
    }

    pub fn set_photo_metrics(&mut self, id: i64, metrics: &PixelMetrics) -> Result<(), DbError> {
        diesel::update(vz_photos::table.find(id))
            .set((
                vz_photos::brightness.eq(metrics.brightness),
                vz_photos::contrast.eq(metrics.contrast),
                vz_photos::sharpness.eq(metrics.sharpness),
                vz_photos::colourfulness.eq(metrics.colourfulness),
            ))
            .execute(self.conn())?;
        Ok(())
    }

    /// Stores the measurements kept beside the photo's row, with its perceptual fingerprint
    /// (see `matching::hash`).
    pub fn set_photo_measurements(
        &mut self,
        id: i64,
        metrics: &FaultMeasurements,
        fingerprint: &[u8],
    ) -> Result<(), DbError> {
        diesel::replace_into(vz_photo_measurements::table)
            .values((
                vz_photo_measurements::photo_id.eq(id),
                vz_photo_measurements::noise.eq(metrics.noise),
                vz_photo_measurements::tilt.eq(metrics.tilt),
                vz_photo_measurements::straightness.eq(metrics.straightness),
                vz_photo_measurements::colour_variety.eq(metrics.colour_variety),
                vz_photo_measurements::fingerprint.eq(fingerprint),
            ))
            .execute(self.conn())?;
        Ok(())
    }

    /// The stored fingerprint of every photo that has one.
    pub fn photo_fingerprints(
        &mut self,
    ) -> Result<std::collections::HashMap<i64, Vec<u8>>, DbError> {
        Ok(vz_photo_measurements::table
            .select((
                vz_photo_measurements::photo_id,
                vz_photo_measurements::fingerprint,
            ))
            .load::<(i64, Vec<u8>)>(self.conn())?
            .into_iter()
            .collect())
    }

    pub fn set_photo_semantics(
        &mut self,
        id: i64,
        indoor_score: f64,
        room_score: f64,
        room_type: &str,
    ) -> Result<(), DbError> {
        diesel::update(vz_photos::table.find(id))
            .set((
                vz_photos::indoor_score.eq(indoor_score),
                vz_photos::room_score.eq(room_score),
                vz_photos::room_type.eq(room_type),
            ))
            .execute(self.conn())?;
        Ok(())
    }

    /// The pixel metrics of every measured photo. A photo imported before the fault
    /// measurements existed has none of those until an import measures it again.
    pub fn photo_metrics(
        &mut self,
    ) -> Result<std::collections::HashMap<i64, PixelMetrics>, DbError> {
        type Row = (
            i64,
            i32,
            i32,
            (Option<f64>, Option<f64>, Option<f64>, Option<f64>),
            Option<(f64, f64, f64, f64)>,
        );
        let rows: Vec<Row> = vz_photos::table
            .left_join(vz_photo_measurements::table)
            .select((
                vz_photos::id,
                vz_photos::width,
                vz_photos::height,
                (
                    vz_photos::brightness,
                    vz_photos::contrast,
                    vz_photos::sharpness,
                    vz_photos::colourfulness,
                ),
                (
                    vz_photo_measurements::noise,
                    vz_photo_measurements::tilt,
                    vz_photo_measurements::straightness,
                    vz_photo_measurements::colour_variety,
                )
                    .nullable(),
            ))
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, width, height, first, second)| {
                let (brightness, contrast, sharpness, colourfulness) = first;
                let faults =
                    second.map(
                        |(noise, tilt, straightness, colour_variety)| FaultMeasurements {
                            noise,
                            tilt,
                            straightness,
                            colour_variety,
                        },
                    );
                Some((
                    id,
                    PixelMetrics {
                        brightness: brightness?,
                        contrast: contrast?,
                        sharpness: sharpness?,
                        colourfulness: colourfulness?,
                        faults,
                        width: u32::try_from(width).unwrap_or(0),
                        height: u32::try_from(height).unwrap_or(0),
                    },
                ))
            })
            .collect())
    }

    /// Photos whose measurements are missing or older than the newest ones.
    pub fn photos_to_measure(&mut self) -> Result<std::collections::HashSet<i64>, DbError> {
        Ok(vz_photos::table
            .left_join(vz_photo_measurements::table)
            .filter(
                vz_photos::brightness
                    .is_null()
                    .or(vz_photo_measurements::photo_id.nullable().is_null()),
            )
            .select(vz_photos::id)
            .load::<i64>(self.conn())?
            .into_iter()
            .collect())
    }

    pub fn photo_id_by_path(&mut self, path: &str) -> Result<Option<i64>, DbError> {
        Ok(vz_photos::table
            .filter(vz_photos::path.eq(path))
            .select(vz_photos::id)
            .first(self.conn())
            .optional()?)
    }

    pub fn photo_id_by_hash(&mut self, content_hash: &str) -> Result<Option<i64>, DbError> {
        Ok(vz_photos::table
            .filter(vz_photos::content_hash.eq(content_hash))
            .select(vz_photos::id)
            .first(self.conn())
            .optional()?)
    }

    /// Every photo with its label, in import order.
    pub fn photos(&mut self) -> Result<Vec<PhotoRow>, DbError> {
        type Row = (
            i64,
            String,
            Option<f64>,
            Option<f64>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = vz_photos::table
            .left_join(vz_photo_labels::table)
            .order(vz_photos::id)
            .select((
                vz_photos::id,
                vz_photos::path,
                vz_photos::indoor_score,
                vz_photos::room_score,
                vz_photos::room_type,
                vz_photo_labels::label.nullable(),
                vz_photo_labels::source.nullable(),
            ))
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(
                |(id, path, indoor, room, room_type, label, source)| PhotoRow {
                    id,
                    path,
                    label: label.zip(source).and_then(|(l, s)| label_of(&l, &s)),
                    indoor_score: indoor,
                    room_score: room,
                    room_type,
                },
            )
            .collect())
    }

    pub fn label(&mut self, photo_id: i64) -> Result<Option<(Quality, LabelSource)>, DbError> {
        let row: Option<(String, String)> = vz_photo_labels::table
            .find(photo_id)
            .select((vz_photo_labels::label, vz_photo_labels::source))
            .first(self.conn())
            .optional()?;
        Ok(row.and_then(|(l, s)| label_of(&l, &s)))
    }

    /// The user labels a photo. Saved at once, with a history entry for undo.
    pub fn set_human_label(&mut self, photo_id: i64, quality: Quality) -> Result<(), DbError> {
        self.conn().immediate_transaction(|conn| {
            write_label(
                conn,
                photo_id,
                Some((quality, LabelSource::Human)),
                None,
                None,
            )
        })
    }

    /// Labels a photo automatically, unless a human already labelled it. Returns whether the
    /// label was written.
    pub fn set_auto_label(
        &mut self,
        photo_id: i64,
        quality: Quality,
        confidence: f64,
        round_id: i64,
    ) -> Result<bool, DbError> {
        self.conn().immediate_transaction(|conn| {
            let current: Option<String> = vz_photo_labels::table
                .find(photo_id)
                .select(vz_photo_labels::source)
                .first(conn)
                .optional()?;
            if current.as_deref() == Some(LabelSource::Human.as_str()) {
                return Ok(false);
            }
            write_label(
                conn,
                photo_id,
                Some((quality, LabelSource::Auto)),
                Some(confidence),
                Some(round_id),
            )?;
            Ok(true)
        })
    }

    /// Puts a photo's label back to what it was before (`None`: no label), recording the change.
    pub fn restore_label(
        &mut self,
        photo_id: i64,
        label: Option<(Quality, LabelSource)>,
    ) -> Result<(), DbError> {
        self.conn()
            .immediate_transaction(|conn| write_label(conn, photo_id, label, None, None))
    }

    /// Undoes the most recent label change, whatever it was. Returns the photo it touched.
    pub fn undo_last_label(&mut self) -> Result<Option<i64>, DbError> {
        self.conn().immediate_transaction(|conn| {
            type History = (i64, i64, Option<String>, Option<String>);
            let last: Option<History> = vz_label_history::table
                .order(vz_label_history::id.desc())
                .select((
                    vz_label_history::id,
                    vz_label_history::photo_id,
                    vz_label_history::old_label,
                    vz_label_history::old_source,
                ))
                .first(conn)
                .optional()?;
            let Some((history_id, photo_id, old_label, old_source)) = last else {
                return Ok(None);
            };
            diesel::delete(vz_photo_labels::table.find(photo_id)).execute(conn)?;
            if let Some((label, source)) = old_label.zip(old_source) {
                diesel::insert_into(vz_photo_labels::table)
                    .values((
                        vz_photo_labels::photo_id.eq(photo_id),
                        vz_photo_labels::label.eq(label),
                        vz_photo_labels::source.eq(source),
                    ))
                    .execute(conn)?;
            }
            diesel::delete(vz_label_history::table.find(history_id)).execute(conn)?;
            Ok(Some(photo_id))
        })
    }

    /// Labelled photos that have an embedding from `model`.
    pub fn labelled_embeddings(&mut self, model: &str) -> Result<Vec<LabelledEmbedding>, DbError> {
        let rows: Vec<(i64, String, String, Vec<u8>)> = vz_photo_labels::table
            .inner_join(
                vz_embeddings::table.on(vz_embeddings::subject_id
                    .eq(vz_photo_labels::photo_id)
                    .and(vz_embeddings::subject.eq(Subject::Photo.as_str()))
                    .and(vz_embeddings::model.eq(model))),
            )
            .order(vz_photo_labels::photo_id)
            .select((
                vz_photo_labels::photo_id,
                vz_photo_labels::label,
                vz_photo_labels::source,
                vz_embeddings::vector,
            ))
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .filter_map(|(photo_id, label, source, blob)| {
                let (quality, source) = label_of(&label, &source)?;
                Some(LabelledEmbedding {
                    photo_id,
                    embedding: blob_to_vector(&blob),
                    quality,
                    source,
                })
            })
            .collect())
    }

    /// Photos with an embedding from `model` and no label yet.
    pub fn unlabelled_embeddings(&mut self, model: &str) -> Result<Vec<(i64, Vec<f32>)>, DbError> {
        let labelled: Vec<i64> = vz_photo_labels::table
            .select(vz_photo_labels::photo_id)
            .load(self.conn())?;
        let all = self.embeddings(Subject::Photo, model)?;
        let labelled: std::collections::HashSet<i64> = labelled.into_iter().collect();
        Ok(all
            .into_iter()
            .filter(|(id, _)| !labelled.contains(id))
            .collect())
    }

    pub fn save_training_round(&mut self, round: &NewRound<'_>) -> Result<i64, DbError> {
        Ok(diesel::insert_into(vz_training_rounds::table)
            .values((
                vz_training_rounds::embedding_model.eq(round.embedding_model),
                vz_training_rounds::human_labels.eq(round.human_labels),
                vz_training_rounds::auto_labels.eq(round.auto_labels),
                vz_training_rounds::folds.eq(round.folds),
                vz_training_rounds::accuracy.eq(round.accuracy),
                vz_training_rounds::metrics.eq(round.metrics),
                vz_training_rounds::head.eq(round.head),
                vz_training_rounds::ranker.eq(round.ranker),
            ))
            .returning(vz_training_rounds::id)
            .get_result(self.conn())?)
    }

    /// Every training round, oldest first.
    pub fn training_rounds(&mut self) -> Result<Vec<StoredRound>, DbError> {
        type Row = (
            i64,
            String,
            String,
            i64,
            i64,
            i64,
            Option<f64>,
            String,
            Vec<u8>,
            Vec<u8>,
        );
        let rows: Vec<Row> = vz_training_rounds::table
            .order(vz_training_rounds::id)
            .select((
                vz_training_rounds::id,
                vz_training_rounds::created_at,
                vz_training_rounds::embedding_model,
                vz_training_rounds::human_labels,
                vz_training_rounds::auto_labels,
                vz_training_rounds::folds,
                vz_training_rounds::accuracy,
                vz_training_rounds::metrics,
                vz_training_rounds::head,
                vz_training_rounds::ranker,
            ))
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    created_at,
                    embedding_model,
                    human,
                    auto,
                    folds,
                    accuracy,
                    metrics,
                    head,
                    ranker,
                )| {
                    StoredRound {
                        id,
                        created_at,
                        embedding_model,
                        human_labels: human,
                        auto_labels: auto,
                        folds,
                        accuracy,
                        metrics,
                        head,
                        ranker,
                    }
                },
            )
            .collect())
    }

    pub fn latest_training_round(&mut self) -> Result<Option<StoredRound>, DbError> {
        Ok(self.training_rounds()?.pop())
    }

    /// The id of the most recent training round, without loading any model.
    pub fn latest_training_round_id(&mut self) -> Result<Option<i64>, DbError> {
        Ok(vz_training_rounds::table
            .select(diesel::dsl::max(vz_training_rounds::id))
            .first(self.conn())?)
    }

    pub fn save_auto_label_round(
        &mut self,
        training_round_id: i64,
        min_confidence: f64,
        considered: i64,
        labeled: i64,
        counts: &str,
    ) -> Result<i64, DbError> {
        Ok(diesel::insert_into(vz_auto_label_rounds::table)
            .values((
                vz_auto_label_rounds::training_round_id.eq(training_round_id),
                vz_auto_label_rounds::min_confidence.eq(min_confidence),
                vz_auto_label_rounds::considered.eq(considered),
                vz_auto_label_rounds::labeled.eq(labeled),
                vz_auto_label_rounds::counts.eq(counts),
            ))
            .returning(vz_auto_label_rounds::id)
            .get_result(self.conn())?)
    }
}

impl Database {
    /// Records the outcome of an auto-labeling round saved by `save_auto_label_round`.
    pub fn finish_auto_label_round(
        &mut self,
        round_id: i64,
        labeled: i64,
        counts: &str,
    ) -> Result<(), DbError> {
        diesel::update(vz_auto_label_rounds::table.find(round_id))
            .set((
                vz_auto_label_rounds::labeled.eq(labeled),
                vz_auto_label_rounds::counts.eq(counts),
            ))
            .execute(self.conn())?;
        Ok(())
    }
}

/// Replaces a photo's label (or removes it with `None`) and records the change.
fn write_label(
    conn: &mut SqliteConnection,
    photo_id: i64,
    new: Option<(Quality, LabelSource)>,
    confidence: Option<f64>,
    round_id: Option<i64>,
) -> Result<(), DbError> {
    let old: Option<(String, String)> = vz_photo_labels::table
        .find(photo_id)
        .select((vz_photo_labels::label, vz_photo_labels::source))
        .first(conn)
        .optional()?;
    diesel::insert_into(vz_label_history::table)
        .values((
            vz_label_history::photo_id.eq(photo_id),
            vz_label_history::old_label.eq(old.as_ref().map(|(l, _)| l.as_str())),
            vz_label_history::old_source.eq(old.as_ref().map(|(_, s)| s.as_str())),
            vz_label_history::new_label.eq(new.map(|(q, _)| q.as_str())),
            vz_label_history::new_source.eq(new.map(|(_, s)| s.as_str())),
        ))
        .execute(conn)?;
    diesel::delete(vz_photo_labels::table.find(photo_id)).execute(conn)?;
    if let Some((quality, source)) = new {
        diesel::insert_into(vz_photo_labels::table)
            .values((
                vz_photo_labels::photo_id.eq(photo_id),
                vz_photo_labels::label.eq(quality.as_str()),
                vz_photo_labels::source.eq(source.as_str()),
                vz_photo_labels::confidence.eq(confidence),
                vz_photo_labels::round_id.eq(round_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(db: &mut Database, path: &str, hash: &str) -> PhotoRecord {
        db.record_photo(&NewPhoto {
            path,
            content_hash: hash,
            width: 640,
            height: 480,
        })
        .unwrap()
    }

    #[test]
    fn a_photo_is_recorded_once_per_path_and_per_content() {
        let mut db = crate::db::open_in_memory().unwrap();
        let first = photo(&mut db, "/p/a.jpg", "h1");
        assert!(matches!(first, PhotoRecord::Added(_)));
        assert_eq!(
            photo(&mut db, "/p/a.jpg", "h1"),
            PhotoRecord::AlreadyKnown(first.id())
        );
        assert_eq!(
            photo(&mut db, "/q/copy.jpg", "h1"),
            PhotoRecord::Duplicate(first.id())
        );
        assert_eq!(db.photos().unwrap().len(), 1);
        assert_eq!(db.photo_id_by_path("/p/a.jpg").unwrap(), Some(first.id()));
    }

    #[test]
    fn human_labels_win_over_automatic_ones_and_undo_walks_back() {
        let mut db = crate::db::open_in_memory().unwrap();
        let a = photo(&mut db, "/a.jpg", "a").id();
        let b = photo(&mut db, "/b.jpg", "b").id();
        db.set_human_label(a, Quality::Good).unwrap();
        assert!(!db.set_auto_label(a, Quality::Bad, 0.9, 1).unwrap());
        assert_eq!(
            db.label(a).unwrap(),
            Some((Quality::Good, LabelSource::Human))
        );

        assert!(db.set_auto_label(b, Quality::Medium, 0.2, 1).unwrap());
        db.set_human_label(b, Quality::Bad).unwrap();
        assert_eq!(
            db.label(b).unwrap(),
            Some((Quality::Bad, LabelSource::Human))
        );

        assert_eq!(db.undo_last_label().unwrap(), Some(b));
        assert_eq!(
            db.label(b).unwrap(),
            Some((Quality::Medium, LabelSource::Auto))
        );
        assert_eq!(db.undo_last_label().unwrap(), Some(b));
        assert_eq!(db.label(b).unwrap(), None);
        assert_eq!(db.undo_last_label().unwrap(), Some(a));
        assert_eq!(db.label(a).unwrap(), None);
        assert_eq!(db.undo_last_label().unwrap(), None);
    }

    #[test]
    fn labelled_and_unlabelled_embeddings_are_split_by_model() {
        let mut db = crate::db::open_in_memory().unwrap();
        let a = photo(&mut db, "/a.jpg", "a").id();
        let b = photo(&mut db, "/b.jpg", "b").id();
        let c = photo(&mut db, "/c.jpg", "c").id();
        for id in [a, b, c] {
            db.put_embedding(Subject::Photo, id, "m", &[id as f32, 1.0])
                .unwrap();
        }
        db.put_embedding(Subject::Photo, a, "other", &[9.0])
            .unwrap();
        db.set_human_label(a, Quality::Bad).unwrap();
        db.set_human_label(c, Quality::Good).unwrap();
        let labelled = db.labelled_embeddings("m").unwrap();
        assert_eq!(labelled.len(), 2);
        assert_eq!(labelled[0].photo_id, a);
        assert_eq!(labelled[0].embedding, vec![a as f32, 1.0]);
        assert_eq!(labelled[1].quality, Quality::Good);
        assert_eq!(
            db.unlabelled_embeddings("m").unwrap(),
            vec![(b, vec![b as f32, 1.0])]
        );
        assert!(db.labelled_embeddings("none").unwrap().is_empty());
    }
}
