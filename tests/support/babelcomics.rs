//! Babelcomics4's tables as its two layouts create them, with the column types SQLAlchemy gives
//! them, written from the facts Babelcomics4 works by: the current one (own ids, the ComicVine
//! issue id in `comicbooks_info.comicvine_id`) and the one keyed by ComicVine ids.

#![allow(dead_code)]

use vistazo::db::layout::Generation;

/// The CREATE statements of Babelcomics4's tables in `generation`, with the column types
/// SQLAlchemy gives them.
pub fn schema(generation: Generation) -> String {
    // The key is the same column in both; what it holds is not.
    let issue_comicvine = match generation {
        Generation::Current => "comicvine_id INTEGER NOT NULL DEFAULT 0",
        Generation::Keyed => "id_comicvine INTEGER",
    };
    format!(
        "CREATE TABLE publishers (id_publisher INTEGER NOT NULL PRIMARY KEY, \
             nombre VARCHAR NOT NULL DEFAULT '', deck VARCHAR DEFAULT '', \
             descripcion VARCHAR DEFAULT '', url_logo VARCHAR DEFAULT '', \
             sitio_web VARCHAR DEFAULT '', id_comicvine INTEGER);
         CREATE TABLE volumens (id_volume INTEGER NOT NULL PRIMARY KEY, \
             nombre VARCHAR NOT NULL DEFAULT '', deck VARCHAR NOT NULL DEFAULT '', \
             descripcion VARCHAR NOT NULL DEFAULT '', url VARCHAR NOT NULL DEFAULT '', \
             image_url VARCHAR NOT NULL DEFAULT '', id_publisher INTEGER NOT NULL DEFAULT 0, \
             anio_inicio INTEGER NOT NULL DEFAULT 0, cantidad_numeros INTEGER NOT NULL DEFAULT 0, \
             id_comicvine INTEGER);
         CREATE TABLE comicbooks_info (id_comicbook_info INTEGER NOT NULL PRIMARY KEY, titulo VARCHAR NOT NULL DEFAULT '', \
             id_volume INTEGER NOT NULL REFERENCES volumens (id_volume), \
             numero VARCHAR NOT NULL DEFAULT '0', fecha_tapa INTEGER NOT NULL DEFAULT 0, \
             resumen VARCHAR DEFAULT '', notas VARCHAR DEFAULT '', \
             calificacion FLOAT NOT NULL DEFAULT 0.0, url_api_detalle VARCHAR DEFAULT '', \
             url_sitio_web VARCHAR DEFAULT '', orden_clasificacion FLOAT NOT NULL DEFAULT 0, \
             fue_actualizado_api BOOLEAN NOT NULL DEFAULT 0, {issue_comicvine});
         CREATE TABLE comicbooks_info_covers (id_cover INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \
             id_comicbook_info INTEGER NOT NULL REFERENCES comicbooks_info (id_comicbook_info), \
             url_imagen VARCHAR NOT NULL, embedding VARCHAR);
         CREATE TABLE comicbooks (id_comicbook INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \
             path VARCHAR NOT NULL UNIQUE, id_comicbook_info VARCHAR NOT NULL DEFAULT '', \
             calidad INTEGER NOT NULL DEFAULT 0, en_papelera BOOLEAN NOT NULL DEFAULT 0, \
             embedding VARCHAR);
         CREATE TABLE comicbooks_detail (id_detail INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \
             comicbook_id INTEGER NOT NULL REFERENCES comicbooks (id_comicbook), \
             \"indicePagina\" INTEGER NOT NULL DEFAULT 0, \"ordenPagina\" INTEGER NOT NULL DEFAULT 0, \
             \"tipoPagina\" INTEGER NOT NULL DEFAULT 0, nombre_pagina VARCHAR, \
             CONSTRAINT uq_comic_page_idx UNIQUE (comicbook_id, \"indicePagina\"));
         CREATE TABLE setups (setupkey INTEGER NOT NULL PRIMARY KEY, \
             carpeta_thumbnails VARCHAR DEFAULT 'data/thumbnails', \
             api_key_encrypted VARCHAR NOT NULL DEFAULT '');"
    )
}
