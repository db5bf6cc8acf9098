//! Charts of the interiors collection and its model: how the filters see the photos, how the
//! labels are spread, how sure the model is, how it improved round after round, and where the
//! photos lie in embedding space.
//!
//! [`ChartData::gather`] (in `data`) reads everything a chart needs from the database once (it
//! projects the embeddings with libtorch: call it off the GTK main thread). [`draw`] draws one
//! chart on any cairo context at any size, so the same pictures serve the window (at its real
//! size and scale, in its light or dark style) and `vistazo interiors report` ([`render_png`]).
//! Text goes through Pango and the system's fonts; nothing here needs a display.

mod canvas;
mod data;

pub use canvas::{Colour, Look, Palette, Style};
pub use data::{ChartData, PhotoAssessment, PhotoPoint, RoundPoint, Summary};

use std::path::{Path, PathBuf};

use super::rounds::{LabelCounts, RoundError};
use super::{LabelSource, Quality};
use crate::db::DbError;
use crate::i18n::{fill, gettext};
use canvas::{Align, Axis, Canvas, Entry, Font, Marker, Ticks};

/// The size the report writes, readable on screen and in documents.
pub const DEFAULT_SIZE: (u32, u32) = (800, 600);

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{}", fill(&gettext("cannot draw the chart: {error}"), &[("error", .0)]))]
    Draw(String),
    #[error("{}", fill(&gettext("cannot write {path}: {error}"), &[("path", &.path.display()), ("error", .source)]))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", fill(&gettext("{path} is not a file an earlier report wrote, and is left as it is; nothing was written: choose an empty or new folder, or move that file"), &[("path", &.path.display())]))]
    NotAReportFile { path: PathBuf },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Rounds(#[from] RoundError),
}

/// The charts there are, in the order the report writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    RoomScore,
    IndoorVsRoom,
    Labels,
    Confidence,
    Accuracy,
    ScoresByLabel,
    Embeddings,
}

impl ChartKind {
    pub const ALL: [ChartKind; 7] = [
        ChartKind::RoomScore,
        ChartKind::IndoorVsRoom,
        ChartKind::Labels,
        ChartKind::Confidence,
        ChartKind::Accuracy,
        ChartKind::ScoresByLabel,
        ChartKind::Embeddings,
    ];

    /// The PNG file name in a report.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::RoomScore => "room-score.png",
            Self::IndoorVsRoom => "indoor-vs-room.png",
            Self::Labels => "labels.png",
            Self::Confidence => "confidence.png",
            Self::Accuracy => "accuracy-per-round.png",
            Self::ScoresByLabel => "scores-by-label.png",
            Self::Embeddings => "embeddings-pca.png",
        }
    }

    pub fn title(self) -> String {
        match self {
            Self::RoomScore => gettext("Room Score of the Photos"),
            Self::IndoorVsRoom => gettext("Indoor Score and Room Score"),
            Self::Labels => gettext("Labels and Model Buckets"),
            Self::Confidence => gettext("Model Confidence on Photos Without a Human Label"),
            Self::Accuracy => gettext("Accuracy per Training Round"),
            Self::ScoresByLabel => gettext("Scores by Label"),
            Self::Embeddings => gettext("Photos in Embedding Space (PCA)"),
        }
    }
}

