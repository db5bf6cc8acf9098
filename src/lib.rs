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
//!                   │                          the one CLIP engine (ui::engine) and the
//!                   │                          picture loader (ui::pictures)
//!                   ▼                           │
//!   core:  db (diesel/SQLite) · clip (libtorch) · jobs (progress, cancel)
//!          library (comic files, covers, thumbnails, scan)
//!          catalog (ComicVine client, volume import)
//!          matching (index, suggestions, journal) · interiors (labels, training, scores)
//! ```
//!
//! In the window, every page's worker keeps its own database connection to the collection the
//! app has open, and reconnects when the user opens another. The **engine service**
//! (`ui::engine`) holds the one CLIP model for every page, loaded by the first job that needs it
//! with the model and device Preferences name at that moment (reloaded only when they changed,
//! never under a running job). Jobs (classify, import) run one at a time, each in full batches;
//! work someone waits for (`SharedEngine::now`) and catalog covers read ahead in the background
//! (`SharedEngine::try_with`) share the model with them, and every forward pass takes its turn at
//! the model by urgency (`clip::passes`): interactive first, then the job, then the background,
//! so a key press never waits behind a whole job. Pictures shown in any page are decoded by one
//! loader (`ui::pictures`), what is on screen first. The command line loads its own engine for
//! each command.
//!
//! What a classification does is the core's, never the window's: `matching::score::decide` is
//! the one rule for what applies without the user (classification and Apply All alike), and
//! `matching::actions::Classifications` is the one way a person's decision is applied and taken
//! back (journal, edition learnt, ComicInfo.xml), from the review or a search;
//! `matching::actions::classify_again` is how comics that waited for a volume are classified
//! once it is added, by `catalog add-missing` and the Catalog window alike. Every job reads the
//! collection's settings (`settings::CollectionSettings`: thumbnails folder, ComicInfo.xml,
//! default threshold) when it starts; the window keeps one following Preferences
//! (`ui::settings`). Each page owns its work: the Interiors page's worker trains and labels
//! automatically, its label store saves labels; the app's backend only opens and counts the
//! collection. A running job, on any page, reports into a `jobs::ProgressMonitor` shared with
//! the page, which `ui::progress::ProgressPanel` shows (heading, counts, time left, Cancel). How a Babelcomics4 database keeps ComicVine ids (its two layouts) is
//! `db::layout`'s alone.

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
pub mod settings;
pub mod ui;
