-- Photos of interiors, their labels, and the models trained on them.

CREATE TABLE vz_photos (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    -- Identical files imported from two places are one photo.
    content_hash TEXT NOT NULL UNIQUE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    -- Pixel metrics (NULL until measured).
    brightness REAL,
    contrast REAL,
    sharpness REAL,
    colourfulness REAL,
    -- Zero-shot semantic filter (NULL until measured with the text tower).
    indoor_score REAL,
    room_score REAL,
    room_type TEXT
);

-- One training round: the quality head and pairwise ranker with their honest metrics.
CREATE TABLE vz_training_rounds (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    embedding_model TEXT NOT NULL,
    human_labels INTEGER NOT NULL,
    auto_labels INTEGER NOT NULL,
    folds INTEGER NOT NULL,
    accuracy REAL,
    -- JSON: per-class accuracy, confusion matrix, calibration anchors.
    metrics TEXT NOT NULL,
    -- Little-endian f32: the head's weights and biases, the ranker's weights.
    head BLOB NOT NULL,
    ranker BLOB NOT NULL
);

-- One auto-labeling round.
CREATE TABLE vz_auto_label_rounds (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    training_round_id INTEGER NOT NULL REFERENCES vz_training_rounds (id),
    min_confidence REAL NOT NULL,
    considered INTEGER NOT NULL,
    labeled INTEGER NOT NULL,
    -- JSON: counts per label.
    counts TEXT NOT NULL
);

-- The current label of a photo. `source` says who gave it: only human labels are ever used to
-- evaluate a model.
CREATE TABLE vz_photo_labels (
    photo_id INTEGER NOT NULL PRIMARY KEY REFERENCES vz_photos (id) ON DELETE CASCADE,
    label TEXT NOT NULL CHECK (label IN ('bad', 'medium', 'good')),
    source TEXT NOT NULL CHECK (source IN ('human', 'auto')),
    confidence REAL,
    round_id INTEGER REFERENCES vz_auto_label_rounds (id),
    labeled_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Every change of a label, so a labeling session can be undone step by step.
CREATE TABLE vz_label_history (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    photo_id INTEGER NOT NULL REFERENCES vz_photos (id) ON DELETE CASCADE,
    old_label TEXT,
    old_source TEXT,
    new_label TEXT,
    new_source TEXT,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
