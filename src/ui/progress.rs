//! The progress of a page's job as the window shows it: what the job is doing, done of total
//! with the rate and the time left, a bar that screen readers name by that heading, and
//! Cancel. It reads a [`ProgressMonitor`] that the job's worker reports into, a few times a
//! second while the job runs, and shows itself only then; every page shows its jobs with it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use relm4::gtk::{self, glib, prelude::*};

use crate::i18n::{fill, gettext};
use crate::jobs::{JobState, ProgressMonitor, ProgressReport, Unit};

/// How often the panel reads the monitor: often enough for the bar to move smoothly.
const READ_EVERY: Duration = Duration::from_millis(100);

/// The CSS class of the panel's bar: it has the name the panel gives it, its heading.
pub const NAMED_BY_HEADING: &str = "named-by-heading";

type Listener = Box<dyn Fn(&ProgressReport)>;

/// A job's heading, counts, bar and Cancel, shown while the job runs.
pub struct ProgressPanel {
    root: gtk::Revealer,
    content: gtk::Box,
    listeners: Rc<RefCell<Vec<Listener>>>,
}

struct Parts {
    heading: gtk::Label,
    details: gtk::Label,
    bar: gtk::ProgressBar,
    cancel: gtk::Button,
}

impl ProgressPanel {
    pub fn new(monitor: &ProgressMonitor) -> Self {
        let heading = gtk::Label::builder()
            .css_classes(["heading"])
            .xalign(0.0)
            .hexpand(true)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .build();
        let details = gtk::Label::builder()
            .css_classes(["dim-label", "numeric"])
            .ellipsize(gtk::pango::EllipsizeMode::Start)
            .build();
        let texts = gtk::Box::builder().spacing(12).build();
        texts.append(&heading);
        texts.append(&details);
        let bar = gtk::ProgressBar::new();
        // Added to GTK's own classes (`horizontal`), which the builder would replace.
        bar.add_css_class(NAMED_BY_HEADING);
        let column = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .hexpand(true)
            .valign(gtk::Align::Center)
            .build();
        column.append(&texts);
        column.append(&bar);
        let cancel = gtk::Button::builder()
            .label(gettext("_Cancel"))
            .use_underline(true)
            .valign(gtk::Align::Center)
            .build();
        let content = gtk::Box::builder()
            .spacing(12)
            .margin_start(12)
            .margin_end(12)
            .margin_top(6)
            .margin_bottom(6)
            .build();
        content.append(&column);
        content.append(&cancel);
        let root = gtk::Revealer::builder().child(&content).build();

        cancel.connect_clicked(glib::clone!(
            #[strong]
            monitor,
            move |_| monitor.cancel()
        ));
        let listeners: Rc<RefCell<Vec<Listener>>> = Rc::default();
        let parts = Parts {
            heading,
            details,
            bar,
            cancel,
        };
        let mut shown: Option<ProgressReport> = None;
        let weak = root.downgrade();
        let monitor = monitor.clone();
        let told = listeners.clone();
        glib::timeout_add_local(READ_EVERY, move || {
            let Some(root) = weak.upgrade() else {
                return glib::ControlFlow::Break;
            };
            let report = monitor.report();
            let changed = shown.as_ref().is_none_or(|s| s.changes != report.changes);
            if changed {
                parts.show(&report);
                for listener in told.borrow().iter() {
                    listener(&report);
                }
            }
            if report.state.is_active() {
                match report.moving_fraction() {
                    Some(fraction) => parts.bar.set_fraction(fraction),
                    None => parts.bar.pulse(),
                }
            }
            root.set_reveal_child(report.state.is_active());
            shown = Some(report);
            glib::ControlFlow::Continue
        });
        Self {
            root,
            content,
            listeners,
        }
    }

    pub fn widget(&self) -> &gtk::Revealer {
        &self.root
    }

    /// Shows the panel in a card, as a part of a page of its own.
    pub fn framed(self) -> Self {
        let card = gtk::Box::builder().css_classes(["card"]).build();
        self.root.set_child(Some(&card));
        self.content.set_margin_top(12);
        self.content.set_margin_bottom(12);
        self.content.set_hexpand(true);
        card.append(&self.content);
        self
    }

    /// Calls `listener` with each report that tells something new, as the panel shows it.
    pub fn connect_report(&self, listener: impl Fn(&ProgressReport) + 'static) {
        self.listeners.borrow_mut().push(Box::new(listener));
    }
}

impl Parts {
    fn show(&self, report: &ProgressReport) {
        let heading = match report.state {
            JobState::Stopping => gettext("Stopping…"),
            _ => report.label.clone(),
        };
        self.heading.set_label(&heading);
        self.details.set_label(&details(report));
        self.cancel.set_visible(report.cancellable);
        self.cancel
            .set_sensitive(report.state == JobState::Running && report.cancellable);
        let name = if heading.is_empty() {
            gettext("Progress")
        } else {
            heading
        };
        crate::ui::accessible::name(&self.bar, &name);
    }
}

/// The counts, rate and time left in words; empty while the total is unknown.
pub fn details(report: &ProgressReport) -> String {
    let Some(total) = report.total else {
        return String::new();
    };
    let (done, total) = match report.unit {
        Unit::Items => (report.done.to_string(), total.to_string()),
        Unit::Bytes => (megabytes(report.done), megabytes(total)),
    };
    let Some(rate) = report.rate() else {
        return fill(
            &gettext("{done} of {total}"),
            &[("done", &done), ("total", &total)],
        );
    };
    let rate = match report.unit {
        Unit::Items => fill(&gettext("{rate}/s"), &[("rate", &format!("{rate:.1}"))]),
        Unit::Bytes => fill(
            &gettext("{rate} MB/s"),
            &[("rate", &format!("{:.1}", rate / 1e6))],
        ),
    };
    match report.remaining() {
        Some(left) if report.done < report.total.unwrap_or(0) => fill(
            &gettext("{done} of {total} · {rate} · {eta} left"),
            &[
                ("done", &done),
                ("total", &total),
                ("rate", &rate),
                ("eta", &duration_text(left)),
            ],
        ),
        _ => fill(
            &gettext("{done} of {total} · {rate}"),
            &[("done", &done), ("total", &total), ("rate", &rate)],
        ),
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// A short duration in words: seconds under a minute, then minutes, then hours and minutes.
pub fn duration_text(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds < 60 {
        fill(&gettext("{seconds} s"), &[("seconds", &seconds.max(1))])
    } else if seconds < 3600 {
        fill(
            &gettext("{minutes} min"),
            &[("minutes", &seconds.div_ceil(60))],
        )
    } else {
        fill(
            &gettext("{hours} h {minutes} min"),
            &[
                ("hours", &(seconds / 3600)),
                ("minutes", &((seconds % 3600) / 60)),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_seconds_minutes_and_hours() {
        assert_eq!(duration_text(Duration::from_secs(3725)), "1 h 2 min");
        assert_eq!(duration_text(Duration::from_secs(95)), "2 min");
        assert_eq!(duration_text(Duration::from_millis(200)), "1 s");
    }
}