/// What a chart shows, in words: the numbers behind it, for a screen reader (the window's
/// charts are pictures) and for anyone who cannot read the picture.
pub fn describe(kind: ChartKind, data: &ChartData) -> String {
    let summary = data.summary();
    if summary.photos == 0 {
        return no_photos();
    }
    let counts = |counts: &LabelCounts| {
        fill(
            &gettext("{bad} bad, {medium} medium, {good} good"),
            &[
                ("bad", &counts.bad),
                ("medium", &counts.medium),
                ("good", &counts.good),
            ],
        )
    };
    let scored: Vec<&PhotoAssessment> = data
        .photos
        .iter()
        .filter_map(|p| p.assessment.as_ref())
        .collect();
    match kind {
        ChartKind::RoomScore | ChartKind::IndoorVsRoom => fill(
            &gettext("{passing} of {photos} photos pass the indoor and room filters"),
            &[
                ("passing", &summary.passing_filter),
                ("photos", &summary.photos),
            ],
        ),
        ChartKind::Labels => {
            let mut text = fill(
                &gettext("Labelled by you: {human}. Labelled automatically: {auto}."),
                &[
                    ("human", &counts(&summary.human_labels)),
                    ("auto", &counts(&summary.auto_labels)),
                ],
            );
            if let Some(buckets) = &summary.model_buckets {
                text.push(' ');
                text.push_str(&fill(
                    &gettext("The model rates {buckets}."),
                    &[("buckets", &counts(buckets))],
                ));
            }
            text
        }
        ChartKind::Confidence | ChartKind::ScoresByLabel if scored.is_empty() => no_model(),
        ChartKind::Confidence => {
            let unlabelled: Vec<f64> = data
                .photos
                .iter()
                .filter(|p| p.label.is_none())
                .filter_map(|p| p.assessment.map(|a| a.confidence))
                .collect();
            let sure = unlabelled
                .iter()
                .filter(|c| **c >= data.min_confidence)
                .count();
            fill(
                &gettext(
                    "Of {photos} photos without your label, the model is sure enough to label {sure} (confidence at least {min})",
                ),
                &[
                    ("photos", &unlabelled.len()),
                    ("sure", &sure),
                    ("min", &format!("{:.2}", data.min_confidence)),
                ],
            )
        }
        ChartKind::ScoresByLabel => {
            let mean = |quality: Quality| {
                let scores: Vec<f64> = data
                    .photos
                    .iter()
                    .filter(|p| p.label.is_some_and(|(q, _)| q == quality))
                    .filter_map(|p| p.assessment.map(|a| a.score))
                    .collect();
                if scores.is_empty() {
                    "–".to_owned()
                } else {
                    format!("{:.0}", scores.iter().sum::<f64>() / scores.len() as f64)
                }
            };
            fill(
                &gettext(
                    "Mean score of the photos labelled bad: {bad}, medium: {medium}, good: {good}",
                ),
                &[
                    ("bad", &mean(Quality::Bad)),
                    ("medium", &mean(Quality::Medium)),
                    ("good", &mean(Quality::Good)),
                ],
            )
        }
        ChartKind::Accuracy if summary.rounds.is_empty() => no_model(),
        ChartKind::Accuracy => summary
            .rounds
            .iter()
            .map(|round| match round.accuracy {
                Some(accuracy) => fill(
                    &gettext("Round {round}: {percent}% of your labels right"),
                    &[
                        ("round", &round.number),
                        ("percent", &format!("{:.0}", accuracy * 100.0)),
                    ],
                ),
                None => fill(
                    &gettext("Round {round}: not measured"),
                    &[("round", &round.number)],
                ),
            })
            .collect::<Vec<_>>()
            .join("; "),
        ChartKind::Embeddings => match data.explained_variance {
            Some([first, second]) => fill(
                &gettext(
                    "{photos} photos placed by what they show; the two axes explain {first}% and {second}% of the differences",
                ),
                &[
                    (
                        "photos",
                        &data.photos.iter().filter(|p| p.plane.is_some()).count(),
                    ),
                    ("first", &format!("{:.0}", first * 100.0)),
                    ("second", &format!("{:.0}", second * 100.0)),
                ],
            ),
            None => no_model(),
        },
    }
}

/// Draws one chart on `cr`, filling `width × height` of its user space.
pub fn draw(
    kind: ChartKind,
    data: &ChartData,
    cr: &cairo::Context,
    size: (f64, f64),
    look: &Look,
) -> Result<(), ChartError> {
    let canvas = Canvas::new(cr, size, look);
    if look.background {
        canvas.paint(canvas.palette.background)?;
    }
    match kind {
        ChartKind::RoomScore => room_score(&canvas, data),
        ChartKind::IndoorVsRoom => indoor_vs_room(&canvas, data),
        ChartKind::Labels => labels(&canvas, data),
        ChartKind::Confidence => confidence(&canvas, data),
        ChartKind::Accuracy => accuracy(&canvas, data),
        ChartKind::ScoresByLabel => scores_by_label(&canvas, data),
        ChartKind::Embeddings => embeddings(&canvas, data),
    }
}

