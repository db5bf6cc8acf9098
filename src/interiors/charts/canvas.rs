//! The drawing surface of the charts: a cairo context measured in logical pixels, text set by
//! Pango in the system's fonts, and the parts every chart shares (a title, axes with their
//! numbers, a legend). Shapes are vectors, so the same code is sharp on a HiDPI window and in a
//! PNG; lines along the axes are aligned to the device's pixels so they stay crisp at any scale.

use std::f64::consts::PI;

use pangocairo::pango;

use super::ChartError;

/// A colour of the charts' palettes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    fn channels(self) -> (f64, f64, f64) {
        let c = |v: u8| f64::from(v) / 255.0;
        (c(self.0), c(self.1), c(self.2))
    }
}

/// Whether a chart is drawn for a light or a dark background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    Light,
    Dark,
}

/// The colours of one style: GNOME's palette, lighter shades on dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub background: Colour,
    pub text: Colour,
    pub red: Colour,
    pub yellow: Colour,
    pub green: Colour,
    pub blue: Colour,
    pub purple: Colour,
    pub grey: Colour,
}

impl Style {
    pub fn palette(self) -> Palette {
        match self {
            Self::Light => Palette {
                background: Colour(0xff, 0xff, 0xff),
                text: Colour(0x24, 0x1f, 0x31),
                red: Colour(0xc0, 0x1c, 0x28),
                yellow: Colour(0xe5, 0xa5, 0x0a),
                green: Colour(0x26, 0xa2, 0x69),
                blue: Colour(0x1c, 0x71, 0xd8),
                purple: Colour(0x91, 0x41, 0xac),
                grey: Colour(0x9a, 0x99, 0x96),
            },
            Self::Dark => Palette {
                background: Colour(0x24, 0x24, 0x24),
                text: Colour(0xff, 0xff, 0xff),
                red: Colour(0xf6, 0x61, 0x51),
                yellow: Colour(0xf5, 0xc2, 0x11),
                green: Colour(0x33, 0xd1, 0x7a),
                blue: Colour(0x62, 0xa0, 0xea),
                purple: Colour(0xc0, 0x61, 0xcb),
                grey: Colour(0x9a, 0x99, 0x96),
            },
        }
    }
}

/// How a chart is drawn: its style, its font, and whether it paints its own background.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub style: Style,
    /// A Pango family list, such as "Cantarell" or "Sans".
    pub family: String,
    /// The size of ordinary text (axis descriptions) in logical pixels; titles are larger and
    /// numbers smaller.
    pub text_size: f64,
    /// Fill the background, or leave it to what lies beneath (a card in the window).
    pub background: bool,
}

impl Look {
    /// The look of an exported picture: light, on white, in the system's sans-serif font, with
    /// text that grows with the picture's height.
    pub fn for_export(height: u32) -> Self {
        Self {
            style: Style::Light,
            family: "Sans".to_owned(),
            text_size: 19.0 * f64::from(height) / 600.0,
            background: true,
        }
    }
}

/// Which of the charts' three text sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Title,
    Label,
    Tick,
}

/// Where a text's box sits against the point it is drawn at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Start,
    Center,
    End,
}

impl Align {
    fn offset(self, length: f64) -> f64 {
        match self {
            Self::Start => 0.0,
            Self::Center => -length / 2.0,
            Self::End => -length,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    fn right(&self) -> f64 {
        self.x + self.width
    }

    fn bottom(&self) -> f64 {
        self.y + self.height
    }
}

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy)]
pub enum Marker {
    Box(Colour),
    Line(Colour),
    Ring(Colour),
}

pub struct Entry {
    pub marker: Marker,
    pub text: String,
}

/// Where an axis puts its numbers.
pub enum Ticks {
    /// Round steps (1, 2 or 5 times a power of ten) as many as fit; whole numbers only when
    /// `whole`.
    Round { whole: bool },
    /// These values with these names.
    At(Vec<(f64, String)>),
}

pub struct Axis {
    pub range: (f64, f64),
    pub ticks: Ticks,
    pub description: String,
    /// Draw a faint line across the plot at each tick.
    pub grid: bool,
}

