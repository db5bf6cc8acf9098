//! The open collection's settings for the background workers: one [`CollectionSettings`] that
//! follows Preferences as the user changes them, read by each job when it starts (as the model
//! is), so a new thumbnails folder or ComicInfo.xml choice needs no restart.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use relm4::gtk::gio;
use relm4::gtk::prelude::*;

use crate::matching::Threshold;
use crate::settings::CollectionSettings;

/// The Preferences keys a collection's settings are made of.
const KEYS: [&str; 3] = ["thumbnails-folder", "write-comicinfo", "default-threshold"];

#[derive(Debug, Clone, Default)]
pub struct SharedSettings(Arc<RwLock<CollectionSettings>>);

impl SharedSettings {
    /// The settings Preferences hold now and later; `thumbnails`, when given (`--thumbnails`),
    /// wins over the folder Preferences name for as long as the app runs.
    pub fn follow(settings: &gio::Settings, thumbnails: Option<PathBuf>) -> Self {
        let shared = Self(Arc::new(RwLock::new(read(settings, thumbnails.as_ref()))));
        for key in KEYS {
            let shared = shared.clone();
            let thumbnails = thumbnails.clone();
            settings.connect_changed(Some(key), move |settings, _| {
                let now = read(settings, thumbnails.as_ref());
                *shared
                    .0
                    .write()
                    .unwrap_or_else(|poison| poison.into_inner()) = now;
            });
        }
        shared
    }

    /// The settings as they are now, for a job about to start.
    pub fn current(&self) -> CollectionSettings {
        self.0
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}

fn read(settings: &gio::Settings, thumbnails: Option<&PathBuf>) -> CollectionSettings {
    let chosen = settings.string("thumbnails-folder");
    CollectionSettings {
        thumbnails: thumbnails
            .cloned()
            .or_else(|| (!chosen.is_empty()).then(|| PathBuf::from(chosen.as_str()))),
        write_comicinfo: settings.boolean("write-comicinfo"),
        threshold: Threshold::clamped(settings.double("default-threshold")),
    }
}
