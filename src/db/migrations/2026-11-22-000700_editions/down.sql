DROP TABLE vz_edition_choices;
ALTER TABLE vz_suggestions DROP COLUMN edition;
