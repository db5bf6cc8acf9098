//! The drawing surface of the charts: plotters' RGB bitmap, with text laid out and drawn from a
//! font file found on the system (glyph bearings, kerning, rotation), so that labels look the
//! same everywhere and nothing depends on a font service.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};

/// The regular and bold faces the charts write with.
pub struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

const REGULAR: &[&str] = &[
    "DejaVuSans.ttf",
    "Cantarell-Regular.otf",
    "Cantarell-VF.otf",
    "NotoSans-Regular.ttf",
    "LiberationSans-Regular.ttf",
];

const BOLD: &[&str] = &[
    "DejaVuSans-Bold.ttf",
    "Cantarell-Bold.otf",
    "NotoSans-Bold.ttf",
    "LiberationSans-Bold.ttf",
];

impl Fonts {
    /// The fonts, found once per process; `None` when the system has none of them.
    pub fn get() -> Option<&'static Fonts> {
        static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
        FONTS
            .get_or_init(|| {
                let files = font_files();
                let regular = load(&files, REGULAR)?;
                let bold = load(&files, BOLD).unwrap_or_else(|| regular.clone());
                Some(Fonts { regular, bold })
            })
            .as_ref()
    }

    fn face(&self, style: FontStyle) -> &FontRef<'static> {
        match style {
            FontStyle::Bold => &self.bold,
            _ => &self.regular,
        }
    }

    /// The coverage of each pixel of `text` set at `size` pixels, from the top-left corner of
    /// its box, and the box's size.
    fn layout(&self, text: &str, size: f64, style: FontStyle) -> (Vec<(i32, i32, f32)>, i32, i32) {
        let face = self.face(style);
        let scale = PxScale::from(size as f32);
        let scaled = face.as_scaled(scale);
        let ascent = scaled.ascent();
        let height = (ascent - scaled.descent()).ceil() as i32;
        let mut pixels = Vec::new();
        let mut caret = 0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                caret += scaled.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(scale, point(caret, ascent));
            if let Some(outline) = face.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
                outline.draw(|x, y, coverage| {
                    if coverage > 0.0 {
                        pixels.push((left + x as i32, top + y as i32, coverage.min(1.0)));
                    }
                });
            }
            caret += scaled.h_advance(id);
            previous = Some(id);
        }
        (pixels, caret.ceil() as i32, height)
    }

    /// The size of `text`'s box without drawing it.
    fn measure(&self, text: &str, size: f64, style: FontStyle) -> (u32, u32) {
        let scaled = self.face(style).as_scaled(PxScale::from(size as f32));
        let mut width = 0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                width += scaled.kern(previous, id);
            }
            width += scaled.h_advance(id);
            previous = Some(id);
        }
        let height = scaled.ascent() - scaled.descent();
        (width.ceil().max(0.0) as u32, height.ceil().max(0.0) as u32)
    }
}

fn load(files: &[PathBuf], names: &[&str]) -> Option<FontRef<'static>> {
    names.iter().find_map(|name| {
        files
            .iter()
            .filter(|f| f.file_name().is_some_and(|n| n == *name))
            .find_map(|f| {
                let bytes: &'static [u8] = Box::leak(std::fs::read(f).ok()?.into_boxed_slice());
                FontRef::try_from_slice(bytes).ok()
            })
    })
}

/// Every file in the usual font folders: the user's, then the system's.
fn font_files() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(data) = dirs::data_dir() {
        roots.push(data.join("fonts"));
    }
    let system = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".to_owned());
    roots.extend(
        system
            .split(':')
            .filter(|p| !p.is_empty())
            .map(|p| Path::new(p).join("fonts")),
    );
    roots.push(PathBuf::from("/usr/share/fonts"));
    roots.dedup();
    let mut files = Vec::new();
    for root in &roots {
        walk(root, 4, &mut files);
    }
    files
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth > 0 {
                walk(&path, depth - 1, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// plotters' bitmap with the charts' own text.
pub struct ChartBackend<'a> {
    inner: BitMapBackend<'a>,
    fonts: &'static Fonts,
}

impl<'a> ChartBackend<'a> {
    pub fn new(buffer: &'a mut [u8], size: (u32, u32), fonts: &'static Fonts) -> Self {
        Self {
            inner: BitMapBackend::with_buffer(buffer, size),
            fonts,
        }
    }
}

type Failure<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for ChartBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Failure<'a>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Failure<'a>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure<'a>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), Failure<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (pixels, width, height) = self.fonts.layout(text, style.size(), style.style());
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Center => -width / 2,
            HPos::Right => -width,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        for (x, y, coverage) in pixels {
            let (x, y) = transform.transform(x + dx, y + dy);
            self.inner.draw_pixel(
                (pos.0 + x, pos.1 + y),
                BackendColor {
                    alpha: color.alpha * f64::from(coverage),
                    rgb: color.rgb,
                },
            )?;
        }
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), Failure<'a>> {
        Ok(self.fonts.measure(text, style.size(), style.style()))
    }
}
