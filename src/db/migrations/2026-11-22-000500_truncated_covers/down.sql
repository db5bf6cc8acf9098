DROP TABLE vz_truncated_covers;
