//! The ComicVine catalog as Babelcomics4 stores it: `publishers`, `volumens`, `comicbooks_info`
//! and `comicbooks_info_covers`, plus Vistazo's record of which file holds each downloaded cover.
//!
//! Rows are only ever added here. A volume, issue or cover already in the database is left as
//! it is (the user may have edited it in Babelcomics4); only a volume's issue count follows the
//! catalog, because it grows while a series runs.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use diesel::sql_types::{BigInt, Integer, Text};

use super::layout::{CatalogLayout, Generation};
use super::schema::{comicbooks_info, comicbooks_info_covers, volumens, vz_catalog_cover_files};
use super::{Database, DbError};

/// A volume (series) as it goes into `volumens`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVolume {
    /// The volume's ComicVine id.
    pub comicvine_id: i32,
    pub nombre: String,
    pub deck: String,
    pub descripcion: String,
    pub url: String,
    pub image_url: String,
    /// The publisher's ComicVine id, which Babelcomics4 keeps in `volumens.id_publisher` in
    /// every generation.
    pub id_publisher: i32,
    pub anio_inicio: i32,
    pub cantidad_numeros: i32,
}

/// An issue as it goes into `comicbooks_info`, with its cover URLs, main cover first.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIssue {
    /// The issue's ComicVine id.
    pub comicvine_id: i32,
    pub titulo: String,
    pub numero: String,
    pub fecha_tapa: i32,
    pub url_api_detalle: String,
    pub url_sitio_web: String,
    pub orden_clasificacion: f64,
    pub covers: Vec<String>,
}

/// A volume's row in this database: its id there (Babelcomics4's own, or the ComicVine id in
/// the keyed layout) and the name that names its covers folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeRow {
    pub id_volume: i32,
    pub nombre: String,
}

/// One row of `comicbooks_info_covers` of a volume, with what names its file.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct CatalogCover {
    #[diesel(sql_type = Integer)]
    pub id_cover: i32,
    #[diesel(sql_type = Integer)]
    pub id_comicbook_info: i32,
    #[diesel(sql_type = Text)]
    pub url_imagen: String,
    /// The issue's number.
    #[diesel(sql_type = Text)]
    pub numero: String,
    /// Its place among its issue's covers: 0 the main cover, k the k-th variant.
    #[diesel(sql_type = Integer)]
    pub variant: i32,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Integer)]
    id: i32,
}

