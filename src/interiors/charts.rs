//! Charts of the interiors collection and its model: how the filters see the photos, how the
//! labels are spread, how sure the model is, how it improved round after round, and where the
//! photos lie in embedding space.
//!
//! [`ChartData::gather`] (in `data`) reads everything a chart needs from the database once (it
//! projects the embeddings with libtorch: call it off the GTK main thread); [`render_rgb`] and [`render_png`]
//! draw one chart at any size, so the same pictures serve the app (an RGB
//! buffer for a texture) and `vistazo interiors report` (PNG files). Text is drawn with a font
//! found on the system, so no font service is involved and drawing works without a display.

mod backend;
mod data;

pub use data::{ChartData, PhotoAssessment, PhotoPoint, RoundPoint, Summary};

use std::io::Cursor;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::combinators::BindKeyPoints;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::rounds::{LabelCounts, RoundError};
use super::{LabelSource, Quality};
use crate::db::DbError;
use crate::i18n::{fill, gettext};
use backend::{ChartBackend, Fonts};

/// The size the report writes, readable on screen and in documents.
pub const DEFAULT_SIZE: (u32, u32) = (800, 600);

/// The family name text styles carry; the backend draws every text with its own fonts.
const FAMILY: &str = "sans-serif";

const RED: RGBColor = RGBColor(0xc0, 0x1c, 0x28);
const YELLOW: RGBColor = RGBColor(0xe5, 0xa5, 0x0a);
const GREEN: RGBColor = RGBColor(0x26, 0xa2, 0x69);
const BLUE: RGBColor = RGBColor(0x1c, 0x71, 0xd8);
const PURPLE: RGBColor = RGBColor(0x91, 0x41, 0xac);
const GREY: RGBColor = RGBColor(0x9a, 0x99, 0x96);
const DARK: RGBColor = RGBColor(0x24, 0x1f, 0x31);

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(
        "{}",
        gettext("no font was found to draw the charts: install the DejaVu or Cantarell fonts")
    )]
    NoFont,
    #[error("{}", fill(&gettext("cannot draw the chart: {}"), &[.0]))]
    Draw(String),
    #[error("{}", fill(&gettext("cannot write {}: {}"), &[&.path.display(), .source]))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Rounds(#[from] RoundError),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        Self::Draw(error.to_string())
    }
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

/// Draws one chart into an RGB buffer of `width × height` pixels, three bytes per pixel,
/// row by row.
pub fn render_rgb(
    kind: ChartKind,
    data: &ChartData,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    let fonts = Fonts::get().ok_or(ChartError::NoFont)?;
    let (width, height) = (width.max(200), height.max(150));
    let mut buffer = vec![0u8; width as usize * height as usize * 3];
    {
        let root = ChartBackend::new(&mut buffer, (width, height), fonts).into_drawing_area();
        root.fill(&WHITE)?;
        let sizes = Sizes::for_height(height);
        match kind {
            ChartKind::RoomScore => room_score(&root, data, &sizes)?,
            ChartKind::IndoorVsRoom => indoor_vs_room(&root, data, &sizes)?,
            ChartKind::Labels => labels(&root, data, &sizes)?,
            ChartKind::Confidence => confidence(&root, data, &sizes)?,
            ChartKind::Accuracy => accuracy(&root, data, &sizes)?,
            ChartKind::ScoresByLabel => scores_by_label(&root, data, &sizes)?,
            ChartKind::Embeddings => embeddings(&root, data, &sizes)?,
        }
        root.present()?;
    }
    Ok(buffer)
}

/// Draws one chart as a PNG file's bytes.
pub fn render_png(
    kind: ChartKind,
    data: &ChartData,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    let (width, height) = (width.max(200), height.max(150));
    let rgb = render_rgb(kind, data, width, height)?;
    let picture = image::RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| ChartError::Draw("buffer size".to_owned()))?;
    let mut bytes = Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Png)
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    Ok(bytes.into_inner())
}

