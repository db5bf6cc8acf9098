DROP TABLE vz_embeddings;
DROP TABLE vz_settings;
