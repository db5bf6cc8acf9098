-- The core tables of Babelcomics4, with the names and column types its SQLAlchemy models create.
-- On a Babelcomics4 database they already exist and nothing here runs against them.
CREATE TABLE IF NOT EXISTS publishers (
    id_publisher INTEGER NOT NULL PRIMARY KEY,
    nombre VARCHAR NOT NULL DEFAULT '',
    deck VARCHAR DEFAULT '',
    descripcion VARCHAR DEFAULT '',
    url_logo VARCHAR DEFAULT '',
    sitio_web VARCHAR DEFAULT '',
    id_comicvine INTEGER
);

CREATE TABLE IF NOT EXISTS volumens (
    id_volume INTEGER NOT NULL PRIMARY KEY,
    nombre VARCHAR NOT NULL DEFAULT '',
    deck VARCHAR NOT NULL DEFAULT '',
    descripcion VARCHAR NOT NULL DEFAULT '',
    url VARCHAR NOT NULL DEFAULT '',
    image_url VARCHAR NOT NULL DEFAULT '',
    id_publisher INTEGER NOT NULL DEFAULT 0,
    anio_inicio INTEGER NOT NULL DEFAULT 0,
    cantidad_numeros INTEGER NOT NULL DEFAULT 0,
    id_comicvine INTEGER
);

CREATE TABLE IF NOT EXISTS comicbooks_info (
    id_comicbook_info INTEGER NOT NULL PRIMARY KEY,
    titulo VARCHAR NOT NULL DEFAULT '',
    id_volume INTEGER NOT NULL REFERENCES volumens (id_volume),
    numero VARCHAR NOT NULL DEFAULT '0',
    fecha_tapa INTEGER NOT NULL DEFAULT 0,
    resumen VARCHAR DEFAULT '',
    notas VARCHAR DEFAULT '',
    calificacion FLOAT NOT NULL DEFAULT 0.0,
    url_api_detalle VARCHAR DEFAULT '',
    url_sitio_web VARCHAR DEFAULT '',
    orden_clasificacion FLOAT NOT NULL DEFAULT 0,
    fue_actualizado_api BOOLEAN NOT NULL DEFAULT 0,
    id_comicvine INTEGER
);

CREATE TABLE IF NOT EXISTS comicbooks_info_covers (
    id_cover INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    id_comicbook_info INTEGER NOT NULL REFERENCES comicbooks_info (id_comicbook_info),
    url_imagen VARCHAR NOT NULL,
    embedding VARCHAR
);

CREATE TABLE IF NOT EXISTS comicbooks (
    id_comicbook INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    path VARCHAR NOT NULL UNIQUE,
    id_comicbook_info VARCHAR NOT NULL DEFAULT '',
    calidad INTEGER NOT NULL DEFAULT 0,
    en_papelera BOOLEAN NOT NULL DEFAULT 0,
    embedding VARCHAR
);

CREATE TABLE IF NOT EXISTS comicbooks_detail (
    id_detail INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    comicbook_id INTEGER NOT NULL REFERENCES comicbooks (id_comicbook),
    "indicePagina" INTEGER NOT NULL DEFAULT 0,
    "ordenPagina" INTEGER NOT NULL DEFAULT 0,
    "tipoPagina" INTEGER NOT NULL DEFAULT 0,
    nombre_pagina VARCHAR,
    CONSTRAINT uq_comic_page_idx UNIQUE (comicbook_id, "indicePagina")
);

CREATE TABLE IF NOT EXISTS setups (
    setupkey INTEGER NOT NULL PRIMARY KEY,
    ultimo_volume_id_utilizado VARCHAR DEFAULT '',
    expresion_regular_numero VARCHAR NOT NULL DEFAULT '.* (\d*) \(',
    modo_oscuro BOOLEAN NOT NULL DEFAULT 0,
    actualizar_metadata BOOLEAN NOT NULL DEFAULT 0,
    custom_regexes VARCHAR DEFAULT '[]',
    window_state VARCHAR DEFAULT '{}',
    api_key_encrypted VARCHAR NOT NULL DEFAULT '',
    rate_limit_interval FLOAT NOT NULL DEFAULT 0.5,
    carpeta_organizacion VARCHAR DEFAULT '',
    carpeta_thumbnails VARCHAR DEFAULT 'data/thumbnails',
    thumbnail_size INTEGER NOT NULL DEFAULT 200,
    items_per_batch INTEGER NOT NULL DEFAULT 20,
    workers_concurrentes INTEGER NOT NULL DEFAULT 5,
    cache_thumbnails BOOLEAN NOT NULL DEFAULT 1,
    limpieza_automatica BOOLEAN NOT NULL DEFAULT 1,
    scroll_threshold FLOAT NOT NULL DEFAULT 1.0,
    scroll_cooldown INTEGER NOT NULL DEFAULT 100
);