/// Writes every chart as a PNG file in `dir` (created when missing), and `summary.json`
/// with the counts behind them. Returns the files written.
pub fn write_report(
    data: &ChartData,
    dir: &Path,
    (width, height): (u32, u32),
) -> Result<Vec<PathBuf>, ChartError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| ChartError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    let mut written = Vec::new();
    for kind in ChartKind::ALL {
        let path = dir.join(kind.file_name());
        let png = render_png(kind, data, width, height)?;
        std::fs::write(&path, png).map_err(write_error(&path))?;
        written.push(path);
    }
    let mut summary = data.summary();
    summary.charts = ChartKind::ALL
        .iter()
        .map(|k| k.file_name().to_owned())
        .collect();
    let path = dir.join("summary.json");
    let json =
        serde_json::to_string_pretty(&summary).map_err(|e| ChartError::Draw(e.to_string()))?;
    std::fs::write(&path, json).map_err(write_error(&path))?;
    written.push(path);
    Ok(written)
}

/// Text sizes in pixels for a chart of a given height.
struct Sizes {
    title: u32,
    label: u32,
    tick: u32,
    margin: u32,
}

impl Sizes {
    fn for_height(height: u32) -> Self {
        let scale = f64::from(height) / 600.0;
        let px = |v: f64| (v * scale).round().max(8.0) as u32;
        Self {
            title: px(26.0),
            label: px(19.0),
            tick: px(16.0),
            margin: px(18.0),
        }
    }

    fn title_font(&self) -> TextStyle<'static> {
        font(self.title, FontStyle::Bold)
    }

    fn label_font(&self) -> TextStyle<'static> {
        font(self.label, FontStyle::Normal)
    }

    fn tick_font(&self) -> TextStyle<'static> {
        font(self.tick, FontStyle::Normal)
    }
}

fn font(size: u32, style: FontStyle) -> TextStyle<'static> {
    TextStyle::from(FontDesc::new(
        FontFamily::Name(FAMILY),
        f64::from(size),
        style,
    ))
    .color(&DARK)
}
type Area<'a> = DrawingArea<ChartBackend<'a>, Shift>;

fn quality_name(quality: Quality) -> String {
    match quality {
        Quality::Bad => gettext("Bad"),
        Quality::Medium => gettext("Medium"),
        Quality::Good => gettext("Good"),
    }
}

fn quality_colour(quality: Quality) -> RGBColor {
    match quality {
        Quality::Bad => RED,
        Quality::Medium => YELLOW,
        Quality::Good => GREEN,
    }
}

/// A chart frame with a title and nothing in it but a line saying why.
fn empty(root: &Area<'_>, title: &str, why: &str, sizes: &Sizes) -> Result<(), ChartError> {
    let (w, h) = root.dim_in_pixel();
    root.draw_text(
        title,
        &sizes.title_font().pos(Pos::new(HPos::Center, VPos::Top)),
        (w as i32 / 2, sizes.margin as i32),
    )?;
    root.draw_text(
        why,
        &sizes
            .label_font()
            .color(&GREY)
            .pos(Pos::new(HPos::Center, VPos::Center)),
        (w as i32 / 2, h as i32 / 2),
    )?;
    Ok(())
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

/// Room for the y axis' numbers and its description.
fn y_label_area(sizes: &Sizes, widest: &str) -> u32 {
    sizes.label * 2 + widest.chars().count() as u32 * sizes.tick * 2 / 3 + sizes.tick / 2
}

/// A number with two decimals, never "-0.00".
fn two_decimals(value: f64) -> String {
    let value = if value.abs() < 0.005 { 0.0 } else { value };
    format!("{value:.2}")
}

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy)]
enum Marker {
    Box(RGBColor),
    Line(RGBColor),
    Ring(RGBColor),
}

struct Entry {
    marker: Marker,
    text: String,
}

fn entry(marker: Marker, text: impl Into<String>) -> Entry {
    Entry {
        marker,
        text: text.into(),
    }
}