#[derive(QueryableByName)]
struct ComicVineId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl Database {
    /// Babelcomics4's ComicVine key: `setups.api_key_encrypted` of the first settings row,
    /// still base64-encoded, when there is a non-empty one.
    pub fn babelcomics_api_key(&mut self) -> Result<Option<String>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            api_key_encrypted: Option<String>,
        }
        if !self.has_column("setups", "api_key_encrypted")? {
            return Ok(None);
        }
        let row: Option<Row> =
            diesel::sql_query("SELECT api_key_encrypted FROM setups ORDER BY setupkey LIMIT 1")
                .get_result(self.conn())
                .optional()?;
        Ok(row
            .and_then(|row| row.api_key_encrypted)
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty()))
    }

    /// Adds the publisher with ComicVine id `comicvine_id` unless it is there: found by its
    /// `id_comicvine` where publishers have their own ids, else by its key. A new row is keyed
    /// by the ComicVine id, the id `volumens.id_publisher` holds in every generation.
    pub fn add_publisher(&mut self, comicvine_id: i32, nombre: &str) -> Result<(), DbError> {
        let layout = self.catalog_layout();
        let conn = self.conn();
        if layout.own_publisher_ids() {
            let known = diesel::sql_query(
                "SELECT id_publisher AS id FROM publishers WHERE id_comicvine = ? LIMIT 1",
            )
            .bind::<Integer, _>(comicvine_id)
            .get_result::<Id>(conn)
            .optional()?;
            if known.is_some() {
                return Ok(());
            }
        }
        let sql = if layout.publisher_id_comicvine {
            "INSERT INTO publishers (id_publisher, nombre, id_comicvine) VALUES (?, ?, ?) \
             ON CONFLICT (id_publisher) DO NOTHING"
        } else {
            "INSERT INTO publishers (id_publisher, nombre) VALUES (?, ?) \
             ON CONFLICT (id_publisher) DO NOTHING"
        };
        let query = diesel::sql_query(sql)
            .bind::<Integer, _>(comicvine_id)
            .bind::<Text, _>(nombre);
        if layout.publisher_id_comicvine {
            query.bind::<Integer, _>(comicvine_id).execute(conn)?;
        } else {
            query.execute(conn)?;
        }
        Ok(())
    }

    /// The row of the volume with ComicVine id `comicvine_id`, when the catalog has it.
    pub fn volume_by_comicvine(&mut self, comicvine_id: i32) -> Result<Option<VolumeRow>, DbError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            id_volume: i32,
            #[diesel(sql_type = Text)]
            nombre: String,
        }
        let layout = self.catalog_layout();
        let sql = format!(
            "SELECT v.id_volume, coalesce(v.nombre, '') AS nombre FROM volumens v \
             WHERE {} = ? ORDER BY v.id_volume LIMIT 1",
            layout.volume_comicvine("v")
        );
        let row: Option<Row> = diesel::sql_query(sql)
            .bind::<Integer, _>(comicvine_id)
            .get_result(self.conn())
            .optional()?;
        Ok(row.map(|row| VolumeRow {
            id_volume: row.id_volume,
            nombre: row.nombre,
        }))
    }

    /// Adds the volume, or updates the issue count of the one already there, as the
    /// database's generation keeps volumes: a row of its own with `id_comicvine`, or a row
    /// keyed by the ComicVine id. Returns its row, whose name names its covers folder.
    pub fn add_volume(&mut self, volume: &NewVolume) -> Result<VolumeRow, DbError> {
        let layout = self.catalog_layout();
        if let Some(row) = self.volume_by_comicvine(volume.comicvine_id)? {
            diesel::update(volumens::table.find(row.id_volume))
                .set(volumens::cantidad_numeros.eq(volume.cantidad_numeros))
                .execute(self.conn())?;
            return Ok(row);
        }
        let own = layout.own_volume_ids();
        let mut columns = vec![
            "nombre",
            "deck",
            "descripcion",
            "url",
            "image_url",
            "id_publisher",
            "anio_inicio",
            "cantidad_numeros",
        ];
        // Keyed by the ComicVine id, or numbered by SQLite; the ComicVine id beside when the
        // table keeps it.
        columns.extend((!own).then_some("id_volume"));
        columns.extend(layout.volume_id_comicvine.then_some("id_comicvine"));
        let sql = format!(
            "INSERT INTO volumens ({}) VALUES ({}) ON CONFLICT DO NOTHING",
            columns.join(", "),
            vec!["?"; columns.len()].join(", ")
        );
        let mut query = diesel::sql_query(sql)
            .into_boxed::<diesel::sqlite::Sqlite>()
            .bind::<Text, _>(&volume.nombre)
            .bind::<Text, _>(&volume.deck)
            .bind::<Text, _>(&volume.descripcion)
            .bind::<Text, _>(&volume.url)
            .bind::<Text, _>(&volume.image_url)
            .bind::<Integer, _>(volume.id_publisher)
            .bind::<Integer, _>(volume.anio_inicio)
            .bind::<Integer, _>(volume.cantidad_numeros);
        for _ in 8..columns.len() {
            query = query.bind::<Integer, _>(volume.comicvine_id);
        }
        query.execute(self.conn())?;
        self.volume_by_comicvine(volume.comicvine_id)?
            .ok_or(DbError::Query(diesel::result::Error::NotFound))
    }

    /// The ComicVine ids of the issues of volume row `id_volume` already in the catalog.
    pub fn catalog_issue_ids(&mut self, id_volume: i32) -> Result<HashSet<i64>, DbError> {
        let layout = self.catalog_layout();
        let sql = format!(
            "SELECT {} AS id FROM comicbooks_info i WHERE i.id_volume = ? AND {0} IS NOT NULL",
            layout.issue_comicvine("i")
        );
        let rows: Vec<ComicVineId> = diesel::sql_query(sql)
            .bind::<Integer, _>(id_volume)
            .load(self.conn())?;
        Ok(rows.into_iter().map(|row| row.id).collect())
    }

    /// Adds issues of volume row `id_volume` with their covers, all or none, as the database's
    /// generation keeps issues: a row of its own (its id assigned by SQLite) with the ComicVine
    /// id in `comicvine_id`, or a row keyed by the ComicVine id. An issue already there (by
    /// ComicVine id, or in the current generation by its number in the volume, as
    /// Babelcomics4 finds it) keeps its row; a cover URL it already has is not added twice.
    /// Returns (issues, covers) added.
    pub fn add_catalog_issues(
        &mut self,
        id_volume: i32,
        issues: &[NewIssue],
    ) -> Result<(usize, usize), DbError> {
        let layout = self.catalog_layout();
        Ok(self.conn().transaction(|conn| {
            let mut added = (0, 0);
            for issue in issues {
                let (row, inserted) = match layout.generation {
                    Generation::Current => insert_own_issue(conn, id_volume, issue)?,
                    Generation::Keyed => insert_keyed_issue(conn, layout, id_volume, issue)?,
                };
                added.0 += usize::from(inserted);
                let known: HashSet<String> = comicbooks_info_covers::table
                    .filter(comicbooks_info_covers::id_comicbook_info.eq(row))
                    .select(comicbooks_info_covers::url_imagen)
                    .load::<String>(conn)?
                    .into_iter()
                    .collect();
                for url in issue.covers.iter().filter(|url| !known.contains(*url)) {
                    added.1 += diesel::insert_into(comicbooks_info_covers::table)
                        .values((
                            comicbooks_info_covers::id_comicbook_info.eq(row),
                            comicbooks_info_covers::url_imagen.eq(url),
                        ))
                        .execute(conn)?;
                }
            }
            Ok::<_, diesel::result::Error>(added)
        })?)
    }

    /// Every cover of a volume's issues, in catalog order: by issue, main cover first.
    pub fn volume_covers(&mut self, id_volume: i32) -> Result<Vec<CatalogCover>, DbError> {
        Ok(diesel::sql_query(
            "SELECT c.id_cover, c.id_comicbook_info, c.url_imagen, \
                    coalesce(i.numero, '') AS numero, \
                    row_number() OVER (PARTITION BY c.id_comicbook_info ORDER BY c.id_cover) - 1 \
                        AS variant \
             FROM comicbooks_info_covers c \
             JOIN comicbooks_info i ON i.id_comicbook_info = c.id_comicbook_info \
             WHERE i.id_volume = ? \
             ORDER BY i.orden_clasificacion, i.id_comicbook_info, c.id_cover",
        )
        .bind::<Integer, _>(id_volume)
        .load(self.conn())?)
    }

    /// The file names recorded for the downloaded covers of a volume, by cover id.
    pub fn cover_files(&mut self, id_volume: i32) -> Result<HashMap<i32, String>, DbError> {
        Ok(vz_catalog_cover_files::table
            .inner_join(
                comicbooks_info_covers::table
                    .on(comicbooks_info_covers::id_cover.eq(vz_catalog_cover_files::id_cover)),
            )
            .inner_join(comicbooks_info::table.on(
                comicbooks_info::id_comicbook_info.eq(comicbooks_info_covers::id_comicbook_info),
            ))
            .filter(comicbooks_info::id_volume.eq(id_volume))
            .select((
                vz_catalog_cover_files::id_cover,
                vz_catalog_cover_files::file_name,
            ))
            .load::<(i32, String)>(self.conn())?
            .into_iter()
            .collect())
    }

    /// Records the file, in its volume's folder, that holds cover `id_cover`.
    pub fn record_cover_file(&mut self, id_cover: i32, file_name: &str) -> Result<(), DbError> {
        diesel::insert_into(vz_catalog_cover_files::table)
            .values((
                vz_catalog_cover_files::id_cover.eq(id_cover),
                vz_catalog_cover_files::file_name.eq(file_name),
            ))
            .on_conflict(vz_catalog_cover_files::id_cover)
            .do_update()
            .set(vz_catalog_cover_files::file_name.eq(file_name))
            .execute(self.conn())?;
        Ok(())
    }
}

