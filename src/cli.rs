//! The command line: global options, subcommands, exit codes. Glue only: the work happens in
//! the core modules, and errors become one line on stderr.
//!
//! Exit status: 0 on success, 2 on bad usage (clap's own, and [`UsageError`] for arguments a
//! command refuses after parsing), 1 on failure.

mod bench;
mod catalog;
mod classify;
mod duplicates;
mod embed;
mod inspect;
mod interiors;
mod pipeline;
mod scan;
mod search;
mod serve;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::clip::weights::{self, ModelFiles};
use crate::clip::{DevicePreference, DownloadEvent, Engine, EngineOptions, RuntimeInfo};
use crate::i18n::{fill, gettext};
use crate::jobs::CancelToken;
use crate::{config, db, i18n, ui};

#[derive(Debug, Parser)]
#[command(
    name = "vistazo",
    about = gettext("Match comics to their catalog issues and score photos of interiors"),
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,

    #[arg(short = 'V', long, help = gettext("Print the version, the libtorch version and whether CUDA is available"))]
    pub version: bool,

    #[arg(value_name = "FILE.db", help = gettext("A collection to open in the app (in the running window when there is one)"))]
    pub collection: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand accepts.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalOptions {
    #[arg(long, global = true, value_name = "PATH", help = gettext("Database file (default: vistazo/vistazo.db in the user data folder)"))]
    pub db: Option<PathBuf>,

    #[arg(long, global = true, value_name = "DIR", help = gettext("Folder with a Hugging Face CLIP model (default: download openai/clip-vit-base-patch32 once)"))]
    pub model: Option<PathBuf>,

    #[arg(long, global = true, value_enum, default_value_t = DevicePreference::Auto, help = gettext("Where the model runs: auto (CUDA when available, else the processor), cpu or cuda"))]
    pub device: DevicePreference,

    #[arg(long, global = true, value_name = "DIR", help = gettext("Folder for cover thumbnails (default: the one the database names)"))]
    pub thumbnails: Option<PathBuf>,
}

impl GlobalOptions {
    /// The database to use: `--db`, else the default location.
    pub fn database_path(&self) -> anyhow::Result<PathBuf> {
        match &self.db {
            Some(path) => Ok(path.clone()),
            None => db::default_path().ok_or_else(|| {
                anyhow::anyhow!(gettext(
                    "cannot find the user data folder: set XDG_DATA_HOME or pass --db PATH"
                ))
            }),
        }
    }

    /// The collection a command reads or changes. A `--db` naming no file is a mistake (a typo,
    /// a wrong folder), never a new collection; without `--db` the default one is created when
    /// missing, as the app does.
    pub fn open_collection(&self) -> anyhow::Result<db::Database> {
        let Some(path) = &self.db else {
            return Ok(db::open(&self.database_path()?)?);
        };
        match db::open_existing(path) {
            Err(db::DbError::Missing(_)) => Err(anyhow::anyhow!(fill(
                &gettext(
                    "no collection at {path}; check --db, or start one with scan, catalog add-volume or interiors import"
                ),
                &[("path", &path.display())]
            ))),
            opened => Ok(opened?),
        }
    }

    /// The collection a command adds to: a `--db` naming no file yet starts a new collection
    /// there (said on stderr), but only in a folder that exists.
    pub fn open_or_start_collection(&self) -> anyhow::Result<db::Database> {
        let Some(path) = self.db.as_deref().filter(|path| !path.exists()) else {
            return self.open_collection();
        };
        let folder = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if !folder.is_dir() {
            anyhow::bail!(fill(
                &gettext("cannot start a collection at {path}: the folder {folder} does not exist"),
                &[("path", &path.display()), ("folder", &folder.display())]
            ));
        }
        let database = db::create_new(path)?;
        eprintln!(
            "{}",
            fill(
                &gettext("Started a new collection at {path}."),
                &[("path", &path.display())]
            )
        );
        Ok(database)
    }

    /// Finds the model (downloading it once, with a progress bar on stderr) and loads it.
    pub fn load_engine(&self, batch_size: usize) -> anyhow::Result<Engine> {
        let files = self.locate_model()?;
        self.load_engine_from(&files, batch_size)
    }