/// Draws the legend in rows along the bottom of `root`, out of the data's way, and returns
/// the area above it for the chart.
fn with_legend<'a>(
    root: &Area<'a>,
    entries: &[Entry],
    sizes: &Sizes,
) -> Result<Area<'a>, ChartError> {
    let (width, height) = root.dim_in_pixel();
    let style = sizes.tick_font();
    let marker = sizes.tick as i32;
    let gap = marker / 2;
    let spacing = marker * 2;
    let usable = width as i32 - 2 * sizes.margin as i32;
    let mut rows: Vec<Vec<(usize, i32)>> = vec![Vec::new()];
    let mut row_width = 0;
    for (i, item) in entries.iter().enumerate() {
        let (text_width, _) = root.estimate_text_size(&item.text, &style)?;
        let item_width = marker + gap + text_width as i32;
        let needed = if row_width == 0 {
            item_width
        } else {
            row_width + spacing + item_width
        };
        if needed > usable && row_width > 0 {
            rows.push(Vec::new());
            row_width = item_width;
        } else {
            row_width = needed;
        }
        if let Some(row) = rows.last_mut() {
            row.push((i, item_width));
        }
    }
    let row_height = sizes.tick as i32 * 3 / 2;
    let strip = row_height * rows.len() as i32 + sizes.margin as i32 / 2;
    let (chart, legend) = root.split_vertically(height as i32 - strip);
    for (r, row) in rows.iter().enumerate() {
        let total: i32 =
            row.iter().map(|(_, w)| w).sum::<i32>() + spacing * (row.len() as i32 - 1).max(0);
        let mut x = (width as i32 - total) / 2;
        let y = row_height * r as i32 + row_height / 2;
        for &(i, item_width) in row {
            let half = marker / 2;
            let (cx, cy) = (x + half, y);
            match entries[i].marker {
                Marker::Box(colour) => legend.draw(&Rectangle::new(
                    [(cx - half, cy - half), (cx + half, cy + half)],
                    colour.filled(),
                ))?,
                Marker::Line(colour) => legend.draw(&Rectangle::new(
                    [(cx - half, cy - 1), (cx + half, cy + 2)],
                    colour.filled(),
                ))?,
                Marker::Ring(colour) => legend.draw(&Circle::new(
                    (cx, cy),
                    half.max(2) as u32,
                    colour.stroke_width(2),
                ))?,
            }
            legend.draw_text(
                &entries[i].text,
                &style.pos(Pos::new(HPos::Left, VPos::Center)),
                (x + marker + gap, y),
            )?;
            x += item_width + spacing;
        }
    }
    Ok(chart)
}

fn room_score(root: &Area<'_>, data: &ChartData, sizes: &Sizes) -> Result<(), ChartError> {
    let title = ChartKind::RoomScore.title();
    let scores: Vec<f64> = data.photos.iter().filter_map(|p| p.room_score).collect();
    if scores.is_empty() {
        return empty(root, &title, &no_photos(), sizes);
    }
    let threshold = data.filter.min_room;
    let passing = scores.iter().filter(|s| **s >= threshold).count();
    let area = with_legend(
        root,
        &[
            entry(
                Marker::Box(BLUE),
                fill(&gettext("At or above the threshold ({})"), &[&passing]),
            ),
            entry(
                Marker::Box(GREY),
                fill(&gettext("Below it ({})"), &[&(scores.len() - passing)]),
            ),
            entry(
                Marker::Line(DARK),
                fill(
                    &gettext("Filter threshold {}"),
                    &[&format!("{threshold:.2}")],
                ),
            ),
        ],
        sizes,
    )?;
    let bins = 20;
    let counts = histogram(scores.iter().copied(), (0.0, 1.0), bins);
    let top = f64::from(counts.iter().copied().max().unwrap_or(1)).max(1.0) * 1.1;
    let mut chart = ChartBuilder::on(&area)
        .caption(&title, sizes.title_font())
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * 3)
        .y_label_area_size(y_label_area(sizes, &format!("{top:.0}")))
        .build_cartesian_2d(0f64..1f64, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(gettext("Room score (0 to 1)"))
        .y_desc(gettext("Photos"))
        .y_labels(count_ticks(top))
        .light_line_style(TRANSPARENT)
        .axis_desc_style(sizes.label_font())
        .label_style(sizes.tick_font())
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_label_formatter(&|v| format!("{v:.1}"))
        .draw()?;
    let width = 1.0 / bins as f64;
    chart.draw_series(counts.iter().enumerate().map(|(i, &count)| {
        let x0 = i as f64 * width;
        let colour = if x0 + width / 2.0 >= threshold {
            BLUE
        } else {
            GREY
        };
        Rectangle::new(
            [
                (x0 + width * 0.05, 0.0),
                (x0 + width * 0.95, f64::from(count)),
            ],
            colour.filled(),
        )
    }))?;
    chart.draw_series(LineSeries::new(
        [(threshold, 0.0), (threshold, top)],
        DARK.stroke_width(2),
    ))?;
    Ok(())
}

