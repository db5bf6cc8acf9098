DROP TABLE vz_auto_label_rounds;
DROP TABLE vz_training_rounds;
DROP TABLE vz_label_history;
DROP TABLE vz_photo_labels;
DROP TABLE vz_photos;
