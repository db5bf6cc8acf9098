//! The Interiors page's filters: the gallery's choice of photos (all, kept, filtered out) with
//! their counts, and the popover where the filters' thresholds are changed.

use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::prelude::*;

use super::{InteriorsMsg, InteriorsPage};
use crate::i18n::{fill, gettext};
use crate::interiors::filters::{FilterReport, Filters};

/// The gallery filter's choices, with how many photos each holds once known.
pub fn shown_choices(report: Option<&FilterReport>) -> Vec<String> {
    match report {
        None => vec![
            gettext("All Photos"),
            gettext("Kept by the Filters"),
            gettext("Filtered Out"),
        ],
        Some(report) => vec![
            fill(
                &gettext("All Photos ({photos})"),
                &[("photos", &report.photos)],
            ),
            fill(
                &gettext("Kept by the Filters ({kept})"),
                &[("kept", &report.kept)],
            ),
            fill(
                &gettext("Filtered Out ({set_aside})"),
                &[("set_aside", &report.set_aside())],
            ),
        ],
    }
}

/// The popover where the user changes the filters' thresholds.
pub struct ThresholdControls {
    pub button: gtk::MenuButton,
    min_brightness: gtk::SpinButton,
    max_brightness: gtk::SpinButton,
    min_contrast: gtk::SpinButton,
    min_sharpness: gtk::SpinButton,
    min_megapixels: gtk::SpinButton,
    min_indoor: gtk::SpinButton,
    min_room: gtk::SpinButton,
}

impl ThresholdControls {
    pub fn new(sender: &ComponentSender<InteriorsPage>) -> Self {
        let spin = |max: f64, step: f64, digits: u32| {
            let spin = gtk::SpinButton::with_range(0.0, max, step);
            spin.set_digits(digits);
            spin.set_valign(gtk::Align::Center);
            spin
        };
        let controls = Self {
            button: gtk::MenuButton::new(),
            min_brightness: spin(1.0, 0.01, 2),
            max_brightness: spin(1.0, 0.01, 2),
            min_contrast: spin(0.5, 0.01, 2),
            min_sharpness: spin(2000.0, 1.0, 0),
            min_megapixels: spin(100.0, 0.01, 2),
            min_indoor: spin(1.0, 0.01, 2),
            min_room: spin(1.0, 0.01, 2),
        };
        let grid = gtk::Grid::builder()
            .row_spacing(6)
            .column_spacing(12)
            .margin_top(12)
            .margin_bottom(12)
            .margin_start(12)
            .margin_end(12)
            .build();
        let heading = |text: &str| {
            let label = gtk::Label::new(Some(text));
            label.add_css_class("heading");
            label.set_xalign(0.0);
            label
        };
        let rows: [(String, &gtk::SpinButton); 7] = [
            (gettext("Darkest brightness"), &controls.min_brightness),
            (gettext("Brightest brightness"), &controls.max_brightness),
            (gettext("Lowest contrast"), &controls.min_contrast),
            (gettext("Lowest sharpness"), &controls.min_sharpness),
            (gettext("Fewest megapixels"), &controls.min_megapixels),
            (gettext("Lowest interior probability"), &controls.min_indoor),
            (gettext("Lowest room score"), &controls.min_room),
        ];
        grid.attach(&heading(&gettext("Visual Filter")), 0, 0, 2, 1);
        let mut row = 1;
        for (index, (text, spin)) in rows.into_iter().enumerate() {
            if index == 5 {
                grid.attach(&heading(&gettext("Semantic Filter")), 0, row, 2, 1);
                row += 1;
            }
            let label = gtk::Label::new(Some(&text));
            label.set_xalign(0.0);
            label.set_hexpand(true);
            label.set_mnemonic_widget(Some(spin));
            grid.attach(&label, 0, row, 1, 1);
            grid.attach(spin, 1, row, 1, 1);
            row += 1;
        }
        let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        buttons.set_halign(gtk::Align::End);
        buttons.set_margin_top(6);
        let defaults = gtk::Button::with_label(&gettext("Defaults"));
        let apply = gtk::Button::with_label(&gettext("Apply"));
        apply.add_css_class("suggested-action");
        let input = sender.input_sender().clone();
        defaults.connect_clicked(move |_| input.emit(InteriorsMsg::DefaultThresholds));
        let input = sender.input_sender().clone();
        apply.connect_clicked(move |_| input.emit(InteriorsMsg::ApplyThresholds));
        buttons.append(&defaults);
        buttons.append(&apply);
        grid.attach(&buttons, 0, row, 2, 1);
        let popover = gtk::Popover::new();
        popover.set_child(Some(&grid));
        controls.button.set_popover(Some(&popover));
        controls.show(&Filters::default());
        controls
    }

    pub fn show(&self, filters: &Filters) {
        self.min_brightness.set_value(filters.visual.min_brightness);
        self.max_brightness.set_value(filters.visual.max_brightness);
        self.min_contrast.set_value(filters.visual.min_contrast);
        self.min_sharpness.set_value(filters.visual.min_sharpness);
        self.min_megapixels.set_value(filters.visual.min_megapixels);
        self.min_indoor.set_value(filters.semantic.min_indoor);
        self.min_room.set_value(filters.semantic.min_room);
    }

    pub fn read(&self) -> Filters {
        let mut filters = Filters::default();
        filters.visual.min_brightness = self.min_brightness.value();
        filters.visual.max_brightness = self.max_brightness.value();
        filters.visual.min_contrast = self.min_contrast.value();
        filters.visual.min_sharpness = self.min_sharpness.value();
        filters.visual.min_megapixels = self.min_megapixels.value();
        filters.semantic.min_indoor = self.min_indoor.value();
        filters.semantic.min_room = self.min_room.value();
        filters
    }
}
