//! Editions: the same cover in several volumes of the catalog (an original and its translation
//! by another publisher). Which publisher the user prefers for such ties, set by the user or
//! learnt from the editions they picked in review.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::{Database, DbError};

/// The `vz_settings` key holding the id of the publisher the user prefers.
const PREFERRED_PUBLISHER_KEY: &str = "matching.preferred-publisher";

/// A catalog publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    pub id_publisher: i32,
    pub name: String,
}

/// The publisher whose edition matching takes when several share a comic's cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferredPublisher {
    pub publisher: Publisher,
    /// Learnt from the editions picked in review; `false`: set by the user.
    pub learnt: bool,
}

#[derive(QueryableByName)]
struct PublisherRow {
    #[diesel(sql_type = Integer)]
    id_publisher: i32,
    #[diesel(sql_type = Text)]
    name: String,
}

impl From<PublisherRow> for Publisher {
    fn from(row: PublisherRow) -> Self {
        Self {
            id_publisher: row.id_publisher,
            name: row.name,
        }
    }
}

impl Database {
    /// The publisher of each catalog volume that names a known one, by volume id.
    pub fn volume_publishers(&mut self) -> Result<HashMap<i32, Publisher>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            id_volume: i32,
            #[diesel(sql_type = Integer)]
            id_publisher: i32,
            #[diesel(sql_type = Text)]
            name: String,
        }
        let publishes = self.catalog_layout().publishes("p", "v");
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT v.id_volume, p.id_publisher, coalesce(p.nombre, '') AS name \
             FROM volumens v JOIN publishers p ON {publishes}"
        ))
        .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.id_volume,
                    Publisher {
                        id_publisher: r.id_publisher,
                        name: r.name,
                    },
                )
            })
            .collect())
    }

    /// The publishers of the catalog's volumes, by name.
    pub fn catalog_publishers(&mut self) -> Result<Vec<Publisher>, DbError> {
        let publishes = self.catalog_layout().publishes("p", "v");
        let rows: Vec<PublisherRow> = diesel::sql_query(format!(
            "SELECT DISTINCT p.id_publisher, coalesce(p.nombre, '') AS name \
             FROM publishers p JOIN volumens v ON {publishes} \
             ORDER BY name, p.id_publisher"
        ))
        .load(self.conn())?;
        Ok(rows.into_iter().map(Publisher::from).collect())
    }

    /// Records that the user classified `comic_id` as `id_comicbook_info` where its suggestion
    /// offered that issue as one of several editions of the comic's cover. Returns whether it
    /// was such a pick (anything else is not recorded).
    pub fn record_edition_choice(
        &mut self,
        comic_id: i32,
        id_comicbook_info: i32,
    ) -> Result<bool, DbError> {
        // The publisher's row, as `volume_publishers` names it in either layout.
        let publishes = self.catalog_layout().publishes("p", "v");
        let recorded = diesel::sql_query(format!(
            "INSERT OR REPLACE INTO vz_edition_choices (comic_id, id_comicbook_info, id_publisher) \
             SELECT s.comic_id, s.id_comicbook_info, \
                    coalesce((SELECT p.id_publisher FROM publishers p WHERE {publishes} \
                              ORDER BY p.id_publisher LIMIT 1), v.id_publisher) \
             FROM vz_suggestions s \
             LEFT JOIN comicbooks_info i ON i.id_comicbook_info = s.id_comicbook_info \
             LEFT JOIN volumens v ON v.id_volume = i.id_volume \
             WHERE s.comic_id = ? AND s.id_comicbook_info = ? AND s.edition LIMIT 1"
        ))
        .bind::<Integer, _>(comic_id)
        .bind::<Integer, _>(id_comicbook_info)
        .execute(self.conn())?;
        Ok(recorded > 0)
    }

    /// Sets (or, with `None`, clears) the publisher the user prefers among editions.
    pub fn set_preferred_publisher(&mut self, id_publisher: Option<i32>) -> Result<(), DbError> {
        let value = id_publisher.map(|id| id.to_string()).unwrap_or_default();
        self.set_setting(PREFERRED_PUBLISHER_KEY, &value)
    }

    /// The publisher the user set, when it is still in the catalog.
    pub fn chosen_preferred_publisher(&mut self) -> Result<Option<Publisher>, DbError> {
        let Some(id) = self
            .setting(PREFERRED_PUBLISHER_KEY)?
            .and_then(|value| value.trim().parse::<i32>().ok())
        else {
            return Ok(None);
        };
        let row: Option<PublisherRow> = diesel::sql_query(
            "SELECT id_publisher, coalesce(nombre, '') AS name FROM publishers \
             WHERE id_publisher = ?",
        )
        .bind::<Integer, _>(id)
        .get_result(self.conn())
        .optional()?;
        Ok(row.map(Publisher::from))
    }

    /// The publisher matching prefers among editions: the one the user set, else the one whose
    /// editions the user picked most in review (still standing, and strictly more often than
    /// any other), else none.
    pub fn preferred_publisher(&mut self) -> Result<Option<PreferredPublisher>, DbError> {
        if let Some(publisher) = self.chosen_preferred_publisher()? {
            return Ok(Some(PreferredPublisher {
                publisher,
                learnt: false,
            }));
        }
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            id_publisher: i32,
            #[diesel(sql_type = Nullable<Text>)]
            name: Option<String>,
            #[diesel(sql_type = BigInt)]
            picks: i64,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT e.id_publisher, p.nombre AS name, count(*) AS picks \
             FROM vz_edition_choices e \
             JOIN comicbooks c ON c.id_comicbook = e.comic_id \
             LEFT JOIN publishers p ON p.id_publisher = e.id_publisher \
             WHERE e.id_publisher IS NOT NULL AND NOT c.en_papelera \
               AND trim(coalesce(c.id_comicbook_info, '')) = CAST(e.id_comicbook_info AS TEXT) \
             GROUP BY e.id_publisher ORDER BY picks DESC, e.id_publisher LIMIT 2",
        )
        .load(self.conn())?;
        Ok(match rows.as_slice() {
            [first, second] if first.picks == second.picks => None,
            [first, ..] => Some(PreferredPublisher {
                publisher: Publisher {
                    id_publisher: first.id_publisher,
                    name: first.name.clone().unwrap_or_default(),
                },
                learnt: true,
            }),
            [] => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::db::catalog::{NewIssue, NewVolume};
    use crate::db::matching::StoredCandidate;
    use crate::db::{Database, open_in_memory};

    fn volume(db: &mut Database, id_volume: i32, id_publisher: i32, issue: i32) {
        db.add_volume(&NewVolume {
            comicvine_id: id_volume,
            nombre: format!("Volume {id_volume}"),
            deck: String::new(),
            descripcion: String::new(),
            url: String::new(),
            image_url: String::new(),
            id_publisher,
            anio_inicio: 1990,
            cantidad_numeros: 1,
        })
        .expect("volume");
        db.add_catalog_issues(
            id_volume,
            &[NewIssue {
                comicvine_id: issue,
                titulo: String::new(),
                numero: "1".into(),
                fecha_tapa: 1990,
                url_api_detalle: String::new(),
                url_sitio_web: String::new(),
                orden_clasificacion: 1.0,
                covers: vec![format!("https://example.org/{issue}.jpg")],
            }],
        )
        .expect("issue");
    }

    fn candidate(run_id: i64, issue: i32, edition: bool) -> StoredCandidate {
        StoredCandidate {
            run_id,
            id_comicbook_info: issue,
            id_cover: issue,
            visual: 0.9,
            hash: Some(0.95),
            series: None,
            number: None,
            year: None,
            combined: 0.8,
            tagged: false,
            same_folder: false,
            edition,
            unreadable_cover: false,
        }
    }

    #[test]
    fn the_preferred_publisher_is_learnt_from_edition_picks_unless_the_user_set_one() {
        let mut db = open_in_memory().expect("db");
        db.add_publisher(1, "Marvel").expect("publisher");
        db.add_publisher(2, "Forum").expect("publisher");
        volume(&mut db, 10, 1, 1001);
        volume(&mut db, 20, 2, 2001);
        volume(&mut db, 30, 1, 3001);
        let comics = db.add_comics(&["a.cbz", "b.cbz", "c.cbz"]).expect("comics");
        let run = db
            .start_classification_run("m", 0.75, 0.05, false)
            .expect("run");
        // Two comics whose covers are in two editions, one whose candidates are not editions.
        for &comic in &comics[..2] {
            db.replace_suggestion(
                comic,
                &[candidate(run, 1001, true), candidate(run, 2001, true)],
            )
            .expect("suggest");
        }
        db.replace_suggestion(comics[2], &[candidate(run, 3001, false)])
            .expect("suggest");
        assert_eq!(db.preferred_publisher().expect("none yet"), None);

        // Picking a candidate that is not an edition teaches nothing.
        assert!(
            db.apply_classification(run, comics[2], Some(""), 3001)
                .expect("apply")
        );
        assert!(!db.record_edition_choice(comics[2], 3001).expect("not one"));
        assert_eq!(db.preferred_publisher().expect("none yet"), None);

        for &comic in &comics[..2] {
            assert!(
                db.apply_classification(run, comic, Some(""), 2001)
                    .expect("apply")
            );
            assert!(db.record_edition_choice(comic, 2001).expect("an edition"));
        }
        let learnt = db.preferred_publisher().expect("learnt").expect("one");
        assert_eq!(learnt.publisher.name, "Forum");
        assert!(learnt.learnt);

        // A pick taken back no longer counts; with one pick left it still leads.
        db.undo_classification(run, comics[0]).expect("undo");
        assert_eq!(
            db.preferred_publisher()
                .expect("learnt")
                .map(|p| p.publisher.id_publisher),
            Some(2)
        );
        db.undo_classification(run, comics[1]).expect("undo");
        assert_eq!(db.preferred_publisher().expect("none"), None);

        // What the user sets wins over what was learnt, and clearing it brings learning back.
        db.set_preferred_publisher(Some(1)).expect("set");
        let chosen = db.preferred_publisher().expect("set").expect("one");
        assert_eq!(
            (chosen.publisher.name.as_str(), chosen.learnt),
            ("Marvel", false)
        );
        db.set_preferred_publisher(None).expect("clear");
        assert_eq!(db.preferred_publisher().expect("none"), None);
        let names: Vec<String> = db
            .catalog_publishers()
            .expect("publishers")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Forum", "Marvel"]);
    }
}
