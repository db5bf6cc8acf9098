//! Vistazo looks at pictures for people with large collections: it matches comic files to their
//! catalog issues by cover and scores photos of interiors, with a CLIP model running locally.
//!
//! The crate is split so that the architecture reads from the file tree. The core never imports
//! GTK; the UI never touches SQL or tensors directly.
//!
//! ```text
//! cli ──────────────┐                     ui (Relm4, GTK4/libadwaita)
//!                   │                      App (adw::ApplicationWindow, one per session)
//!                   │                      ├── HeaderBar + ViewSwitcherTitle, primary menu
//!                   │                      ├── ViewStack: Comics │ Review │ Interiors
//!                   │                      ├── ViewSwitcherBar (narrow windows)
//!                   │                      └── background workers (one thread each), sharing
//!                   │                          the open collection (ui::collection_file) and
//!                   │                          the one CLIP engine (ui::engine)
//!                   ▼                           │
//!   core:  db (diesel/SQLite) · clip (libtorch) · jobs (progress, cancel)
//!          library (comic files, covers, thumbnails, scan)
//!          catalog (ComicVine client, volume import)
//!          matching (index, suggestions, journal) · interiors (labels, training, scores)
//! ```
//!
//! In the window, every page's worker keeps its own database connection to the collection the
//! app has open, and reconnects when the user opens another; the CLIP model is loaded once, by
//! the first job that needs it, and shared: a job borrows it for its embeddings while a job of
//! another page that needs it waits, and a model or device changed in Preferences is loaded by
//! the next job. The command line loads its own engine for each command.

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
pub mod random;
pub mod serve;
pub mod ui;