/// The inside of a chart's axes, and how values map onto it.
pub struct Plot {
    pub area: Rect,
    x: (f64, f64),
    y: (f64, f64),
}

impl Plot {
    pub fn x(&self, value: f64) -> f64 {
        self.area.x + (value - self.x.0) / (self.x.1 - self.x.0) * self.area.width
    }

    pub fn y(&self, value: f64) -> f64 {
        self.area.bottom() - (value - self.y.0) / (self.y.1 - self.y.0) * self.area.height
    }

    pub fn at(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.x(x), self.y(y))
    }
}

pub struct Canvas<'a> {
    cr: &'a cairo::Context,
    family: &'a str,
    pub palette: Palette,
    pub width: f64,
    pub height: f64,
    text_size: f64,
}

impl<'a> Canvas<'a> {
    pub fn new(cr: &'a cairo::Context, (width, height): (f64, f64), look: &'a Look) -> Self {
        Self {
            cr,
            family: &look.family,
            palette: look.style.palette(),
            width,
            height,
            text_size: look.text_size.max(7.0),
        }
    }

    pub fn whole(&self) -> Rect {
        Rect {
            x: 0.0,
            y: 0.0,
            width: self.width,
            height: self.height,
        }
    }

    pub fn size(&self, font: Font) -> f64 {
        match font {
            Font::Title => self.text_size * 1.3,
            Font::Label => self.text_size,
            Font::Tick => self.text_size * 0.85,
        }
    }

    /// The space kept free around a chart and between its parts.
    pub fn margin(&self) -> f64 {
        self.text_size * 0.9
    }

    /// The width of the lines that carry data.
    pub fn stroke(&self) -> f64 {
        (self.text_size / 7.0).max(1.5)
    }

    /// The radius of a photo's dot.
    pub fn dot_radius(&self) -> f64 {
        (self.size(Font::Tick) / 4.0).max(2.5)
    }

    fn set_colour(&self, colour: Colour, alpha: f64) {
        let (r, g, b) = colour.channels();
        self.cr.set_source_rgba(r, g, b, alpha);
    }

    pub fn paint(&self, colour: Colour) -> Result<(), ChartError> {
        self.set_colour(colour, 1.0);
        self.cr.paint()?;
        Ok(())
    }

    fn layout(&self, text: &str, font: Font) -> pango::Layout {
        let layout = pangocairo::functions::create_layout(self.cr);
        let mut description = pango::FontDescription::new();
        description.set_family(self.family);
        description.set_absolute_size(self.size(font) * f64::from(pango::SCALE));
        if font == Font::Title {
            description.set_weight(pango::Weight::Bold);
        }
        layout.set_font_description(Some(&description));
        layout.set_text(text);
        layout
    }

    fn extent(layout: &pango::Layout) -> (f64, f64) {
        let (width, height) = layout.size();
        let scale = f64::from(pango::SCALE);
        (f64::from(width) / scale, f64::from(height) / scale)
    }

    /// The width and height of `text` on one line.
    pub fn measure(&self, text: &str, font: Font) -> (f64, f64) {
        Self::extent(&self.layout(text, font))
    }

    fn show(&self, layout: &pango::Layout, colour: Colour, alpha: f64) {
        self.set_colour(colour, alpha);
        pangocairo::functions::show_layout(self.cr, layout);
    }

    /// Writes `text` on one line with its box placed by `align` against `(x, y)`.
    pub fn text(
        &self,
        text: &str,
        font: Font,
        colour: Colour,
        (x, y): (f64, f64),
        align: (Align, Align),
    ) -> Result<(), ChartError> {
        let layout = self.layout(text, font);
        let (width, height) = Self::extent(&layout);
        self.cr
            .move_to(x + align.0.offset(width), y + align.1.offset(height));
        self.show(&layout, colour, 1.0);
        Ok(())
    }

