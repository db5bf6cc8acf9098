//! The charts of the Interiors page: each one a drawing area that draws its chart at the size
//! and scale the window gives it, in the window's font and in its light or dark style.

use std::rc::Rc;

use relm4::adw;
use relm4::gtk::{self, pango, prelude::*};

use crate::interiors::charts::{self, ChartData, ChartKind, Look, Style};

/// The smallest a chart is drawn, readable on a small screen.
const CHART_WIDTH: i32 = 320;
const CHART_HEIGHT: i32 = 300;

/// A chart of `data`, redrawn whenever its size, scale, font or style changes.
pub fn chart_view(kind: ChartKind, data: Rc<ChartData>) -> gtk::DrawingArea {
    let title = kind.title();
    let area = gtk::DrawingArea::builder()
        .accessible_role(gtk::AccessibleRole::Img)
        .content_width(CHART_WIDTH)
        .content_height(CHART_HEIGHT)
        .hexpand(true)
        .tooltip_text(&title)
        .css_classes(["card"])
        .build();
    // A screen reader says the chart's title, then the numbers it draws.
    crate::ui::accessible::name(&area, &title);
    crate::ui::accessible::describe(&area, &charts::describe(kind, &data));
    area.set_draw_func(move |area, cr, width, height| {
        let size = (f64::from(width), f64::from(height));
        if let Err(error) = charts::draw(kind, &data, cr, size, &look(area)) {
            tracing::warn!("cannot draw the chart \"{}\": {error}", kind.title());
        }
    });
    area
}

/// The window's style and font; the card beneath paints the background.
fn look(widget: &impl IsA<gtk::Widget>) -> Look {
    let context = widget.pango_context();
    let font = context.font_description().unwrap_or_default();
    let size = f64::from(font.size()) / f64::from(pango::SCALE);
    let text_size = if font.is_size_absolute() {
        size
    } else {
        let dpi = pangocairo::functions::context_get_resolution(&context);
        size * if dpi > 0.0 { dpi } else { 96.0 } / 72.0
    };
    Look {
        style: if adw::StyleManager::default().is_dark() {
            Style::Dark
        } else {
            Style::Light
        },
        family: font
            .family()
            .map_or_else(|| "Sans".to_owned(), |f| f.to_string()),
        text_size: if text_size > 0.0 { text_size } else { 14.0 },
        background: false,
    }
}