/// Draws one chart as a PNG file's bytes, light, on white.
pub fn render_png(
    kind: ChartKind,
    data: &ChartData,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    let (width, height) = (width.clamp(200, 16_000), height.clamp(150, 16_000));
    let surface = cairo::ImageSurface::create(cairo::Format::Rgb24, width as i32, height as i32)?;
    {
        let cr = cairo::Context::new(&surface)?;
        let size = (f64::from(width), f64::from(height));
        draw(kind, data, &cr, size, &Look::for_export(height))?;
    }
    let mut bytes = Vec::new();
    surface
        .write_to_png(&mut bytes)
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    Ok(bytes)
}

/// The file a report leaves beside its charts: the SHA-256 and name of each file it wrote, as
/// `sha256sum` prints them, so that the next report knows which files are its own to replace.
pub const REPORT_MANIFEST: &str = "vistazo-report.sha256";

/// The file a report writes its counts to.
const SUMMARY: &str = "summary.json";

/// Writes every chart as a PNG file in `dir` (created when missing), and `summary.json`
/// with the counts behind them. Returns the files written.
///
/// A person's files are never replaced: a file of the same name as one the report writes is
/// replaced only when an earlier report wrote it and it has not changed since (its SHA-256 is
/// in [`REPORT_MANIFEST`]); otherwise nothing is written and the error names the file.
pub fn write_report(
    data: &ChartData,
    dir: &Path,
    (width, height): (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| ChartError::Write { path, source }
    };
    let mut names: Vec<&str> = ChartKind::ALL.iter().map(|k| k.file_name()).collect();
    names.push(SUMMARY);
    let earlier = check_only_own_files(dir, &names)?;
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    let mut files = Vec::new();
    for kind in ChartKind::ALL {
        files.push((kind.file_name(), render_png(kind, data, width, height)?));
    }
    let mut summary = data.summary();
    summary.charts = ChartKind::ALL
        .iter()
        .map(|k| k.file_name().to_owned())
        .collect();
    let json =
        serde_json::to_string_pretty(&summary).map_err(|e| ChartError::Draw(e.to_string()))?;
    files.push((SUMMARY, json.into_bytes()));

    let manifest: String = files
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect();
    // Before the charts, the manifest names the earlier files and the new ones alike, so a
    // report stopped halfway leaves only files the next one may replace.
    let manifest_path = dir.join(REPORT_MANIFEST);
    let during: String = earlier
        .iter()
        .map(|(name, hash)| format!("{hash}  {name}\n"))
        .chain(std::iter::once(manifest.clone()))
        .collect();
    replace_file(&manifest_path, during.as_bytes()).map_err(write_error(&manifest_path))?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        replace_file(&path, &bytes).map_err(write_error(&path))?;
        written.push(path);
    }
    replace_file(&manifest_path, manifest.as_bytes()).map_err(write_error(&manifest_path))?;
    Ok(written)
}

/// Refuses, naming it, the first of `names` in `dir` that an earlier report did not write as
/// it is now (a person's file, a link, a folder, a chart changed since), and a manifest that
/// is not a report's. Returns what the manifest there lists: each name with its SHA-256.
fn check_only_own_files(dir: &Path, names: &[&str]) -> Result<Vec<(String, String)>, ChartError> {
    let not_ours = |path: PathBuf| ChartError::NotAReportFile { path };
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| ChartError::Write { path, source }
    };
    let manifest_path = dir.join(REPORT_MANIFEST);
    let own: Vec<(String, String)> = match std::fs::symlink_metadata(&manifest_path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(read_error(&manifest_path)(error)),
        Ok(metadata) if !metadata.is_file() => return Err(not_ours(manifest_path)),
        Ok(_) => {
            let text = std::fs::read_to_string(&manifest_path)
                .map_err(|_| not_ours(manifest_path.clone()))?;
            let mut own = Vec::new();
            for line in text.lines() {
                match line.split_once("  ") {
                    Some((hash, name)) if hash.len() == 64 && names.contains(&name) => {
                        own.push((name.to_owned(), hash.to_owned()));
                    }
                    _ => return Err(not_ours(manifest_path)),
                }
            }
            own
        }
    };
    for name in names {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(read_error(&path)(error)),
            Ok(metadata) if !metadata.is_file() => return Err(not_ours(path)),
            Ok(_) => {}
        }
        let bytes = std::fs::read(&path).map_err(read_error(&path))?;
        let hash = sha256_hex(&bytes);
        if !own
            .iter()
            .any(|(own_name, own_hash)| own_name == name && *own_hash == hash)
        {
            return Err(not_ours(path));
        }
    }
    Ok(own)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// Writes `path` whole or not at all: a temporary file beside it, renamed over it (a link