fn indoor_vs_room(root: &Area<'_>, data: &ChartData, sizes: &Sizes) -> Result<(), ChartError> {
    let title = ChartKind::IndoorVsRoom.title();
    let points: Vec<(f64, f64, bool)> = data
        .photos
        .iter()
        .filter_map(|p| Some((p.indoor_score?, p.room_score?, data.passes(p))))
        .collect();
    if points.is_empty() {
        return empty(root, &title, &no_photos(), sizes);
    }
    let passing = points.iter().filter(|p| p.2).count();
    let area = with_legend(
        root,
        &[
            entry(
                Marker::Box(BLUE),
                fill(&gettext("Interiors ({})"), &[&passing]),
            ),
            entry(
                Marker::Box(RED),
                fill(&gettext("Filtered out ({})"), &[&(points.len() - passing)]),
            ),
            entry(Marker::Line(DARK), gettext("Filter thresholds")),
        ],
        sizes,
    )?;
    let mut chart = ChartBuilder::on(&area)
        .caption(&title, sizes.title_font())
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * 3)
        .y_label_area_size(y_label_area(sizes, "0.0"))
        .build_cartesian_2d(0f64..1.02f64, 0f64..1.02f64)?;
    chart
        .configure_mesh()
        .x_desc(gettext("Indoor score (0 to 1)"))
        .y_desc(gettext("Room score (0 to 1)"))
        .axis_desc_style(sizes.label_font())
        .label_style(sizes.tick_font())
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let radius = (sizes.tick / 4).max(3);
    for (inside, colour) in [(false, RED), (true, BLUE)] {
        chart.draw_series(
            points
                .iter()
                .filter(|p| p.2 == inside)
                .map(|&(x, y, _)| Circle::new((x, y), radius, colour.mix(0.6).filled())),
        )?;
    }
    let style = DARK.mix(0.7).stroke_width(1);
    chart.draw_series(LineSeries::new(
        [
            (data.filter.min_indoor, 0.0),
            (data.filter.min_indoor, 1.02),
        ],
        style,
    ))?;
    chart.draw_series(LineSeries::new(
        [(0.0, data.filter.min_room), (1.02, data.filter.min_room)],
        style,
    ))?;
    Ok(())
}

