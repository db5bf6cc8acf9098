//! The ComicVine catalog as Babelcomics4 stores it: `publishers`, `volumens`, `comicbooks_info`
//! and `comicbooks_info_covers`, plus Vistazo's record of which file holds each downloaded cover.
//!
//! Rows are only ever added here. A volume, issue or cover already in the database is left as
//! it is (the user may have edited it in Babelcomics4); only a volume's issue count follows the
//! catalog, because it grows while a series runs.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::schema::{
    comicbooks_info, comicbooks_info_covers, publishers, volumens, vz_catalog_cover_files,
};
use super::{Database, DbError};

/// A volume (series) as it goes into `volumens`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVolume {
    pub id_volume: i32,
    pub nombre: String,
    pub deck: String,
    pub descripcion: String,
    pub url: String,
    pub image_url: String,
    pub id_publisher: i32,
    pub anio_inicio: i32,
    pub cantidad_numeros: i32,
}

/// An issue as it goes into `comicbooks_info`, with its cover URLs, main cover first.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIssue {
    pub id_comicbook_info: i32,
    pub titulo: String,
    pub numero: String,
    pub fecha_tapa: i32,
    pub url_api_detalle: String,
    pub url_sitio_web: String,
    pub orden_clasificacion: f64,
    pub covers: Vec<String>,
}