/// of that name is replaced, never followed).
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".part");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

fn quality_name(quality: Quality) -> String {
    match quality {
        Quality::Bad => gettext("Bad"),
        Quality::Medium => gettext("Medium"),
        Quality::Good => gettext("Good"),
    }
}

fn quality_colour(palette: &Palette, quality: Quality) -> Colour {
    match quality {
        Quality::Bad => palette.red,
        Quality::Medium => palette.yellow,
        Quality::Good => palette.green,
    }
}

fn no_photos() -> String {
    gettext("No photos yet: import a folder of photos first.")
}

fn no_model() -> String {
    gettext("No model yet: label some photos and train first.")
}

/// Equal-width bins of `values` over `range`.
fn histogram(values: impl Iterator<Item = f64>, range: (f64, f64), bins: usize) -> Vec<u32> {
    let mut counts = vec![0u32; bins];
    let width = (range.1 - range.0) / bins as f64;
    for value in values {
        if value.is_finite() {
            let bin = (((value - range.0) / width).floor().max(0.0) as usize).min(bins - 1);
            counts[bin] += 1;
        }
    }
    counts
}

fn entry(marker: Marker, text: impl Into<String>) -> Entry {
    Entry {
        marker,
        text: text.into(),
    }
}

/// A vertical axis counting photos up to `top`, with a line across at each number.
fn photo_count_axis(top: f64) -> Axis {
    Axis {
        range: (0.0, top),
        ticks: Ticks::Round { whole: true },
        description: gettext("Photos"),
        grid: true,
    }
}

fn axis(range: (f64, f64), description: String, grid: bool) -> Axis {
    Axis {
        range,
        ticks: Ticks::Round { whole: false },
        description,
        grid,
    }
}

fn room_score(canvas: &Canvas<'_>, data: &ChartData) -> Result<(), ChartError> {
    let title = ChartKind::RoomScore.title();
    let scores: Vec<f64> = data.photos.iter().filter_map(|p| p.room_score).collect();
    if scores.is_empty() {
        return canvas.empty(&title, &no_photos());
    }
    let palette = canvas.palette;
    let threshold = data.filter.min_room;
    let passing = scores.iter().filter(|s| **s >= threshold).count();
    let area = canvas.title(canvas.whole(), &title);
    let area = canvas.legend(
        area,
        &[
            entry(
                Marker::Box(palette.blue),
                fill(
                    &gettext("At or above the threshold ({count})"),
                    &[("count", &passing)],
                ),
            ),
            entry(
                Marker::Box(palette.grey),
                fill(
                    &gettext("Below it ({count})"),
                    &[("count", &(scores.len() - passing))],
                ),
            ),
            entry(
                Marker::Line(palette.text),
                fill(
                    &gettext("Filter threshold {threshold}"),
                    &[("threshold", &format!("{threshold:.2}"))],
                ),
            ),
        ],
    )?;
    let bins = 20;
    let counts = histogram(scores.iter().copied(), (0.0, 1.0), bins);
    let top = f64::from(counts.iter().copied().max().unwrap_or(1)).max(1.0) * 1.1;
    let plot = canvas.axes(
        area,
        &axis((0.0, 1.0), gettext("Room score (0 to 1)"), false),
        &photo_count_axis(top),
    )?;
    let width = 1.0 / bins as f64;
    canvas.clipped(plot.area, || {
        for (i, &count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let x0 = i as f64 * width;
            let colour = if x0 + width / 2.0 >= threshold {
                palette.blue
            } else {
                palette.grey
            };
            canvas.bar(
                plot.at((x0 + width * 0.05, 0.0)),
                plot.at((x0 + width * 0.95, f64::from(count))),
                colour,
            )?;
        }
        canvas.rule(
            plot.at((threshold, 0.0)),
            plot.at((threshold, top)),
            canvas.stroke(),
            (palette.text, 1.0),
        )
    })
}