/// The current generation: the issue's own row, found by ComicVine id or by its number in the
/// volume, else inserted without an id as Babelcomics4 does (SQLite assigns it). Returns the
/// row's id and whether it was inserted.
fn insert_own_issue(
    conn: &mut SqliteConnection,
    id_volume: i32,
    issue: &NewIssue,
) -> Result<(i32, bool), diesel::result::Error> {
    let known = diesel::sql_query(
        "SELECT id_comicbook_info AS id FROM comicbooks_info \
         WHERE comicvine_id = ? OR (id_volume = ? AND comicvine_id = 0 AND numero = ?) \
         ORDER BY comicvine_id = ? DESC, id_comicbook_info LIMIT 1",
    )
    .bind::<Integer, _>(issue.comicvine_id)
    .bind::<Integer, _>(id_volume)
    .bind::<Text, _>(&issue.numero)
    .bind::<Integer, _>(issue.comicvine_id)
    .get_result::<Id>(conn)
    .optional()?;
    if let Some(known) = known {
        return Ok((known.id, false));
    }
    insert_issue(conn, id_volume, issue, false, Some("comicvine_id"))?;
    let row = diesel::sql_query("SELECT last_insert_rowid() AS id").get_result::<Id>(conn)?;
    Ok((row.id, true))
}