    /// Loads the model in `files` as the global options ask.
    pub fn load_engine_from(
        &self,
        files: &ModelFiles,
        batch_size: usize,
    ) -> anyhow::Result<Engine> {
        let options = EngineOptions {
            device: self.device,
            batch_size,
            ..EngineOptions::default()
        };
        Ok(Engine::load(files, &options)?)
    }

    /// Finds the model's files: `--model`, the Hugging Face cache, or a download with a progress
    /// bar on stderr.
    pub fn locate_model(&self) -> anyhow::Result<ModelFiles> {
        let mut bar: Option<ProgressBar> = None;
        let mut on_event = |event: DownloadEvent| match event {
            DownloadEvent::Started { file, bytes } => {
                let progress = ProgressBar::new(bytes);
                progress.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                progress.set_message(i18n::fill(
                    &gettext("Downloading {file}"),
                    &[("file", &file)],
                ));
                bar = Some(progress);
            }
            DownloadEvent::Advanced { done, .. } => {
                if let Some(bar) = &bar {
                    bar.set_position(done);
                }
            }
            DownloadEvent::Verifying { file } => {
                if let Some(bar) = &bar {
                    bar.set_message(i18n::fill(&gettext("Checking {file}"), &[("file", &file)]));
                }
            }
            DownloadEvent::Finished { .. } => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
            }
        };
        Ok(weights::locate(self.model.as_deref(), true, &mut on_event)?)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(about = gettext("Open the app (the default when no command is given)"))]
    Gui {
        #[arg(long, value_enum, help = gettext("The page to show first"))]
        page: Option<Page>,
    },
    #[command(about = gettext("Add the comic files in folders to the collection and extract their covers"))]
    Scan {
        #[arg(required = true, value_name = "DIR", help = gettext("Folders to search for comic files, with their subfolders"))]
        folders: Vec<PathBuf>,
        #[arg(long, help = gettext("Print the counts and the files left out as one JSON object"))]
        json: bool,
    },
    #[command(about = gettext("Show what Vistazo reads from comic files (name, tags, format, pages, cover), touching no collection"))]
    Inspect {
        #[arg(required = true, value_name = "FILE", help = gettext("Comic files (CBZ, CBR, CB7, CBT, PDF or folders of pictures)"))]
        files: Vec<PathBuf>,
        #[arg(long, help = gettext("Print an array with one JSON object per file"))]
        json: bool,
    },
    #[command(about = gettext("The ComicVine catalog: search volumes, add a volume with its covers"))]
    Catalog {
        #[command(subcommand)]
        command: catalog::CatalogCommand,
    },
    #[command(about = gettext("Photos of interiors: import, label, train, auto-label"))]
    Interiors {
        #[command(subcommand)]
        command: interiors::InteriorsCommand,
    },
    #[command(about = gettext("Compute the missing embeddings of the catalog covers and of the covers in the collection"))]
    Embed(classify::EmbedArgs),
    #[command(about = gettext("Suggest the catalog issue of each unclassified comic, and apply the clear matches"))]
    Classify(classify::ClassifyArgs),
    #[command(about = gettext("Undo the classifications a run applied"))]
    Undo(classify::UndoArgs),
    #[command(about = gettext("Find covers by what they show, described in words"))]
    Search(search::SearchArgs),
    #[command(about = gettext("Find covers that look like a picture, a comic file or an owned comic"))]
    Similar(search::SimilarArgs),
    #[command(about = gettext("List the comics owned twice: the same issue, or the same cover picture"))]
    Duplicates {
        #[arg(long, help = gettext("Print the groups as one JSON object"))]
        json: bool,
    },
    #[command(about = gettext("Print the CLIP embedding of each image file"))]
    EmbedImage {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[arg(long, help = gettext("Print one JSON object mapping each file to its embedding"))]
        json: bool,
    },
    #[command(about = gettext("Print the CLIP token ids and embedding of each text"))]
    EmbedText {
        #[arg(required = true, value_name = "TEXT")]
        texts: Vec<String>,
        #[arg(long, help = gettext("Print one JSON object mapping each text to its ids and embedding"))]
        json: bool,
    },
    #[command(about = gettext("Score photos over HTTP: GET /health, POST /score with a photo"))]
    Serve {
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8000", help = gettext("Address and port to listen on; port 0 picks a free one"))]
        addr: std::net::SocketAddr,
        #[arg(long, value_name = "MB", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1024), help = gettext("Largest photo upload accepted, in megabytes"))]
        max_upload_mb: u32,
    },
    #[command(about = gettext("Measure how fast Vistazo works on this computer"))]
    Bench {
        #[command(subcommand)]
        target: bench::BenchTarget,
    },
}

