//! The one embedding store: L2-normalised vectors as little-endian f32 BLOBs in
//! `vz_embeddings`, keyed by what they picture and by the model that computed them.

use diesel::prelude::*;

use super::schema::vz_embeddings;
use super::{Database, DbError};

/// What an embedding pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A catalog cover (`comicbooks_info_covers.id_cover`).
    Cover,
    /// An owned comic's cover (`comicbooks.id_comicbook`).
    Comic,
    /// A photo of an interior (`vz_photos.id`).
    Photo,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cover => "cover",
            Self::Comic => "comic",
            Self::Photo => "photo",
        }
    }
}

pub fn vector_to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn blob_to_vector(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Database {
    /// Stores (or replaces) the embedding of one subject for one model.
    pub fn put_embedding(
        &mut self,
        subject: Subject,
        subject_id: i64,
        model: &str,
        vector: &[f32],
    ) -> Result<(), DbError> {
        upsert(self.conn(), subject, subject_id, model, vector)?;
        Ok(())
    }

    /// Stores several embeddings of one kind in one transaction: all or none, so a job that
    /// is stopped loses at most the batch it was writing.
    pub fn put_embeddings(
        &mut self,
        subject: Subject,
        model: &str,
        vectors: &[(i64, Vec<f32>)],
    ) -> Result<(), DbError> {
        self.conn().transaction(|conn| {
            for (subject_id, vector) in vectors {
                upsert(conn, subject, *subject_id, model, vector)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        Ok(())
    }

    /// The ids of the subjects of one kind that have an embedding for `model`.
    pub fn embedded_ids(
        &mut self,
        subject: Subject,
        model: &str,
    ) -> Result<std::collections::HashSet<i64>, DbError> {
        Ok(vz_embeddings::table
            .filter(vz_embeddings::subject.eq(subject.as_str()))
            .filter(vz_embeddings::model.eq(model))
            .select(vz_embeddings::subject_id)
            .load::<i64>(self.conn())?
            .into_iter()
            .collect())
    }

    pub fn embedding(
        &mut self,
        subject: Subject,
        subject_id: i64,
        model: &str,
    ) -> Result<Option<Vec<f32>>, DbError> {
        let blob: Option<Vec<u8>> = vz_embeddings::table
            .filter(vz_embeddings::subject.eq(subject.as_str()))
            .filter(vz_embeddings::subject_id.eq(subject_id))
            .filter(vz_embeddings::model.eq(model))
            .select(vz_embeddings::vector)
            .first(self.conn())
            .optional()?;
        Ok(blob.map(|b| blob_to_vector(&b)))
    }

    /// Every embedding of one kind of subject for one model, by subject id.
    pub fn embeddings(
        &mut self,
        subject: Subject,
        model: &str,
    ) -> Result<Vec<(i64, Vec<f32>)>, DbError> {
        let rows: Vec<(i64, Vec<u8>)> = vz_embeddings::table
            .filter(vz_embeddings::subject.eq(subject.as_str()))
            .filter(vz_embeddings::model.eq(model))
            .order(vz_embeddings::subject_id)
            .select((vz_embeddings::subject_id, vz_embeddings::vector))
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|(id, blob)| (id, blob_to_vector(&blob)))
            .collect())
    }
}

fn upsert(
    conn: &mut diesel::SqliteConnection,
    subject: Subject,
    subject_id: i64,
    model: &str,
    vector: &[f32],
) -> Result<(), diesel::result::Error> {
    let blob = vector_to_blob(vector);
    let dim = i32::try_from(vector.len()).unwrap_or(i32::MAX);
    diesel::insert_into(vz_embeddings::table)
        .values((
            vz_embeddings::subject.eq(subject.as_str()),
            vz_embeddings::subject_id.eq(subject_id),
            vz_embeddings::model.eq(model),
            vz_embeddings::dim.eq(dim),
            vz_embeddings::vector.eq(&blob),
        ))
        .on_conflict((
            vz_embeddings::subject,
            vz_embeddings::subject_id,
            vz_embeddings::model,
        ))
        .do_update()
        .set((vz_embeddings::dim.eq(dim), vz_embeddings::vector.eq(&blob)))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_and_replace() {
        let mut db = crate::db::open_in_memory().unwrap();
        db.put_embedding(Subject::Photo, 7, "m", &[0.5, -1.25, 3.0])
            .unwrap();
        db.put_embedding(Subject::Photo, 7, "m", &[1.0, 0.0, -0.0])
            .unwrap();
        db.put_embedding(Subject::Cover, 7, "m", &[2.0]).unwrap();
        assert_eq!(
            db.embedding(Subject::Photo, 7, "m").unwrap(),
            Some(vec![1.0, 0.0, -0.0])
        );
        assert_eq!(db.embedding(Subject::Photo, 7, "other").unwrap(), None);
        assert_eq!(
            db.embeddings(Subject::Cover, "m").unwrap(),
            vec![(7, vec![2.0])]
        );
    }
}