    /// Writes `text` centred under `top`, wrapped to `width`; returns the height it took.
    pub fn paragraph(
        &self,
        text: &str,
        font: Font,
        (colour, alpha): (Colour, f64),
        (centre, top): (f64, f64),
        width: f64,
    ) -> f64 {
        let layout = self.layout(text, font);
        layout.set_width((width.max(1.0) * f64::from(pango::SCALE)) as i32);
        layout.set_wrap(pango::WrapMode::WordChar);
        layout.set_alignment(pango::Alignment::Center);
        let height = Self::extent(&layout).1;
        self.cr.move_to(centre - width / 2.0, top);
        self.show(&layout, colour, alpha);
        height
    }

    /// Writes `text` on one line centred at `(x, y)`, shortened with an ellipsis to fit in
    /// `room`, turned a quarter left when `vertical`.
    fn fitted(
        &self,
        text: &str,
        (x, y): (f64, f64),
        room: f64,
        vertical: bool,
    ) -> Result<(), ChartError> {
        let layout = self.layout(text, Font::Label);
        let room = room.max(1.0);
        layout.set_width((room * f64::from(pango::SCALE)) as i32);
        layout.set_ellipsize(pango::EllipsizeMode::End);
        layout.set_alignment(pango::Alignment::Center);
        let height = Self::extent(&layout).1;
        self.cr.save()?;
        self.cr.translate(x, y);
        if vertical {
            self.cr.rotate(-PI / 2.0);
        }
        self.cr.move_to(-room / 2.0, -height / 2.0);
        self.show(&layout, self.palette.text, 1.0);
        self.cr.restore()?;
        Ok(())
    }

    /// The point nearest `(x, y)` on the device's pixel grid, or on the middle of a pixel when
    /// a line `width` wide covers an odd number of pixels, so that it does not blur across two.
    fn snap(&self, (x, y): (f64, f64), width: f64) -> (f64, f64) {
        let device = self
            .cr
            .user_to_device_distance(width, 0.0)
            .map_or(width, |d| d.0);
        let half = if (device.round() as i64) % 2 == 1 {
            0.5
        } else {
            0.0
        };
        let (dx, dy) = self.cr.user_to_device(x, y);
        self.cr
            .device_to_user((dx - half).round() + half, (dy - half).round() + half)
            .unwrap_or((x, y))
    }

    /// A straight line along an axis, aligned to the device's pixels.
    pub fn rule(
        &self,
        from: (f64, f64),
        to: (f64, f64),
        width: f64,
        (colour, alpha): (Colour, f64),
    ) -> Result<(), ChartError> {
        let (from, to) = (self.snap(from, width), self.snap(to, width));
        self.cr.move_to(from.0, from.1);
        self.cr.line_to(to.0, to.1);
        self.set_colour(colour, alpha);
        self.cr.set_line_width(width);
        self.cr.set_line_cap(cairo::LineCap::Butt);
        self.cr.stroke()?;
        Ok(())
    }

    /// A filled rectangle between two corners, its edges on the device's pixels.
    pub fn bar(
        &self,
        corner: (f64, f64),
        opposite: (f64, f64),
        colour: Colour,
    ) -> Result<(), ChartError> {
        let (a, b) = (self.snap(corner, 0.0), self.snap(opposite, 0.0));
        self.cr.rectangle(
            a.0.min(b.0),
            a.1.min(b.1),
            (a.0 - b.0).abs(),
            (a.1 - b.1).abs(),
        );
        self.set_colour(colour, 1.0);
        self.cr.fill()?;
        Ok(())
    }

    /// A line through `points`.
    pub fn polyline(
        &self,
        points: &[(f64, f64)],
        width: f64,
        colour: Colour,
    ) -> Result<(), ChartError> {
        let Some((first, rest)) = points.split_first() else {
            return Ok(());
        };
        self.cr.move_to(first.0, first.1);
        for point in rest {
            self.cr.line_to(point.0, point.1);
        }
        self.set_colour(colour, 1.0);
        self.cr.set_line_width(width);
        self.cr.set_line_join(cairo::LineJoin::Round);
        self.cr.set_line_cap(cairo::LineCap::Round);
        self.cr.stroke()?;
        Ok(())
    }

