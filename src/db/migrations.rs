//! Add-only schema migrations, recorded in Vistazo's own `vz_schema_migrations` table so that
//! a Babelcomics4 database gains nothing outside the `vz_` namespace but the tables it lacks.

use diesel::connection::SimpleConnection;
use diesel::migration::{Migration, MigrationSource};
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("src/db/migrations");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Runs every migration not yet recorded, each in its own transaction. Returns the versions
/// that ran.
pub fn run_pending(conn: &mut SqliteConnection) -> Result<Vec<String>, BoxError> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS vz_schema_migrations (
             version TEXT NOT NULL PRIMARY KEY,
             run_on TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
         );",
    )?;
    let applied = applied(conn)?;
    let mut ran = Vec::new();
    let mut migrations: Vec<Box<dyn Migration<Sqlite>>> =
        MigrationSource::<Sqlite>::migrations(&MIGRATIONS)?;
    migrations.sort_by_key(|m| m.name().version().to_string());
    for migration in migrations {
        let version = migration.name().version().to_string();
        if applied.contains(&version) {
            continue;
        }
        conn.transaction::<_, BoxError, _>(|conn| {
            migration.run(conn)?;
            diesel::sql_query("INSERT INTO vz_schema_migrations (version) VALUES (?)")
                .bind::<diesel::sql_types::Text, _>(&version)
                .execute(conn)?;
            Ok(())
        })?;
        ran.push(version);
    }
    Ok(ran)
}

/// The versions already recorded in this database.
pub fn applied(conn: &mut SqliteConnection) -> Result<Vec<String>, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT version FROM vz_schema_migrations ORDER BY version")
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.version).collect())
}
