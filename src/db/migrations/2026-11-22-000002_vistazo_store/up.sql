-- Vistazo's own data. Everything it adds to a database lives in vz_ tables.

-- Small settings that belong to the database rather than to the user's desktop
-- (for example which model produced the stored embeddings).
CREATE TABLE vz_settings (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- One embedding store for every kind of picture: catalog covers, owned comics' covers and
-- interior photos. Vectors are little-endian f32, L2-normalised; `model` names the weights.
CREATE TABLE vz_embeddings (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL CHECK (subject IN ('cover', 'comic', 'photo')),
    subject_id INTEGER NOT NULL,
    model TEXT NOT NULL,
    dim INTEGER NOT NULL CHECK (dim > 0),
    vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (subject, subject_id, model)
);