    /// A dot, filled, or a ring when `ring` is the width of its line.
    pub fn dot(
        &self,
        (x, y): (f64, f64),
        radius: f64,
        (colour, alpha): (Colour, f64),
        ring: Option<f64>,
    ) -> Result<(), ChartError> {
        self.cr.new_sub_path();
        self.cr.arc(x, y, radius, 0.0, 2.0 * PI);
        self.set_colour(colour, alpha);
        match ring {
            Some(width) => {
                self.cr.set_line_width(width);
                self.cr.stroke()?;
            }
            None => self.cr.fill()?,
        }
        Ok(())
    }

    /// Runs `draw` with everything outside `area` left untouched.
    pub fn clipped(
        &self,
        area: Rect,
        draw: impl FnOnce() -> Result<(), ChartError>,
    ) -> Result<(), ChartError> {
        self.cr.save()?;
        self.cr.rectangle(area.x, area.y, area.width, area.height);
        self.cr.clip();
        let drawn = draw();
        self.cr.restore()?;
        drawn
    }

    /// Writes a chart's title across the top of `area`, wrapped when it is too long; returns
    /// what is left below it.
    pub fn title(&self, area: Rect, title: &str) -> Rect {
        let margin = self.margin();
        let used = self.paragraph(
            title,
            Font::Title,
            (self.palette.text, 1.0),
            (area.x + area.width / 2.0, area.y + margin),
            area.width - 2.0 * margin,
        );
        let top = area.y + margin + used + margin * 0.5;
        Rect {
            x: area.x,
            y: top,
            width: area.width,
            height: (area.bottom() - top).max(0.0),
        }
    }

    /// A chart that has nothing to show: its title, and a line saying why.
    pub fn empty(&self, title: &str, why: &str) -> Result<(), ChartError> {
        let whole = self.whole();
        self.title(whole, title);
        let width = whole.width - 4.0 * self.margin();
        let layout = self.layout(why, Font::Label);
        layout.set_width((width.max(1.0) * f64::from(pango::SCALE)) as i32);
        layout.set_wrap(pango::WrapMode::WordChar);
        let height = Self::extent(&layout).1;
        self.paragraph(
            why,
            Font::Label,
            (self.palette.text, 0.6),
            (whole.width / 2.0, (whole.height - height) / 2.0),
            width,
        );
        Ok(())
    }

    /// Draws the legend in rows along the bottom of `area`, out of the data's way, and returns
    /// the area above it.
    pub fn legend(&self, area: Rect, entries: &[Entry]) -> Result<Rect, ChartError> {
        let margin = self.margin();
        let marker = self.size(Font::Tick);
        let gap = marker / 2.0;
        let spacing = marker * 1.6;
        let usable = area.width - 2.0 * margin;
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
        let mut row_width = 0.0;
        let mut row_height: f64 = 0.0;
        for (i, item) in entries.iter().enumerate() {
            let (text_width, text_height) = self.measure(&item.text, Font::Tick);
            row_height = row_height.max(text_height);
            let item_width = marker + gap + text_width;
            let needed = if row_width == 0.0 {
                item_width
            } else {
                row_width + spacing + item_width
            };
            if needed > usable && row_width > 0.0 {
                rows.push(vec![(i, item_width)]);
                row_width = item_width;
            } else {
                row_width = needed;
                if let Some(row) = rows.last_mut() {
                    row.push((i, item_width));
                }
            }
        }
        let row_height = row_height * 1.25;
        let strip = row_height * rows.len() as f64 + margin * 0.75;
        let top = area.bottom() - strip;
        for (r, row) in rows.iter().enumerate() {
            let total: f64 = row.iter().map(|(_, w)| w).sum::<f64>()
                + spacing * (row.len().saturating_sub(1)) as f64;
            let mut x = area.x + (area.width - total).max(0.0) / 2.0;
            let y = top + row_height * (r as f64 + 0.5);
            for &(i, item_width) in row {
                let half = marker / 2.0;
                let (cx, cy) = (x + half, y);
                match entries[i].marker {
                    Marker::Box(colour) => {
                        self.bar((cx - half, cy - half), (cx + half, cy + half), colour)?
                    }
                    Marker::Line(colour) => self.rule(
                        (cx - half, cy),
                        (cx + half, cy),
                        self.stroke(),
                        (colour, 1.0),
                    )?,
                    Marker::Ring(colour) => {
                        self.dot((cx, cy), half * 0.75, (colour, 1.0), Some(self.stroke()))?
                    }
                }
                self.text(
                    &entries[i].text,
                    Font::Tick,
                    self.palette.text,
                    (x + marker + gap, y),
                    (Align::Start, Align::Center),
                )?;
                x += item_width + spacing;
            }
        }
        Ok(Rect {
            height: (top - area.y).max(0.0),
            ..area
        })
    }