fn labels(root: &Area<'_>, data: &ChartData, sizes: &Sizes) -> Result<(), ChartError> {
    let title = ChartKind::Labels.title();
    if data.photos.is_empty() {
        return empty(root, &title, &no_photos(), sizes);
    }
    let summary = data.summary();
    let get = |counts: &LabelCounts, quality: Quality| match quality {
        Quality::Bad => counts.bad,
        Quality::Medium => counts.medium,
        Quality::Good => counts.good,
    };
    let mut series: Vec<(String, RGBColor, LabelCounts)> = vec![
        (gettext("Human labels"), BLUE, summary.human_labels),
        (gettext("Automatic labels"), PURPLE, summary.auto_labels),
    ];
    if let Some(buckets) = summary.model_buckets {
        series.push((gettext("Model bucket of every photo"), GREY, buckets));
    }
    let entries: Vec<Entry> = series
        .iter()
        .map(|(name, colour, _)| entry(Marker::Box(*colour), name.as_str()))
        .collect();
    let area = with_legend(root, &entries, sizes)?;
    let top = series
        .iter()
        .flat_map(|(_, _, c)| Quality::ALL.map(|q| get(c, q)))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.12;
    let mut chart = ChartBuilder::on(&area)
        .caption(&title, sizes.title_font())
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * 3)
        .y_label_area_size(y_label_area(sizes, &format!("{top:.0}")))
        .build_cartesian_2d(
            // Hundredths of a quality slot: bad is 0..100, medium 100..200, good 200..300.
            (0i32..300i32).with_key_points(vec![50, 150, 250]),
            0f64..top,
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(gettext("Quality"))
        .y_desc(gettext("Photos"))
        .y_labels(count_ticks(top))
        .light_line_style(TRANSPARENT)
        .axis_desc_style(sizes.label_font())
        .label_style(sizes.label_font())
        .x_label_formatter(&|v| {
            Quality::from_index(usize::try_from(*v / 100).unwrap_or(0))
                .map(quality_name)
                .unwrap_or_default()
        })
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let slot = 80 / series.len() as i32;
    let style = sizes.tick_font().pos(Pos::new(HPos::Center, VPos::Bottom));
    for (k, (_, colour, counts)) in series.iter().enumerate() {
        let left = |quality: Quality| quality.index() as i32 * 100 + 10 + slot * k as i32;
        chart.draw_series(Quality::ALL.iter().map(|&quality| {
            Rectangle::new(
                [
                    (left(quality) + 1, 0.0),
                    (left(quality) + slot - 1, get(counts, quality) as f64),
                ],
                colour.filled(),
            )
        }))?;
        chart.draw_series(Quality::ALL.iter().map(|&quality| {
            let n = get(counts, quality);
            Text::new(
                n.to_string(),
                (left(quality) + slot / 2, n as f64 + top * 0.01),
                style.clone(),
            )
        }))?;
    }
    Ok(())
}

