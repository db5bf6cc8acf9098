DROP TABLE vz_catalog_cover_files;