fn indoor_vs_room(canvas: &Canvas<'_>, data: &ChartData) -> Result<(), ChartError> {
    let title = ChartKind::IndoorVsRoom.title();
    let points: Vec<(f64, f64, bool)> = data
        .photos
        .iter()
        .filter_map(|p| Some((p.indoor_score?, p.room_score?, data.passes(p))))
        .collect();
    if points.is_empty() {
        return canvas.empty(&title, &no_photos());
    }
    let palette = canvas.palette;
    let passing = points.iter().filter(|p| p.2).count();
    let area = canvas.title(canvas.whole(), &title);
    let area = canvas.legend(
        area,
        &[
            entry(
                Marker::Box(palette.blue),
                fill(&gettext("Interiors ({count})"), &[("count", &passing)]),
            ),
            entry(
                Marker::Box(palette.red),
                fill(
                    &gettext("Filtered out ({count})"),
                    &[("count", &(points.len() - passing))],
                ),
            ),
            entry(Marker::Line(palette.text), gettext("Filter thresholds")),
        ],
    )?;
    let end = 1.02;
    let plot = canvas.axes(
        area,
        &axis((0.0, end), gettext("Indoor score (0 to 1)"), true),
        &axis((0.0, end), gettext("Room score (0 to 1)"), true),
    )?;
    let radius = canvas.dot_radius();
    canvas.clipped(plot.area, || {
        for (inside, colour) in [(false, palette.red), (true, palette.blue)] {
            for &(x, y, _) in points.iter().filter(|p| p.2 == inside) {
                canvas.dot(plot.at((x, y)), radius, (colour, 0.6), None)?;
            }
        }
        let line = (palette.text, 0.7);
        let (indoor, room) = (data.filter.min_indoor, data.filter.min_room);
        canvas.rule(plot.at((indoor, 0.0)), plot.at((indoor, end)), 1.0, line)?;
        canvas.rule(plot.at((0.0, room)), plot.at((end, room)), 1.0, line)
    })
}

fn labels(canvas: &Canvas<'_>, data: &ChartData) -> Result<(), ChartError> {
    let title = ChartKind::Labels.title();
    if data.photos.is_empty() {
        return canvas.empty(&title, &no_photos());
    }
    let palette = canvas.palette;
    let summary = data.summary();
    let get = |counts: &LabelCounts, quality: Quality| match quality {
        Quality::Bad => counts.bad,
        Quality::Medium => counts.medium,
        Quality::Good => counts.good,
    };
    let mut series: Vec<(String, Colour, LabelCounts)> = vec![
        (gettext("Human labels"), palette.blue, summary.human_labels),
        (
            gettext("Automatic labels"),
            palette.purple,
            summary.auto_labels,
        ),
    ];
    if let Some(buckets) = summary.model_buckets {
        series.push((
            gettext("Model bucket of every photo"),
            palette.grey,
            buckets,
        ));
    }
    let entries: Vec<Entry> = series
        .iter()
        .map(|(name, colour, _)| entry(Marker::Box(*colour), name.as_str()))
        .collect();
    let area = canvas.title(canvas.whole(), &title);
    let area = canvas.legend(area, &entries)?;
    let top = series
        .iter()
        .flat_map(|(_, _, c)| Quality::ALL.map(|q| get(c, q)))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.12;
    // Each quality has a slot one unit wide: bad is 0..1, medium 1..2, good 2..3.
    let qualities = Axis {
        range: (0.0, 3.0),
        ticks: Ticks::At(
            Quality::ALL
                .iter()
                .map(|&q| (q.index() as f64 + 0.5, quality_name(q)))
                .collect(),
        ),
        description: gettext("Quality"),
        grid: false,
    };
    let plot = canvas.axes(area, &qualities, &photo_count_axis(top))?;
    let slot = 0.8 / series.len() as f64;
    for (k, (_, colour, counts)) in series.iter().enumerate() {
        for quality in Quality::ALL {
            let left = quality.index() as f64 + 0.1 + slot * k as f64;
            let n = get(counts, quality);
            canvas.bar(
                plot.at((left + 0.01, 0.0)),
                plot.at((left + slot - 0.01, n as f64)),
                *colour,
            )?;
            canvas.text(
                &n.to_string(),
                Font::Tick,
                palette.text,
                (plot.x(left + slot / 2.0), plot.y(n as f64) - 2.0),
                (Align::Center, Align::End),
            )?;
        }
    }
    Ok(())
}

