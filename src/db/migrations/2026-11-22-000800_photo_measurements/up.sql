-- More of each photo's measurements: noise, tilt, straightness of its lines and colour
-- variety (a photo without a row here is measured again by the next import), and its
-- perceptual fingerprint, which tells photos taken seconds apart.
CREATE TABLE vz_photo_measurements (
    photo_id INTEGER NOT NULL PRIMARY KEY REFERENCES vz_photos (id) ON DELETE CASCADE,
    noise REAL NOT NULL,
    tilt REAL NOT NULL,
    straightness REAL NOT NULL,
    colour_variety REAL NOT NULL,
    fingerprint BLOB NOT NULL
);