fn confidence(root: &Area<'_>, data: &ChartData, sizes: &Sizes) -> Result<(), ChartError> {
    let title = ChartKind::Confidence.title();
    if data.photos.iter().all(|p| p.assessment.is_none()) {
        return empty(root, &title, &no_model(), sizes);
    }
    let values: Vec<f64> = data
        .photos
        .iter()
        .filter(|p| !matches!(p.label, Some((_, LabelSource::Human))))
        .filter_map(|p| Some(p.assessment?.confidence))
        .collect();
    if values.is_empty() {
        return empty(
            root,
            &title,
            &gettext("Every photo has a human label."),
            sizes,
        );
    }
    let threshold = data.min_confidence;
    let accepted = values.iter().filter(|v| **v >= threshold).count();
    let area = with_legend(
        root,
        &[
            entry(
                Marker::Box(PURPLE),
                fill(
                    &gettext("Sure enough to label automatically ({})"),
                    &[&accepted],
                ),
            ),
            entry(
                Marker::Box(GREY),
                fill(&gettext("Too unsure ({})"), &[&(values.len() - accepted)]),
            ),
            entry(
                Marker::Line(DARK),
                fill(&gettext("Threshold {}"), &[&format!("{threshold:.2}")]),
            ),
        ],
        sizes,
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
    let mut chart = ChartBuilder::on(&area)
        .caption(&title, sizes.title_font())
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * 3)
        .y_label_area_size(y_label_area(sizes, &format!("{top:.0}")))
        .build_cartesian_2d(0f64..1f64, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(gettext("Confidence: top probability minus the second"))
        .y_desc(gettext("Photos"))
        .y_labels(count_ticks(top))
        .light_line_style(TRANSPARENT)
        .axis_desc_style(sizes.label_font())
        .label_style(sizes.tick_font())
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let width = 1.0 / bins as f64;
    for (colour, base, counts) in [
        (GREY, vec![0u32; bins], &below),
        (PURPLE, below.clone(), &over),
    ] {
        chart.draw_series((0..bins).filter(|&i| counts[i] > 0).map(|i| {
            let x0 = i as f64 * width;
            Rectangle::new(
                [
                    (x0 + width * 0.05, f64::from(base[i])),
                    (x0 + width * 0.95, f64::from(base[i] + counts[i])),
                ],
                colour.filled(),
            )
        }))?;
    }
    chart.draw_series(LineSeries::new(
        [(threshold, 0.0), (threshold, top)],
        DARK.stroke_width(2),
    ))?;
    Ok(())
}

fn accuracy(root: &Area<'_>, data: &ChartData, sizes: &Sizes) -> Result<(), ChartError> {
    let title = ChartKind::Accuracy.title();
    if !data.rounds.iter().any(|r| r.accuracy.is_some()) {
        let why = if data.rounds.is_empty() {
            no_model()
        } else {
            gettext("Not evaluated yet: each label needs at least two human-labelled photos.")
        };
        return empty(root, &title, &why, sizes);
    }
    let lines = [
        (
            BLUE,
            gettext("Labels right (cross-validated)"),
            data.rounds
                .iter()
                .filter_map(|r| Some((r.number as i32, r.accuracy? * 100.0)))
                .collect::<Vec<_>>(),
        ),
        (
            GREEN,
            gettext("Pairs in the right order"),
            data.rounds
                .iter()
                .filter_map(|r| Some((r.number as i32, r.pair_accuracy? * 100.0)))
                .collect(),
        ),
    ];
    let entries: Vec<Entry> = lines
        .iter()
        .filter(|(_, _, points)| !points.is_empty())
        .map(|(colour, name, _)| entry(Marker::Line(*colour), name.as_str()))
        .collect();
    let area = with_legend(root, &entries, sizes)?;
    let last = data.rounds.len() as i32;
    let step = data.rounds.len().div_ceil(10).max(1);
    let key_points: Vec<i32> = (1..=last)
        .filter(|n| (*n as usize - 1).is_multiple_of(step))
        .collect();
    let mut chart = ChartBuilder::on(&area)
        .caption(&title, sizes.title_font())
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * 3)
        .y_label_area_size(y_label_area(sizes, "100"))
        .build_cartesian_2d((0i32..last + 1).with_key_points(key_points), 0f64..105f64)?;
    chart
        .configure_mesh()
        .x_desc(gettext("Training round"))
        .y_desc(gettext("Accuracy on human labels (%)"))
        .axis_desc_style(sizes.label_font())
        .label_style(sizes.tick_font())
        .x_label_formatter(&|v| v.to_string())
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let radius = (sizes.tick / 3).max(3);
    for (colour, _, points) in &lines {
        chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))?;
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, radius, colour.filled())),
        )?;
    }
    Ok(())
}

fn scores_by_label(root: &Area<'_>, data: &ChartData, sizes: &Sizes) -> Result<(), ChartError> {
    let title = ChartKind::ScoresByLabel.title();
    if data.photos.iter().all(|p| p.assessment.is_none()) {
        return empty(root, &title, &no_model(), sizes);
    }
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
    let mut series: Vec<(String, RGBColor, Vec<u32>)> = Quality::ALL
        .iter()
        .map(|&q| (quality_name(q), quality_colour(q), group(Some(q))))
        .collect();
    series.push((gettext("Unlabelled"), GREY, group(None)));
    series.retain(|(_, _, counts)| counts.iter().any(|c| *c > 0));
    let entries: Vec<Entry> = series
        .iter()
        .map(|(name, colour, counts)| {
            entry(
                Marker::Line(*colour),
                fill(&gettext("{} ({})"), &[name, &counts.iter().sum::<u32>()]),
            )
        })
        .collect();
    let area = with_legend(root, &entries, sizes)?;
    let top = series
        .iter()
        .flat_map(|(_, _, c)| c.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let mut chart = ChartBuilder::on(&area)
        .caption(&title, sizes.title_font())
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * 3)
        .y_label_area_size(y_label_area(sizes, &format!("{top:.0}")))
        .build_cartesian_2d(0f64..100f64, 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc(gettext("Score (0 to 100)"))
        .y_desc(gettext("Photos"))
        .y_labels(count_ticks(top))
        .light_line_style(TRANSPARENT)
        .axis_desc_style(sizes.label_font())
        .label_style(sizes.tick_font())
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let width = 100.0 / bins as f64;
    let radius = (sizes.tick / 4).max(3);
    for (_, colour, counts) in &series {
        let points: Vec<(f64, f64)> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| ((i as f64 + 0.5) * width, f64::from(c)))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))?;
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, radius, colour.filled())),
        )?;
    }
    Ok(())
}