/// One row of `comicbooks_info_covers` of a volume.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct CatalogCover {
    pub id_cover: i32,
    pub id_comicbook_info: i32,
    pub url_imagen: String,
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

    /// Adds the publisher unless a row with its id exists.
    pub fn add_publisher(&mut self, id_publisher: i32, nombre: &str) -> Result<(), DbError> {
        diesel::insert_into(publishers::table)
            .values((
                publishers::id_publisher.eq(id_publisher),
                publishers::nombre.eq(nombre),
                publishers::id_comicvine.eq(Some(id_publisher)),
            ))
            .on_conflict(publishers::id_publisher)
            .do_nothing()
            .execute(self.conn())?;
        Ok(())
    }

    /// Adds the volume, or updates the issue count of the one already there. Returns the name
    /// the database holds for it, which names its covers folder.
    pub fn add_volume(&mut self, volume: &NewVolume) -> Result<String, DbError> {
        let conn = self.conn();
        let inserted = diesel::insert_into(volumens::table)
            .values((
                volumens::id_volume.eq(volume.id_volume),
                volumens::nombre.eq(&volume.nombre),
                volumens::deck.eq(&volume.deck),
                volumens::descripcion.eq(&volume.descripcion),
                volumens::url.eq(&volume.url),
                volumens::image_url.eq(&volume.image_url),
                volumens::id_publisher.eq(volume.id_publisher),
                volumens::anio_inicio.eq(volume.anio_inicio),
                volumens::cantidad_numeros.eq(volume.cantidad_numeros),
                volumens::id_comicvine.eq(Some(volume.id_volume)),
            ))
            .on_conflict(volumens::id_volume)
            .do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            diesel::update(volumens::table.find(volume.id_volume))
                .set(volumens::cantidad_numeros.eq(volume.cantidad_numeros))
                .execute(conn)?;
        }
        Ok(volumens::table
            .find(volume.id_volume)
            .select(volumens::nombre)
            .first(conn)?)
    }

    /// The ids of the issues of a volume already in the catalog.
    pub fn catalog_issue_ids(&mut self, id_volume: i32) -> Result<HashSet<i32>, DbError> {
        Ok(comicbooks_info::table
            .filter(comicbooks_info::id_volume.eq(id_volume))
            .select(comicbooks_info::id_comicbook_info)
            .load::<i32>(self.conn())?
            .into_iter()
            .collect())
    }

    /// Adds issues of a volume with their covers, all or none. An issue already there keeps
    /// its row; a cover URL it already has is not added twice. Returns (issues, covers) added.
    pub fn add_catalog_issues(
        &mut self,
        id_volume: i32,
        issues: &[NewIssue],
    ) -> Result<(usize, usize), DbError> {
        Ok(self.conn().transaction(|conn| {
            let mut added = (0, 0);
            for issue in issues {
                added.0 += diesel::insert_into(comicbooks_info::table)
                    .values((
                        comicbooks_info::id_comicbook_info.eq(issue.id_comicbook_info),
                        comicbooks_info::titulo.eq(&issue.titulo),
                        comicbooks_info::id_volume.eq(id_volume),
                        comicbooks_info::numero.eq(&issue.numero),
                        comicbooks_info::fecha_tapa.eq(issue.fecha_tapa),
                        comicbooks_info::resumen.eq(Some("")),
                        comicbooks_info::notas.eq(Some("")),
                        comicbooks_info::calificacion.eq(0.0),
                        comicbooks_info::url_api_detalle.eq(Some(&issue.url_api_detalle)),
                        comicbooks_info::url_sitio_web.eq(Some(&issue.url_sitio_web)),
                        comicbooks_info::orden_clasificacion.eq(issue.orden_clasificacion),
                        comicbooks_info::fue_actualizado_api.eq(true),
                        comicbooks_info::id_comicvine.eq(Some(issue.id_comicbook_info)),
                    ))
                    .on_conflict(comicbooks_info::id_comicbook_info)
                    .do_nothing()
                    .execute(conn)?;
                let known: HashSet<String> = comicbooks_info_covers::table
                    .filter(comicbooks_info_covers::id_comicbook_info.eq(issue.id_comicbook_info))
                    .select(comicbooks_info_covers::url_imagen)
                    .load::<String>(conn)?
                    .into_iter()
                    .collect();
                for url in issue.covers.iter().filter(|url| !known.contains(*url)) {
                    added.1 += diesel::insert_into(comicbooks_info_covers::table)
                        .values((
                            comicbooks_info_covers::id_comicbook_info.eq(issue.id_comicbook_info),
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
        Ok(comicbooks_info_covers::table
            .inner_join(comicbooks_info::table)
            .filter(comicbooks_info::id_volume.eq(id_volume))
            .order((
                comicbooks_info::orden_clasificacion,
                comicbooks_info::id_comicbook_info,
                comicbooks_info_covers::id_cover,
            ))
            .select((
                comicbooks_info_covers::id_cover,
                comicbooks_info_covers::id_comicbook_info,
                comicbooks_info_covers::url_imagen,
            ))
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
}

impl Database {
    /// Every volume of the catalog, by name, with how many of its issues are in the catalog.
    pub fn catalog_volumes(&mut self) -> Result<Vec<CatalogVolume>, DbError> {
        Ok(diesel::sql_query(
            "SELECT v.id_volume, coalesce(v.nombre, '') AS nombre, \
                    coalesce(v.anio_inicio, 0) AS anio_inicio, \
                    coalesce(v.cantidad_numeros, 0) AS cantidad_numeros, \
                    (SELECT count(*) FROM comicbooks_info i WHERE i.id_volume = v.id_volume) \
                        AS issues \
             FROM volumens v ORDER BY nombre COLLATE NOCASE, v.id_volume",
        )
        .load(self.conn())?)
    }

    /// The first cover of each volume (its earliest issue's main cover), by volume id.
    pub fn volume_first_covers(
        &mut self,
    ) -> Result<HashMap<i32, super::matching::CatalogCoverRow>, DbError> {
        let rows: Vec<super::matching::CatalogCoverRow> = diesel::sql_query(
            "SELECT id_cover, id_comicbook_info, id_volume, volume_name, numero, fecha_tapa, \
                    url_imagen, file_name FROM ( \
                 SELECT c.id_cover, c.id_comicbook_info, i.id_volume, \
                        coalesce(v.nombre, '') AS volume_name, \
                        coalesce(i.numero, '') AS numero, \
                        coalesce(i.fecha_tapa, 0) AS fecha_tapa, c.url_imagen, f.file_name, \
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

    fn issue(id: i32, covers: &[&str]) -> NewIssue {
        NewIssue {
            id_comicbook_info: id,
            titulo: format!("Issue {id}"),
            numero: id.to_string(),
            fecha_tapa: 2012,
            url_api_detalle: String::new(),
            url_sitio_web: String::new(),
            orden_clasificacion: f64::from(id),
            covers: covers.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn issues_and_covers_are_added_once() {
        let mut db = open_in_memory().expect("db");
        let volume = NewVolume {
            id_volume: 10,
            nombre: "Saga".into(),
            deck: String::new(),
            descripcion: String::new(),
            url: String::new(),
            image_url: String::new(),
            id_publisher: 0,
            anio_inicio: 2012,
            cantidad_numeros: 2,
        };
        assert_eq!(db.add_volume(&volume).expect("add"), "Saga");
        let issues = [issue(2, &["b", "c"]), issue(1, &["a"])];
        assert_eq!(db.add_catalog_issues(10, &issues).expect("add"), (2, 3));
        assert_eq!(db.add_catalog_issues(10, &issues).expect("again"), (0, 0));
        let urls: Vec<String> = db
            .volume_covers(10)
            .expect("covers")
            .into_iter()
            .map(|c| c.url_imagen)
            .collect();
        assert_eq!(urls, ["a", "b", "c"]);
        let renamed = NewVolume {
            nombre: "Other".into(),
            cantidad_numeros: 3,
            ..volume
        };
        assert_eq!(db.add_volume(&renamed).expect("again"), "Saga");

        let listed = db.catalog_volumes().expect("volumes");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].nombre.as_str(), listed[0].issues), ("Saga", 2));
        let first = db.volume_first_covers().expect("first covers");
        assert_eq!(first[&10].url_imagen, "a", "issue 1's cover comes first");
    }
}
