//! Settings stored in the database itself (`vz_settings`): facts about the data, such as which
//! model produced the stored embeddings, that must travel with the database file.

use diesel::prelude::*;

use super::schema::vz_settings;
use super::{Database, DbError};

impl Database {
    pub fn setting(&mut self, key: &str) -> Result<Option<String>, DbError> {
        Ok(vz_settings::table
            .find(key)
            .select(vz_settings::value)
            .first(self.conn())
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), DbError> {
        diesel::insert_into(vz_settings::table)
            .values((vz_settings::key.eq(key), vz_settings::value.eq(value)))
            .on_conflict(vz_settings::key)
            .do_update()
            .set(vz_settings::value.eq(value))
            .execute(self.conn())?;
        Ok(())
    }
}
