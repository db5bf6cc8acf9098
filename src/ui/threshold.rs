//! The threshold slider's model, one for every page: [`Threshold`]'s range and step, the
//! default read from Preferences when the page opens.
//!
//! A page's slider is for that window only: moving it changes what that page applies now, not
//! the default the next window starts from, which Preferences alone sets. So the pages read the
//! setting (`get`) and never write it back.

use relm4::gtk::{self, gio, prelude::*};

use crate::matching::Threshold;

/// A threshold slider's model, starting at the default Preferences hold.
pub fn adjustment(settings: &gio::Settings) -> gtk::Adjustment {
    let adjustment = gtk::Adjustment::new(
        f64::from(Threshold::DEFAULT),
        f64::from(Threshold::MIN),
        f64::from(Threshold::MAX),
        f64::from(Threshold::STEP),
        0.05,
        0.0,
    );
    settings
        .bind("default-threshold", &adjustment, "value")
        .get()
        .build();
    adjustment
}
