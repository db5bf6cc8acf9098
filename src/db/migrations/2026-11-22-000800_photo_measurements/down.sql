DROP TABLE vz_photo_measurements;