/// The pages the app can open on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Page {
    Comics,
    Review,
    Label,
    Interiors,
}

/// A number between 0 and 1, for thresholds and confidences.
fn fraction(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(number) if (0.0..=1.0).contains(&number) => Ok(number),
        _ => Err(gettext("expected a number between 0 and 1")),
    }
}

fn non_negative(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(number) if number.is_finite() && number >= 0.0 => Ok(number),
        _ => Err(gettext("expected a number of 0 or more")),
    }
}

/// Parses the command line with translated help, runs the command, and turns the result into
/// the process exit status.
pub fn main() -> ExitCode {
    // Before any thread exists: setlocale is not thread-safe.
    i18n::init();
    init_logging();
    db::busy::on_long_wait(|| {
        // Failing to say it must not stop the wait.
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            gettext("Waiting for another program using the collection…")
        );
    });

    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => error.exit(),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    if let (Some(file), Some(_)) = (&cli.collection, &cli.command) {
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                i18n::fill(
                    &gettext(
                        "a collection file ({file}) is opened in the app, not with a command: use --db",
                    ),
                    &[("file", &file.display())],
                ),
            )
            .exit();
    }
    if let Some(file) = cli.collection.as_deref().filter(|file| !file.exists()) {
        // Most often a mistyped command: say both.
        Cli::command()
            .error(
                clap::error::ErrorKind::InvalidValue,
                i18n::fill(
                    &gettext("there is no command or collection file named {file}"),
                    &[("file", &file.display())],
                ),
            )
            .exit();
    }
    if let Some(value) = cli.global.db.as_deref().filter(|db| !db::names_a_file(db)) {
        eprintln!(
            "error: {}",
            fill(
                &gettext(
                    "--db takes the path of a collection file, and {value} is none: SQLite's in-memory database, URIs and folders cannot keep a collection"
                ),
                &[("value", &i18n::echoed(&value.to_string_lossy()))]
            )
        );
        return ExitCode::from(BAD_USAGE);
    }
    let collection = cli.global.database_path().ok();
    match run(cli) {
        Ok(code) => code,
        Err(error) if error.is::<UsageError>() => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::from(BAD_USAGE)
        }
        Err(error) => {
            eprintln!("vistazo: {}", error_line(&error, collection.as_deref()));
            ExitCode::FAILURE
        }
    }
}

/// The exit status of bad usage, as clap's own errors have it.
const BAD_USAGE: u8 = 2;

/// Arguments clap accepted that a command cannot work with (an empty query, a combination that
/// contradicts itself, an example that names nothing): told on one line, as clap tells its
/// own usage errors, with exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The line an error is told in: [`one_line`], except that SQLite refusing to write, which it
/// says without naming the file, is told with the collection and the reason.
fn error_line(error: &anyhow::Error, collection: Option<&std::path::Path>) -> String {
    let refused = error.chain().any(|cause| cause.is::<db::WriteRefused>());
    match collection {
        Some(path) if refused => db::DbError::WriteRefused(db::WriteRefused)
            .with_path(path)
            .to_string(),
        _ => one_line(error),
    }
}

/// An error and its causes on one line, each cause once: a message that already quotes its
/// cause (as most do) is not followed by it again.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line.replace('\n', " ")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if cli.version {
        print_version()?;
        return Ok(ExitCode::SUCCESS);
    }
    match cli.command {
        None => ui::run(launch(&cli.global, None, cli.collection)),
        Some(Command::Gui { page }) => ui::run(launch(&cli.global, page, None)),
        Some(Command::Scan { folders, json }) => scan::run(&cli.global, &folders, json),
        Some(Command::Inspect { files, json }) => Ok(inspect::run(&files, json)),
        Some(Command::Catalog { command }) => catalog::run(&cli.global, command),
        Some(Command::Interiors { command }) => {
            interiors::run(&cli.global, command)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Embed(args)) => classify::embed(&cli.global, &args),
        Some(Command::Classify(args)) => classify::classify(&cli.global, &args),
        Some(Command::Undo(args)) => classify::undo(&cli.global, &args),
        Some(Command::Search(args)) => search::search(&cli.global, &args),
        Some(Command::Similar(args)) => search::similar(&cli.global, &args),
        Some(Command::Duplicates { json }) => duplicates::run(&cli.global, json),
        Some(Command::EmbedImage { files, json }) => embed::embed_image(&cli.global, &files, json),
        Some(Command::EmbedText { texts, json }) => embed::embed_text(&cli.global, &texts, json),
        Some(Command::Serve {
            addr,
            max_upload_mb,
        }) => {
            serve::run(&cli.global, addr, max_upload_mb)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Bench { target }) => bench::bench(&cli.global, &target),
    }
}