/// The keyed generation: the row keyed by the ComicVine id, inserted unless it is there.
/// Returns the row's id and whether it was inserted.
fn insert_keyed_issue(
    conn: &mut SqliteConnection,
    layout: CatalogLayout,
    id_volume: i32,
    issue: &NewIssue,
) -> Result<(i32, bool), diesel::result::Error> {
    let copy = layout.issue_id_comicvine.then_some("id_comicvine");
    let inserted = insert_issue(conn, id_volume, issue, true, copy)?;
    Ok((issue.comicvine_id, inserted > 0))
}

/// Inserts an issue's row unless its key is taken: keyed by its ComicVine id when `keyed`,
/// with the ComicVine id also in `comicvine_column` when there is one.
fn insert_issue(
    conn: &mut SqliteConnection,
    id_volume: i32,
    issue: &NewIssue,
    keyed: bool,
    comicvine_column: Option<&str>,
) -> Result<usize, diesel::result::Error> {
    let mut columns = vec![
        "titulo",
        "id_volume",
        "numero",
        "fecha_tapa",
        "url_api_detalle",
        "url_sitio_web",
        "orden_clasificacion",
    ];
    columns.extend(keyed.then_some("id_comicbook_info"));
    columns.extend(comicvine_column);
    let sql = format!(
        "INSERT INTO comicbooks_info ({}, resumen, notas, calificacion, fue_actualizado_api) \
         VALUES ({}, '', '', 0.0, 1) ON CONFLICT DO NOTHING",
        columns.join(", "),
        vec!["?"; columns.len()].join(", ")
    );
    let mut query = diesel::sql_query(sql)
        .into_boxed::<diesel::sqlite::Sqlite>()
        .bind::<Text, _>(&issue.titulo)
        .bind::<Integer, _>(id_volume)
        .bind::<Text, _>(&issue.numero)
        .bind::<Integer, _>(issue.fecha_tapa)
        .bind::<Text, _>(&issue.url_api_detalle)
        .bind::<Text, _>(&issue.url_sitio_web)
        .bind::<diesel::sql_types::Double, _>(issue.orden_clasificacion);
    for _ in 7..columns.len() {
        query = query.bind::<Integer, _>(issue.comicvine_id);
    }
    query.execute(conn)
}

/// A volume of the catalog as the catalog list shows it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct CatalogVolume {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub id_volume: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub nombre: String,
    /// 0 when unknown.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub anio_inicio: i32,
    /// Issues of the volume in the catalog.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub issues: i64,
    /// Issues the volume has on ComicVine, as last imported.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub cantidad_numeros: i32,
    /// The volume's ComicVine id; 0 when the database does not know it.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub id_comicvine: i32,
}