fn embeddings(root: &Area<'_>, data: &ChartData, sizes: &Sizes) -> Result<(), ChartError> {
    let title = ChartKind::Embeddings.title();
    type Point = (f64, f64, Option<(Quality, LabelSource)>);
    let points: Vec<Point> = data
        .photos
        .iter()
        .filter_map(|p| p.plane.map(|(x, y)| (x, y, p.label)))
        .collect();
    let Some(explained) = data.explained_variance.filter(|_| !points.is_empty()) else {
        return empty(
            root,
            &title,
            &gettext("At least three photos with embeddings are needed."),
            sizes,
        );
    };
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
                Marker::Box(quality_colour(q)),
                fill(&gettext("{} ({})"), &[&quality_name(q), &count(Some(q))]),
            )
        })
        .collect();
    if count(None) > 0 {
        entries.push(entry(
            Marker::Box(GREY),
            fill(&gettext("{} ({})"), &[&gettext("Unlabelled"), &count(None)]),
        ));
    }
    if points
        .iter()
        .any(|p| matches!(p.2, Some((_, LabelSource::Auto))))
    {
        entries.push(entry(Marker::Ring(DARK), gettext("Automatic label")));
    }
    let area = with_legend(root, &entries, sizes)?;
    let bounds = |values: Vec<f64>| {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((max - min) * 0.06).max(1e-6);
        (min - pad)..(max + pad)
    };
    let xs = bounds(points.iter().map(|p| p.0).collect());
    let ys = bounds(points.iter().map(|p| p.1).collect());
    let mut chart = ChartBuilder::on(&area)
        .caption(&title, sizes.title_font())
        .margin(sizes.margin)
        .x_label_area_size(sizes.label * 3)
        .y_label_area_size(y_label_area(sizes, "-0.00"))
        .build_cartesian_2d(xs, ys)?;
    chart
        .configure_mesh()
        .x_desc(fill(
            &gettext("First principal component ({}% of the variance)"),
            &[&format!("{:.0}", explained[0] * 100.0)],
        ))
        .y_desc(fill(
            &gettext("Second principal component ({}%)"),
            &[&format!("{:.0}", explained[1] * 100.0)],
        ))
        .axis_desc_style(sizes.label_font())
        .label_style(sizes.tick_font())
        .x_label_formatter(&|v| two_decimals(*v))
        .y_label_formatter(&|v| two_decimals(*v))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let radius = (sizes.tick / 4).max(3);
    chart.draw_series(
        points
            .iter()
            .filter(|p| p.2.is_none())
            .map(|p| Circle::new((p.0, p.1), radius, GREY.mix(0.6).filled())),
    )?;
    // Human labels filled, automatic ones as rings.
    chart.draw_series(points.iter().filter_map(|&(x, y, label)| {
        let (quality, source) = label?;
        let colour = quality_colour(quality);
        let style = if source == LabelSource::Human {
            colour.filled()
        } else {
            colour.stroke_width(2)
        };
        Some(Circle::new((x, y), radius + 1, style))
    }))?;
    Ok(())
}

/// How many ticks a count axis up to `top` gets: whole numbers only, at most eleven.
fn count_ticks(top: f64) -> usize {
    (top.floor() as usize + 1).clamp(2, 11)
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
                let rgb = render_rgb(kind, &data, 400, 300).unwrap();
                assert_eq!(rgb.len(), 400 * 300 * 3);
                // Something besides the white background was drawn.
                assert!(rgb.iter().any(|v| *v < 128), "{kind:?} is blank");
            }
        }
        let png = render_png(ChartKind::Labels, &sample(), 800, 600).unwrap();
        let decoded = image::load_from_memory(&png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (800, 600));
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