fn confidence(canvas: &Canvas<'_>, data: &ChartData) -> Result<(), ChartError> {
    let title = ChartKind::Confidence.title();
    if data.photos.iter().all(|p| p.assessment.is_none()) {
        return canvas.empty(&title, &no_model());
    }
    let values: Vec<f64> = data
        .photos
        .iter()
        .filter(|p| !matches!(p.label, Some((_, LabelSource::Human))))
        .filter_map(|p| Some(p.assessment?.confidence))
        .collect();
    if values.is_empty() {
        return canvas.empty(&title, &gettext("Every photo has a human label."));
    }
    let palette = canvas.palette;
    let threshold = data.min_confidence;
    let accepted = values.iter().filter(|v| **v >= threshold).count();
    let area = canvas.title(canvas.whole(), &title);
    let area = canvas.legend(
        area,
        &[
            entry(
                Marker::Box(palette.purple),
                fill(
                    &gettext("Sure enough to label automatically ({count})"),
                    &[("count", &accepted)],
                ),
            ),
            entry(
                Marker::Box(palette.grey),
                fill(
                    &gettext("Too unsure ({count})"),
                    &[("count", &(values.len() - accepted))],
                ),
            ),
            entry(
                Marker::Line(palette.text),
                fill(
                    &gettext("Threshold {threshold}"),
                    &[("threshold", &format!("{threshold:.2}"))],
                ),
            ),
        ],
    )?;
    let bins = 20;
    // Each bar stacks the photos below the threshold and those at or above it.
    let side = |above: bool| {
        histogram(
            values
                .iter()
                .copied()
                .filter(|v| (*v >= threshold) == above),
            (0.0, 1.0),
            bins,
        )
    };
    let (below, over) = (side(false), side(true));
    let top = f64::from(
        below
            .iter()
            .zip(&over)
            .map(|(a, b)| a + b)
            .max()
            .unwrap_or(1),
    )
    .max(1.0)
        * 1.1;
    let plot = canvas.axes(
        area,
        &axis(
            (0.0, 1.0),
            gettext("Confidence: top probability minus the second"),
            false,
        ),
        &photo_count_axis(top),
    )?;
    let width = 1.0 / bins as f64;
    canvas.clipped(plot.area, || {
        for i in 0..bins {
            let x0 = i as f64 * width;
            let (left, right) = (x0 + width * 0.05, x0 + width * 0.95);
            let (low, high) = (f64::from(below[i]), f64::from(below[i] + over[i]));
            if below[i] > 0 {
                canvas.bar(plot.at((left, 0.0)), plot.at((right, low)), palette.grey)?;
            }
            if over[i] > 0 {
                canvas.bar(plot.at((left, low)), plot.at((right, high)), palette.purple)?;
            }
        }
        canvas.rule(
            plot.at((threshold, 0.0)),
            plot.at((threshold, top)),
            canvas.stroke(),
            (palette.text, 1.0),
        )
    })
}

fn accuracy(canvas: &Canvas<'_>, data: &ChartData) -> Result<(), ChartError> {
    let title = ChartKind::Accuracy.title();
    if !data.rounds.iter().any(|r| r.accuracy.is_some()) {
        let why = if data.rounds.is_empty() {
            no_model()
        } else {
            gettext("Not evaluated yet: each label needs at least two human-labelled photos.")
        };
        return canvas.empty(&title, &why);
    }
    let palette = canvas.palette;
    let lines = [
        (
            palette.blue,
            gettext("Labels right (cross-validated)"),
            data.rounds
                .iter()
                .filter_map(|r| Some((r.number as f64, r.accuracy? * 100.0)))
                .collect::<Vec<_>>(),
        ),
        (
            palette.green,
            gettext("Pairs in the right order"),
            data.rounds
                .iter()
                .filter_map(|r| Some((r.number as f64, r.pair_accuracy? * 100.0)))
                .collect(),
        ),
    ];
    let entries: Vec<Entry> = lines
        .iter()
        .filter(|(_, _, points)| !points.is_empty())
        .map(|(colour, name, _)| entry(Marker::Line(*colour), name.as_str()))
        .collect();
    let area = canvas.title(canvas.whole(), &title);
    let area = canvas.legend(area, &entries)?;
    let last = data.rounds.len() as f64;
    let rounds = Axis {
        range: (0.5, last + 0.5),
        ticks: Ticks::Round { whole: true },
        description: gettext("Training round"),
        grid: true,
    };
    let plot = canvas.axes(
        area,
        &rounds,
        &axis((0.0, 105.0), gettext("Accuracy on human labels (%)"), true),
    )?;
    let radius = canvas.dot_radius() + 0.5;
    for (colour, _, points) in &lines {
        let points: Vec<(f64, f64)> = points.iter().map(|&p| plot.at(p)).collect();
        canvas.polyline(&points, canvas.stroke(), *colour)?;
        for &point in &points {
            canvas.dot(point, radius, (*colour, 1.0), None)?;
        }
    }
    Ok(())
}

