//! One candidate on the review page: its key (1-5), similarity, cover, the strip of its variant
//! covers (a click flips the large cover to that variant), series and number, year, and a tag
//! for each signal that was compared, coloured by whether it agreed.

use relm4::gtk::{self, prelude::*};

use super::ReviewMsg;
use crate::i18n::{fill, gettext};
use crate::matching::Signals;
use crate::matching::review::ReviewCandidate;
use crate::matching::score::Agreement;
use crate::ui::pictures::{CoverKey, TextureCache};

/// Variant covers shown in the strip; more are counted, not shown.
const STRIP: usize = 5;

/// What a card's tags were made from: the candidate's issue, its signals' bits, and whether
/// the comic's tags and its folder name it.
type ShownSignals = (i32, [u32; 6], bool, bool, bool, bool);

/// A compared signal as a tag: its name, how it came out, a sentence for its tooltip, and
/// whether it comes from the file name (else from the pictures).
pub struct SignalTag {
    pub name: String,
    pub outcome: Agreement,
    pub tooltip: String,
    pub from_name: bool,
}

/// The signals that were compared, pictures first.
pub fn signal_tags(signals: &Signals) -> Vec<SignalTag> {
    let percent = |v: f32| format!("{:.0}", v * 100.0);
    // How each signal came out is the core's to say; the card only colours it.
    let told = signals.agreement();
    let mut tags = vec![SignalTag {
        name: gettext("Visual"),
        outcome: told.visual,
        tooltip: fill(
            &gettext("Visual similarity: {percent}%"),
            &[("percent", &percent(signals.visual))],
        ),
        from_name: false,
    }];
    if let (Some(hash), Some(outcome)) = (signals.hash, told.hash) {
        tags.push(SignalTag {
            name: gettext("Hash"),
            outcome,
            tooltip: fill(
                &gettext("The pictures' fingerprints (perceptual hash) agree on {percent}%"),
                &[("percent", &percent(hash))],
            ),
            from_name: false,
        });
    }
    let named = |name: String, outcome: Agreement, agreed: String, differs: String| {
        let tooltip = if outcome == Agreement::Agreed {
            agreed
        } else {
            differs
        };
        SignalTag {
            name,
            outcome,
            tooltip,
            from_name: true,
        }
    };
    if let Some(series) = told.series {
        tags.push(named(
            gettext("Series"),
            series,
            gettext("The file name gives this series"),
            gettext("The file name gives another series"),
        ));
    }
    if let Some(number) = told.number {
        tags.push(named(
            gettext("Number"),
            number,
            gettext("The file name gives this issue number"),
            gettext("The file name gives another issue number"),
        ));
    }
    if let Some(year) = told.year {
        tags.push(named(
            gettext("Year"),
            year,
            gettext("The file name gives this year"),
            gettext("The file name gives another year"),
        ));
    }
    tags
}

/// A tag saying how a signal came out: by a mark as well as by its colour (✓ agrees, ✗ does
/// not), and in words to a screen reader.
fn tag_label(name: &str, outcome: Agreement, tooltip: &str) -> gtk::Label {
    let (mark, class, spoken) = match outcome {
        // A thin space after the mark: three tags in a row keep four cards in a window 1100
        // pixels wide.
        Agreement::Agreed => ("✓\u{2009}", Some("agreed"), gettext("{signal}: agrees")),
        Agreement::Disagreed => (
            "✗\u{2009}",
            Some("disagreed"),
            gettext("{signal}: does not agree"),
        ),
        Agreement::Undecided => ("", None, "{signal}".to_owned()),
    };
    let tag = gtk::Label::builder()
        .label(format!("{mark}{name}"))
        .tooltip_text(tooltip)
        .css_classes(["signal-tag", "caption"])
        .build();
    if let Some(class) = class {
        tag.add_css_class(class);
    }
    crate::ui::accessible::name(&tag, &fill(&spoken, &[("signal", &name)]));
    tag
}

/// A candidate's title: its series and issue number.
pub fn candidate_title(candidate: &ReviewCandidate) -> String {
    // Translators: a comic issue, series name then issue number: "Saga #12".
    fill(
        &gettext("{volume} #{number}"),
        &[
            ("volume", &candidate.candidate.volume),
            ("number", &candidate.candidate.number),
        ],
    )
}

/// A score as a percentage.
pub fn percent(score: f32) -> String {
    // Translators: a percentage; Spanish writes a space before the sign.
    fill(
        &gettext("{percent}%"),
        &[("percent", &format!("{:.0}", score * 100.0))],
    )
}

pub struct CandidateCard {
    pub root: gtk::Box,
    key: gtk::Label,
    score: gtk::Label,
    cover: gtk::Picture,
    cover_stack: gtk::Stack,
    strip: gtk::Box,
    strip_pictures: Vec<(gtk::Button, gtk::Picture)>,
    more: gtk::Label,
    title: gtk::Label,
    year: gtk::Label,
    /// Two rows of tags: the pictures' signals, then the file name's.
    tags: [gtk::Box; 2],
    /// The issue and signals the tags show, so covers arriving do not rebuild them.
    tagged: std::cell::Cell<Option<ShownSignals>>,
}