impl Database {
    /// Every volume of the catalog, by name, with how many of its issues are in the catalog.
    pub fn catalog_volumes(&mut self) -> Result<Vec<CatalogVolume>, DbError> {
        let comicvine = self.catalog_layout().volume_comicvine("v");
        Ok(diesel::sql_query(format!(
            "SELECT v.id_volume, coalesce(v.nombre, '') AS nombre, \
                    coalesce(v.anio_inicio, 0) AS anio_inicio, \
                    coalesce(v.cantidad_numeros, 0) AS cantidad_numeros, \
                    coalesce({comicvine}, 0) AS id_comicvine, \
                    (SELECT count(*) FROM comicbooks_info i WHERE i.id_volume = v.id_volume) \
                        AS issues \
             FROM volumens v ORDER BY nombre COLLATE NOCASE, v.id_volume"
        ))
        .load(self.conn())?)
    }

    /// The first cover of each volume (its earliest issue's main cover), by volume id.
    pub fn volume_first_covers(
        &mut self,
    ) -> Result<HashMap<i32, super::matching::CatalogCoverRow>, DbError> {
        let rows: Vec<super::matching::CatalogCoverRow> = diesel::sql_query(
            "SELECT id_cover, id_comicbook_info, id_volume, volume_name, numero, fecha_tapa, \
                    url_imagen, file_name, variant FROM ( \
                 SELECT c.id_cover, c.id_comicbook_info, i.id_volume, \
                        coalesce(v.nombre, '') AS volume_name, \
                        coalesce(i.numero, '') AS numero, \
                        coalesce(i.fecha_tapa, 0) AS fecha_tapa, c.url_imagen, f.file_name, \
                        row_number() OVER (PARTITION BY c.id_comicbook_info ORDER BY c.id_cover) \
                            - 1 AS variant, \
                        row_number() OVER (PARTITION BY i.id_volume \
                            ORDER BY i.orden_clasificacion, i.id_comicbook_info, c.id_cover) AS n \
                 FROM comicbooks_info_covers c \
                 JOIN comicbooks_info i ON i.id_comicbook_info = c.id_comicbook_info \
                 LEFT JOIN volumens v ON v.id_volume = i.id_volume \
                 LEFT JOIN vz_catalog_cover_files f ON f.id_cover = c.id_cover) \
             WHERE n = 1",
        )
        .load(self.conn())?;
        let first = rows.into_iter().map(|row| (row.id_volume, row)).collect();
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::open_in_memory;
    use diesel::connection::SimpleConnection;

    fn issue(id: i32, covers: &[&str]) -> NewIssue {
        NewIssue {
            comicvine_id: id,
            titulo: format!("Issue {id}"),
            numero: id.to_string(),
            fecha_tapa: 2012,
            url_api_detalle: String::new(),
            url_sitio_web: String::new(),
            orden_clasificacion: f64::from(id),
            covers: covers.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn saga() -> NewVolume {
        NewVolume {
            comicvine_id: 10,
            nombre: "Saga".into(),
            deck: String::new(),
            descripcion: String::new(),
            url: String::new(),
            image_url: String::new(),
            id_publisher: 0,
            anio_inicio: 2012,
            cantidad_numeros: 2,
        }
    }

    #[test]
    fn issues_and_covers_are_added_once() {
        let mut db = open_in_memory().expect("db");
        let volume = saga();
        let row = db.add_volume(&volume).expect("add");
        assert_eq!((row.id_volume, row.nombre.as_str()), (10, "Saga"));
        let issues = [issue(2, &["b", "c"]), issue(1, &["a"])];
        assert_eq!(db.add_catalog_issues(10, &issues).expect("add"), (2, 3));
        assert_eq!(db.add_catalog_issues(10, &issues).expect("again"), (0, 0));
        let covers = db.volume_covers(10).expect("covers");
        let urls: Vec<&str> = covers.iter().map(|c| c.url_imagen.as_str()).collect();
        assert_eq!(urls, ["a", "b", "c"]);
        let variants: Vec<i32> = covers.iter().map(|c| c.variant).collect();
        assert_eq!(variants, [0, 0, 1]);
        let renamed = NewVolume {
            nombre: "Other".into(),
            cantidad_numeros: 3,
            ..volume
        };
        assert_eq!(db.add_volume(&renamed).expect("again").nombre, "Saga");

        let listed = db.catalog_volumes().expect("volumes");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].nombre.as_str(), listed[0].issues), ("Saga", 2));
        assert_eq!(listed[0].id_comicvine, 10);
        let first = db.volume_first_covers().expect("first covers");
        assert_eq!(first[&10].url_imagen, "a", "issue 1's cover comes first");
        assert_eq!(
            db.catalog_issue_ids(10).expect("ids"),
            HashSet::from([1, 2])
        );
    }