fn scores_by_label(canvas: &Canvas<'_>, data: &ChartData) -> Result<(), ChartError> {
    let title = ChartKind::ScoresByLabel.title();
    if data.photos.iter().all(|p| p.assessment.is_none()) {
        return canvas.empty(&title, &no_model());
    }
    let palette = canvas.palette;
    let bins = 20;
    let group = |quality: Option<Quality>| -> Vec<u32> {
        histogram(
            data.photos
                .iter()
                .filter(|p| p.label.map(|l| l.0) == quality)
                .filter_map(|p| Some(p.assessment?.score)),
            (0.0, 100.0),
            bins,
        )
    };
    let mut series: Vec<(String, Colour, Vec<u32>)> = Quality::ALL
        .iter()
        .map(|&q| (quality_name(q), quality_colour(&palette, q), group(Some(q))))
        .collect();
    series.push((gettext("Unlabelled"), palette.grey, group(None)));
    series.retain(|(_, _, counts)| counts.iter().any(|c| *c > 0));
    let entries: Vec<Entry> = series
        .iter()
        .map(|(name, colour, counts)| {
            entry(
                Marker::Line(*colour),
                fill(
                    &gettext("{name} ({count})"),
                    &[("name", name), ("count", &counts.iter().sum::<u32>())],
                ),
            )
        })
        .collect();
    let area = canvas.title(canvas.whole(), &title);
    let area = canvas.legend(area, &entries)?;
    let top = series
        .iter()
        .flat_map(|(_, _, c)| c.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let plot = canvas.axes(
        area,
        &axis((0.0, 100.0), gettext("Score (0 to 100)"), true),
        &photo_count_axis(top),
    )?;
    let width = 100.0 / bins as f64;
    let radius = canvas.dot_radius();
    for (_, colour, counts) in &series {
        let points: Vec<(f64, f64)> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| plot.at(((i as f64 + 0.5) * width, f64::from(c))))
            .collect();
        canvas.polyline(&points, canvas.stroke(), *colour)?;
        for &point in &points {
            canvas.dot(point, radius, (*colour, 1.0), None)?;
        }
    }
    Ok(())
}