impl CandidateCard {
    pub fn new(index: usize, sender: &relm4::Sender<ReviewMsg>) -> Self {
        let root = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .width_request(150)
            .css_classes(["card", "review-candidate"])
            .build();
        let header = gtk::Box::builder()
            .spacing(6)
            .margin_top(8)
            .margin_start(10)
            .margin_end(10)
            .build();
        let key = gtk::Label::builder()
            .label((index + 1).to_string())
            .css_classes(["review-key", "numeric"])
            .build();
        let score = gtk::Label::builder()
            .hexpand(true)
            .halign(gtk::Align::End)
            .css_classes(["title-3", "numeric"])
            .build();
        header.append(&key);
        header.append(&score);
        root.append(&header);

        let cover = gtk::Picture::builder()
            .can_shrink(true)
            .content_fit(gtk::ContentFit::Contain)
            .height_request(100)
            .build();
        let missing = gtk::Image::builder()
            .icon_name("image-missing-symbolic")
            .pixel_size(48)
            .css_classes(["dim-label"])
            .height_request(100)
            .build();
        let cover_stack = gtk::Stack::builder()
            .margin_start(10)
            .margin_end(10)
            .build();
        cover_stack.add_named(&cover, Some("picture"));
        cover_stack.add_named(&missing, Some("missing"));
        root.append(&cover_stack);

        let strip = gtk::Box::builder()
            .spacing(4)
            .halign(gtk::Align::Center)
            .margin_start(10)
            .margin_end(10)
            .build();
        let mut strip_pictures = Vec::with_capacity(STRIP);
        for variant in 0..STRIP {
            let picture = gtk::Picture::builder()
                .can_shrink(true)
                .content_fit(gtk::ContentFit::Contain)
                .width_request(24)
                .height_request(36)
                .build();
            let button = gtk::Button::builder()
                .child(&picture)
                .focus_on_click(false)
                .css_classes(["flat", "review-variant"])
                .build();
            crate::ui::accessible::name(
                &button,
                &fill(&gettext("Cover {number}"), &[("number", &(variant + 1))]),
            );
            let sender = sender.clone();
            button.connect_clicked(move |_| sender.emit(ReviewMsg::Flip(index, variant)));
            strip.append(&button);
            strip_pictures.push((button, picture));
        }
        let more = gtk::Label::builder()
            .css_classes(["caption", "dim-label"])
            .build();
        strip.append(&more);
        root.append(&strip);

        let title = gtk::Label::builder()
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .justify(gtk::Justification::Center)
            .lines(2)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .margin_start(10)
            .margin_end(10)
            .css_classes(["heading"])
            .build();
        let year = gtk::Label::builder()
            .css_classes(["dim-label", "numeric"])
            .build();
        root.append(&title);
        root.append(&year);

        let tags = [4, 10].map(|bottom| {
            let row = gtk::Box::builder()
                .spacing(3)
                .halign(gtk::Align::Center)
                .margin_start(4)
                .margin_end(4)
                .margin_bottom(bottom)
                .build();
            root.append(&row);
            row
        });

        let click = gtk::GestureClick::new();
        let highlight = sender.clone();
        click.connect_released(move |gesture, presses, _, _| {
            if presses >= 2 {
                highlight.emit(ReviewMsg::Apply(index));
            } else {
                highlight.emit(ReviewMsg::Highlight(index));
            }
            gesture.set_state(gtk::EventSequenceState::Claimed);
        });
        root.add_controller(click);
        root.set_tooltip_text(Some(&gettext("Click to highlight, double-click to apply")));

        Self {
            root,
            key,
            score,
            cover,
            cover_stack,
            strip,
            strip_pictures,
            more,
            title,
            year,
            tags,
            tagged: std::cell::Cell::new(None),
        }
    }