    /// Draws the axes in `area` with their numbers, their descriptions and the grid, and returns
    /// where the data goes.
    pub fn axes(&self, area: Rect, x: &Axis, y: &Axis) -> Result<Plot, ChartError> {
        let margin = self.margin();
        let tick = self.size(Font::Tick);
        let mark = tick * 0.4;
        let gap = tick * 0.35;
        let label_height = self.measure("Ag", Font::Label).1;
        let tick_height = self.measure("0", Font::Tick).1;

        // Top to bottom first: the y axis' numbers depend on how tall the plot is.
        let top = area.y + tick_height / 2.0;
        let bottom = area.bottom() - margin * 0.5 - label_height - gap - tick_height - gap - mark;
        let height = (bottom - top).max(1.0);
        let y_ticks = self.ticks(y, height, |labels| {
            labels.len() as f64 * tick_height * 1.8 <= height
        });
        let widest = y_ticks
            .iter()
            .map(|(_, label)| self.measure(label, Font::Tick).0)
            .fold(0.0, f64::max);
        let left = area.x + margin + label_height + gap + widest + gap + mark;

        // The last number on the x axis may stand out past the plot's right edge.
        let last = |ticks: &[(f64, String)]| {
            ticks
                .last()
                .map_or(0.0, |(_, l)| self.measure(l, Font::Tick).0 / 2.0)
        };
        let right_for = |ticks: &[(f64, String)]| area.right() - margin.max(last(ticks));
        let guess = self.ticks(x, (right_for(&[]) - left).max(1.0), |_| true);
        let width = (right_for(&guess) - left).max(1.0);
        let x_ticks = self.ticks(x, width, |labels| {
            let widest = labels
                .iter()
                .map(|l| self.measure(l, Font::Tick).0)
                .fold(0.0, f64::max);
            labels.len() as f64 * (widest + tick * 1.5) <= width
        });
        let plot = Plot {
            area: Rect {
                x: left,
                y: top,
                width: (right_for(&x_ticks) - left).max(1.0),
                height,
            },
            x: x.range,
            y: y.range,
        };
        let inner = plot.area;
        let text = self.palette.text;

        for (value, label) in &y_ticks {
            let at = plot.y(*value);
            if y.grid {
                self.rule((inner.x, at), (inner.right(), at), 1.0, (text, 0.12))?;
            }
            self.rule((inner.x - mark, at), (inner.x, at), 1.0, (text, 0.8))?;
            self.text(
                label,
                Font::Tick,
                text,
                (inner.x - mark - gap, at),
                (Align::End, Align::Center),
            )?;
        }
        for (value, label) in &x_ticks {
            let at = plot.x(*value);
            if x.grid {
                self.rule((at, inner.y), (at, inner.bottom()), 1.0, (text, 0.12))?;
            }
            self.rule(
                (at, inner.bottom()),
                (at, inner.bottom() + mark),
                1.0,
                (text, 0.8),
            )?;
            self.text(
                label,
                Font::Tick,
                text,
                (at, inner.bottom() + mark + gap),
                (Align::Center, Align::Start),
            )?;
        }
        self.rule(
            (inner.x, inner.y),
            (inner.x, inner.bottom()),
            1.0,
            (text, 0.8),
        )?;
        self.rule(
            (inner.x, inner.bottom()),
            (inner.right(), inner.bottom()),
            1.0,
            (text, 0.8),
        )?;
        // Each description is centred on its axis and kept inside the area.
        let centre = inner.x + inner.width / 2.0;
        let room = 2.0 * (centre - area.x - margin).min(area.right() - margin - centre);
        self.fitted(
            &x.description,
            (
                centre,
                inner.bottom() + mark + gap + tick_height + gap + label_height / 2.0,
            ),
            room,
            false,
        )?;
        let centre = inner.y + inner.height / 2.0;
        let room = 2.0 * (centre - area.y).min(area.bottom() - centre);
        self.fitted(
            &y.description,
            (area.x + margin + label_height / 2.0, centre),
            room,
            true,
        )?;
        Ok(plot)
    }