fn embeddings(canvas: &Canvas<'_>, data: &ChartData) -> Result<(), ChartError> {
    let title = ChartKind::Embeddings.title();
    type Point = (f64, f64, Option<(Quality, LabelSource)>);
    let points: Vec<Point> = data
        .photos
        .iter()
        .filter_map(|p| p.plane.map(|(x, y)| (x, y, p.label)))
        .collect();
    let Some(explained) = data.explained_variance.filter(|_| !points.is_empty()) else {
        return canvas.empty(
            &title,
            &gettext("At least three photos with embeddings are needed."),
        );
    };
    let palette = canvas.palette;
    let count = |quality: Option<Quality>| {
        points
            .iter()
            .filter(|p| p.2.map(|l| l.0) == quality)
            .count()
    };
    let mut entries: Vec<Entry> = Quality::ALL
        .iter()
        .filter(|q| count(Some(**q)) > 0)
        .map(|&q| {
            entry(
                Marker::Box(quality_colour(&palette, q)),
                fill(
                    &gettext("{name} ({count})"),
                    &[("name", &quality_name(q)), ("count", &count(Some(q)))],
                ),
            )
        })
        .collect();
    if count(None) > 0 {
        entries.push(entry(
            Marker::Box(palette.grey),
            fill(
                &gettext("{name} ({count})"),
                &[("name", &gettext("Unlabelled")), ("count", &count(None))],
            ),
        ));
    }
    if points
        .iter()
        .any(|p| matches!(p.2, Some((_, LabelSource::Auto))))
    {
        entries.push(entry(
            Marker::Ring(palette.text),
            gettext("Automatic label"),
        ));
    }
    let area = canvas.title(canvas.whole(), &title);
    let area = canvas.legend(area, &entries)?;
    let bounds = |values: Vec<f64>| {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((max - min) * 0.06).max(1e-6);
        (min - pad, max + pad)
    };
    let xs = bounds(points.iter().map(|p| p.0).collect());
    let ys = bounds(points.iter().map(|p| p.1).collect());
    let plot = canvas.axes(
        area,
        &axis(
            xs,
            fill(
                &gettext("First principal component ({percent}% of the variance)"),
                &[("percent", &format!("{:.0}", explained[0] * 100.0))],
            ),
            true,
        ),
        &axis(
            ys,
            fill(
                &gettext("Second principal component ({percent}%)"),
                &[("percent", &format!("{:.0}", explained[1] * 100.0))],
            ),
            true,
        ),
    )?;
    let radius = canvas.dot_radius();
    canvas.clipped(plot.area, || {
        for p in points.iter().filter(|p| p.2.is_none()) {
            canvas.dot(plot.at((p.0, p.1)), radius, (palette.grey, 1.0), None)?;
        }
        // Human labels filled, automatic ones as rings.
        for &(x, y, label) in &points {
            let Some((quality, source)) = label else {
                continue;
            };
            let ring = (source == LabelSource::Auto).then(|| canvas.stroke());
            let colour = quality_colour(&palette, quality);
            canvas.dot(plot.at((x, y)), radius + 1.0, (colour, 1.0), ring)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interiors::rounds::DEFAULT_MIN_CONFIDENCE;
    use crate::interiors::semantics::SemanticFilter;

    #[test]
    fn bins_cover_the_range_and_keep_the_top_value() {
        let counts = histogram(
            [0.0, 0.05, 0.5, 0.99, 1.0, f64::NAN].into_iter(),
            (0.0, 1.0),
            10,
        );
        assert_eq!(counts.iter().sum::<u32>(), 5);
        assert_eq!(counts[0], 2);
        assert_eq!(counts[5], 1);
        assert_eq!(counts[9], 2);
    }

    fn sample() -> ChartData {
        let photos = (0..30)
            .map(|i| {
                let quality = Quality::ALL[i % 3];
                PhotoPoint {
                    id: i as i64,
                    indoor_score: Some((i as f64 / 30.0).min(1.0)),
                    room_score: Some(((i * 7 % 30) as f64 / 30.0).min(1.0)),
                    label: match i % 5 {
                        0 => None,
                        1 => Some((quality, LabelSource::Auto)),
                        _ => Some((quality, LabelSource::Human)),
                    },
                    assessment: Some(PhotoAssessment {
                        score: i as f64 * 3.3,
                        bucket: quality,
                        confidence: (i as f64 / 29.0).min(1.0),
                    }),
                    plane: Some((i as f64, (i % 4) as f64)),
                }
            })
            .collect();
        ChartData {
            photos,
            rounds: vec![
                RoundPoint {
                    number: 1,
                    human_labels: 10,
                    auto_labels: 0,
                    accuracy: Some(0.6),
                    pair_accuracy: Some(0.7),
                },
                RoundPoint {
                    number: 2,
                    human_labels: 20,
                    auto_labels: 5,
                    accuracy: Some(0.75),
                    pair_accuracy: None,
                },
            ],
            filter: SemanticFilter::default(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            explained_variance: Some([0.4, 0.2]),
        }
    }

    #[test]
    fn every_chart_draws_with_data_and_without() {
        let empty = ChartData {
            photos: Vec::new(),
            rounds: Vec::new(),
            filter: SemanticFilter::default(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            explained_variance: None,
        };
        for data in [sample(), empty] {
            for kind in ChartKind::ALL {
                let png = render_png(kind, &data, 400, 300).unwrap();
                let picture = image::load_from_memory(&png).unwrap().to_rgb8();
                assert_eq!(picture.dimensions(), (400, 300));
                // Something besides the white background was drawn.
                assert!(
                    picture.pixels().any(|p| p.0.iter().all(|v| *v < 128)),
                    "{kind:?} is blank"
                );
            }
        }
    }

    #[test]
    fn the_summary_counts_labels_by_source() {
        let summary = sample().summary();
        assert_eq!(summary.photos, 30);
        assert_eq!(
            summary.human_labels.bad + summary.human_labels.medium + summary.human_labels.good,
            18
        );
        assert_eq!(
            summary.auto_labels.bad + summary.auto_labels.medium + summary.auto_labels.good,
            6
        );
        assert_eq!(summary.model_buckets.unwrap().good, 10);
    }
}