/// What the app is asked to start with.
fn launch(global: &GlobalOptions, page: Option<Page>, file: Option<PathBuf>) -> ui::Launch {
    ui::Launch {
        file,
        database: global.db.clone(),
        default_database: db::default_path(),
        page: page.map(|page| match page {
            Page::Comics => ui::Page::Comics,
            Page::Review => ui::Page::Review,
            Page::Label => ui::Page::Label,
            Page::Interiors => ui::Page::Interiors,
        }),
        model: global.model.clone(),
        device: (global.device != DevicePreference::Auto).then_some(global.device),
        thumbnails: global.thumbnails.clone(),
    }
}

fn print_version() -> anyhow::Result<()> {
    let runtime = RuntimeInfo::detect();
    let cuda = if runtime.cuda_available {
        i18n::fill(
            &gettext("available ({devices} devices)"),
            &[("devices", &runtime.cuda_devices)],
        )
    } else {
        gettext("not available")
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "vistazo {}", config::VERSION)?;
    writeln!(out, "libtorch {}", runtime.libtorch_version)?;
    writeln!(out, "CUDA: {cuda}")?;
    Ok(())
}

/// A cancelled command did not finish: a failure for the exit status (design: 0, 1 or 2), with
/// what it saved kept.
const CANCELLED: u8 = 1;

/// A token that the first Ctrl+C cancels, printing `notice`; the second ends the process.
fn cancel_on_interrupt(notice: String) -> CancelToken {
    // One handler for the process; each step of a command (adding volumes, then classifying)
    // hands it the token to cancel and the notice to say.
    static CURRENT: std::sync::Mutex<Option<(CancelToken, String)>> = std::sync::Mutex::new(None);
    static INSTALL: std::sync::Once = std::sync::Once::new();
    let cancel = CancelToken::new();
    if let Ok(mut current) = CURRENT.lock() {
        *current = Some((cancel.clone(), notice));
    }
    INSTALL.call_once(|| {
        let installed = ctrlc::set_handler(|| {
            let current = CURRENT.lock().ok().and_then(|current| current.clone());
            let Some((flag, notice)) = current else {
                return;
            };
            if flag.is_cancelled() {
                std::process::exit(i32::from(CANCELLED));
            }
            flag.cancel();
            eprintln!("{notice}");
        });
        if let Err(error) = installed {
            tracing::warn!(
                "Ctrl+C will end the command without saving the work in flight: {error}"
            );
        }
    });
    cancel
}

/// The count gettext chooses a plural form by.
fn plural(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The line that names a comic whose cover is a truncated image; `entry` is the page (or the
/// thumbnail) read.
fn truncated_cover_warning(path: &std::path::Path, entry: &str) -> String {
    fill(
        &gettext(
            "Truncated image: the cover of {path} ({entry}) ends before the picture does, so part of it is grey; its match will only be suggested, never applied automatically.",
        ),
        &[("path", &path.display()), ("entry", &entry)],
    )
}

/// Logs go to stderr, quiet unless `RUST_LOG` asks for more.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,relm4=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_write_is_told_with_the_collection_however_deep_it_is() {
        let refused = db::DbError::WriteRefused(db::WriteRefused);
        let nested = anyhow::Error::from(crate::matching::MatchingError::Db(refused));
        let path = std::path::Path::new("/nowhere/v.db");
        let line = error_line(&nested, Some(path));
        assert!(
            line.starts_with("cannot write the collection /nowhere/v.db: "),
            "{line}"
        );
        assert_eq!(line.matches("cannot write").count(), 1, "{line}");
        // Without a collection to name, the refusal is said once.
        let alone = anyhow::Error::from(db::DbError::WriteRefused(db::WriteRefused));
        assert_eq!(
            error_line(&alone, None),
            "cannot write the collection: its file or its folder is read-only"
        );
    }
}