    /// Shows `candidate` with its cover number `flipped` large.
    pub fn show(
        &self,
        candidate: &ReviewCandidate,
        textures: &TextureCache<CoverKey>,
        flipped: usize,
        highlighted: bool,
        threshold: f32,
    ) {
        self.root.set_visible(true);
        set_class(&self.root, "highlighted", highlighted);
        set_class(&self.key, "accent", highlighted);
        let score = candidate.candidate.signals.combined;
        self.score.set_label(&percent(score));
        set_class(&self.score, "success", score >= threshold);
        set_class(&self.score, "warning", score < threshold);

        let shown = candidate
            .covers
            .get(flipped)
            .or_else(|| candidate.covers.first());
        let texture = shown.and_then(|c| textures.peek(&CoverKey::Catalog(c.id_cover)));
        self.cover.set_paintable(texture);
        self.cover_stack.set_visible_child_name(
            if texture.is_some() || shown.is_some_and(|c| c.file.is_some()) {
                "picture"
            } else {
                "missing"
            },
        );

        let variants = candidate.covers.len();
        self.strip.set_visible(variants > 1);
        for (at, (button, picture)) in self.strip_pictures.iter().enumerate() {
            let cover = candidate.covers.get(at).filter(|_| variants > 1);
            button.set_visible(cover.is_some());
            set_class(button, "flipped", at == flipped);
            picture
                .set_paintable(cover.and_then(|c| textures.peek(&CoverKey::Catalog(c.id_cover))));
        }
        if variants > STRIP {
            self.more.set_label(&fill(
                &gettext("+{count}"),
                &[("count", &(variants - STRIP))],
            ));
            self.more.set_visible(true);
        } else {
            self.more.set_visible(false);
        }
        self.strip.set_tooltip_text(Some(&fill(
            &gettext("{count} covers of this issue: click one to see it large"),
            &[("count", &variants)],
        )));

        self.title.set_label(&candidate_title(candidate));
        self.year.set_label(
            &candidate
                .candidate
                .year
                .map_or_else(|| gettext("Year unknown"), |y| y.to_string()),
        );

        let signals = &candidate.candidate.signals;
        let key = (
            candidate.candidate.id_comicbook_info,
            [
                signals.visual,
                signals.hash.unwrap_or(-1.0),
                signals.series.unwrap_or(-1.0),
                signals.number.unwrap_or(-1.0),
                signals.year.unwrap_or(-1.0),
                signals.combined,
            ]
            .map(f32::to_bits),
            candidate.candidate.tagged,
            candidate.candidate.same_folder,
            candidate.candidate.edition,
            candidate.candidate.unreadable_cover,
        );
        if self.tagged.replace(Some(key)) == Some(key) {
            return;
        }
        for row in &self.tags {
            while let Some(child) = row.first_child() {
                row.remove(&child);
            }
        }
        for signal in signal_tags(&candidate.candidate.signals) {
            let tag = tag_label(&signal.name, signal.outcome, &signal.tooltip);
            self.tags[usize::from(signal.from_name)].append(&tag);
        }
        if candidate.candidate.unreadable_cover {
            // Evidence missing, not evidence against: said beside the picture's signals.
            let tag = tag_label(
                &gettext("Cover Unreadable"),
                Agreement::Disagreed,
                &gettext(
                    "This issue's catalog cover could not be read: it is suggested on its stored embedding alone, and never applied without you",
                ),
            );
            self.tags[0].append(&tag);
        }
        // What the comic's file and folder say, beside its name.
        let from_file = [
            (
                candidate.candidate.tagged,
                gettext("Tagged"),
                gettext("The comic's own tags (ComicInfo.xml or MetronInfo.xml) name this issue"),
            ),
            (
                candidate.candidate.same_folder,
                gettext("Same Folder"),
                gettext("Comics in the same folder are classified to this volume"),
            ),
        ];
        for (_, name, tooltip) in from_file.into_iter().filter(|(on, ..)| *on) {
            let tag = tag_label(&name, Agreement::Agreed, &tooltip);
            self.tags[1].append(&tag);
        }
        if candidate.candidate.edition {
            // Neither for nor against: which edition is the user's to say.
            let tooltip = match &candidate.candidate.publisher {
                Some(publisher) => fill(
                    &gettext(
                        "Another candidate has the same cover in another volume; this edition is published by {publisher}",
                    ),
                    &[("publisher", publisher)],
                ),
                None => gettext("Another candidate has the same cover in another volume"),
            };
            let label = candidate.candidate.publisher.as_ref().map_or_else(
                || gettext("Edition"),
                |p| fill(&gettext("Edition: {publisher}"), &[("publisher", p)]),
            );
            let tag = tag_label(&label, Agreement::Undecided, &tooltip);
            self.tags[1].append(&tag);
        }
    }

    pub fn hide(&self) {
        self.root.set_visible(false);
    }
}

fn set_class(widget: &impl IsA<gtk::Widget>, class: &str, on: bool) {
    if on {
        widget.add_css_class(class);
    } else {
        widget.remove_css_class(class);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_compared_signals_get_a_tag() {
        let signals = Signals {
            visual: 0.9,
            hash: Some(0.55),
            series: None,
            number: Some(1.0),
            year: Some(0.0),
            combined: 0.8,
        };
        let outcomes: Vec<Agreement> = signal_tags(&signals)
            .into_iter()
            .map(|t| t.outcome)
            .collect();
        // As the score weighs them: fingerprints at 0.55 are neither the same picture
        // (0.85) nor unrelated (0.5).
        assert_eq!(
            outcomes,
            [
                Agreement::Agreed,
                Agreement::Undecided,
                Agreement::Agreed,
                Agreement::Disagreed
            ]
        );
    }
}