    /// The ticks of `axis` along `length` pixels: for round steps, the finest that `fits`.
    fn ticks(
        &self,
        axis: &Axis,
        length: f64,
        fits: impl Fn(&[String]) -> bool,
    ) -> Vec<(f64, String)> {
        let whole = match &axis.ticks {
            Ticks::At(ticks) => return ticks.clone(),
            Ticks::Round { whole } => *whole,
        };
        let (low, high) = axis.range;
        let span = (high - low).abs().max(f64::EPSILON);
        let mut exponent = (span / length.max(1.0)).log10().floor() as i32 - 1;
        let mut fallback = Vec::new();
        for _ in 0..40 {
            for factor in [1.0, 2.0, 5.0] {
                let step = factor * 10f64.powi(exponent);
                if (whole && step < 1.0) || span / step > 200.0 {
                    continue;
                }
                let decimals = if step >= 1.0 {
                    0
                } else {
                    (-step.log10() - 1e-9).ceil() as usize
                };
                let first = (low / step - 1e-9).ceil() as i64;
                let last = (high / step + 1e-9).floor() as i64;
                let ticks: Vec<(f64, String)> = (first..=last)
                    .map(|i| {
                        let value = i as f64 * step;
                        (value, number(value, decimals))
                    })
                    .collect();
                let labels: Vec<String> = ticks.iter().map(|(_, l)| l.clone()).collect();
                if ticks.len() <= 12 && fits(&labels) {
                    return ticks;
                }
                fallback = ticks;
            }
            exponent += 1;
        }
        fallback
    }
}

/// A number with this many decimals, never "-0".
fn number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_owned(),
        _ => text,
    }
}

impl From<cairo::Error> for ChartError {
    fn from(error: cairo::Error) -> Self {
        Self::Draw(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canvas_test(draw: impl FnOnce(&Canvas<'_>)) {
        let surface = cairo::ImageSurface::create(cairo::Format::ARgb32, 400, 300).unwrap();
        let cr = cairo::Context::new(&surface).unwrap();
        let look = Look::for_export(300);
        draw(&Canvas::new(&cr, (400.0, 300.0), &look));
    }

    fn axis(range: (f64, f64), whole: bool) -> Axis {
        Axis {
            range,
            ticks: Ticks::Round { whole },
            description: String::new(),
            grid: false,
        }
    }

    #[test]
    fn round_ticks_fall_on_round_numbers_inside_the_range() {
        canvas_test(|canvas| {
            let ticks = canvas.ticks(&axis((0.0, 1.0), false), 300.0, |l| l.len() <= 6);
            let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
            assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);

            let ticks = canvas.ticks(&axis((0.0, 3.3), true), 300.0, |_| true);
            let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
            assert_eq!(labels, ["0", "1", "2", "3"]);

            let ticks = canvas.ticks(&axis((-0.13, 0.21), false), 300.0, |l| l.len() <= 4);
            let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
            assert_eq!(labels, ["-0.1", "0.0", "0.1", "0.2"]);
        });
    }

    #[test]
    fn numbers_never_read_minus_zero() {
        assert_eq!(number(-0.001, 2), "0.00");
        assert_eq!(number(-0.2, 1), "-0.2");
        assert_eq!(number(3.0, 0), "3");
    }
}
