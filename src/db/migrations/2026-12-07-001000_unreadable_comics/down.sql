DROP TABLE vz_unreadable_comics;