    #[test]
    fn the_current_layout_gets_rows_of_its_own_with_the_comicvine_ids_beside() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("babelcomics.db");
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("create");
        conn.batch_execute(
            "CREATE TABLE volumens (id_volume INTEGER NOT NULL PRIMARY KEY, \
                 nombre VARCHAR NOT NULL DEFAULT '', deck VARCHAR NOT NULL DEFAULT '', \
                 descripcion VARCHAR NOT NULL DEFAULT '', url VARCHAR NOT NULL DEFAULT '', \
                 image_url VARCHAR NOT NULL DEFAULT '', id_publisher INTEGER NOT NULL DEFAULT 0, \
                 anio_inicio INTEGER NOT NULL DEFAULT 0, \
                 cantidad_numeros INTEGER NOT NULL DEFAULT 0, id_comicvine INTEGER);
             CREATE TABLE comicbooks_info (id_comicbook_info INTEGER NOT NULL PRIMARY KEY, \
                 titulo VARCHAR NOT NULL DEFAULT '', id_volume INTEGER NOT NULL, \
                 numero VARCHAR NOT NULL DEFAULT '0', fecha_tapa INTEGER NOT NULL DEFAULT 0, \
                 resumen VARCHAR, notas VARCHAR, calificacion FLOAT NOT NULL DEFAULT 0.0, \
                 url_api_detalle VARCHAR, url_sitio_web VARCHAR, \
                 orden_clasificacion FLOAT NOT NULL DEFAULT 0, \
                 fue_actualizado_api BOOLEAN NOT NULL DEFAULT 0, \
                 comicvine_id INTEGER NOT NULL DEFAULT 0);
             INSERT INTO volumens (id_volume, nombre, id_comicvine) VALUES (1, 'Older', 99);
             INSERT INTO comicbooks_info (id_comicbook_info, id_volume, numero, comicvine_id) \
                 VALUES (1, 1, '1', 5001);",
        )
        .expect("a current Babelcomics4 catalog");
        drop(conn);
        let mut db = crate::db::open(&path).expect("open");
        assert_eq!(db.catalog_layout().generation, Generation::Current);
        let row = db.add_volume(&saga()).expect("add");
        assert_eq!(row.id_volume, 2, "SQLite numbers it, not ComicVine");
        assert_eq!(db.add_volume(&saga()).expect("again"), row);
        let issues = [issue(2, &["b", "c"]), issue(1, &["a"])];
        assert_eq!(db.add_catalog_issues(2, &issues).expect("add"), (2, 3));
        assert_eq!(db.add_catalog_issues(2, &issues).expect("again"), (0, 0));
        assert_eq!(db.catalog_issue_ids(2).expect("ids"), HashSet::from([1, 2]));
        #[derive(QueryableByName, Debug, PartialEq)]
        struct Issue {
            #[diesel(sql_type = Integer)]
            id_comicbook_info: i32,
            #[diesel(sql_type = Integer)]
            comicvine_id: i32,
        }
        let rows: Vec<Issue> = diesel::sql_query(
            "SELECT id_comicbook_info, comicvine_id FROM comicbooks_info \
             WHERE id_volume = 2 ORDER BY id_comicbook_info",
        )
        .load(db.conn())
        .expect("rows");
        let pairs: Vec<(i32, i32)> = rows
            .iter()
            .map(|r| (r.id_comicbook_info, r.comicvine_id))
            .collect();
        assert_eq!(pairs, [(2, 2), (3, 1)]);
        let covers = db.volume_covers(2).expect("covers");
        let owners: Vec<i32> = covers.iter().map(|c| c.id_comicbook_info).collect();
        assert_eq!(owners, [3, 2, 2], "covers belong to the rows' own ids");
        let listed = db.catalog_volumes().expect("volumes");
        let saga = listed.iter().find(|v| v.nombre == "Saga").expect("listed");
        assert_eq!((saga.id_volume, saga.id_comicvine), (2, 10));
    }
}
