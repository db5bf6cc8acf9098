//! Vistazo looks at pictures for people with large collections: it matches comic files to their
//! catalog issues by cover and scores photos of interiors, with a CLIP model running locally.
//!
//! The crate is split so that the architecture reads from the file tree. The core never imports
//! GTK; the UI never touches SQL or tensors directly.
//!
//! ```text
//! cli ──────────────┐                     ui (Relm4, GTK4/libadwaita)
//!                   │                      App (adw::ApplicationWindow)
//!                   │                      ├── HeaderBar + ViewSwitcherTitle, primary menu
//!                   │                      ├── ViewStack: Comics page │ Interiors page
//!                   │                      ├── ViewSwitcherBar (narrow windows)
//!                   │                      └── background workers (one thread each)
//!                   ▼                           │
//!   core:  db (diesel/SQLite) · clip (libtorch) · jobs (progress, cancel)
//!          library (comic files, covers, thumbnails, scan)
//!          catalog (ComicVine client, volume import)
//! ```

pub mod catalog;
pub mod cli;
pub mod clip;
pub mod config;
pub mod db;
pub mod i18n;
pub mod imaging;
pub mod interiors;
pub mod jobs;
pub mod library;
pub mod matching;
pub mod serve;
pub mod ui;
