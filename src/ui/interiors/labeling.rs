//! The labeling view: one photo large, the keys 1, 2 and 3 label it bad, medium or good and
//! move on; Backspace or Ctrl+Z undoes, Space skips, Left and Right move, Esc leaves. Every
//! label goes out as a message to be saved at once; photos are decoded ahead by the UI's picture
//! loader.

use crate::ui::failure::send;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use relm4::adw;
use relm4::gtk::{self, gdk, glib, prelude::*};
use relm4::prelude::*;

use crate::i18n::{fill, gettext};
use crate::interiors::Quality;
use crate::interiors::labeling::{LabelChange, LabelingSession, Order, SessionPhoto};
use crate::ui::pictures::{Fit, PictureError, PictureLoader, Priority, Source, TextureCache};

/// How many photos ahead are decoded.
const AHEAD: usize = 3;

/// Photos are decoded no larger than this on their longest side: enough for a full-screen
/// view, small enough to keep a few in memory.
const MAX_SIDE: u32 = 1600;

pub struct LabelingView {
    session: LabelingSession,
    order: Order,
    loader: PictureLoader<i64>,
    /// The photos around the one shown, by id; `None`: the photo cannot be shown.
    textures: TextureCache<i64>,
    /// When the last key press came, until the frame showing its result is drawn; the delay
    /// is logged at debug level (`RUST_LOG=vistazo::ui=debug`) to check the view keeps up.
    pressed_at: Rc<Cell<Option<Instant>>>,
    root: gtk::Box,
}

#[derive(Debug)]
pub enum LabelingMsg {
    Start(Vec<SessionPhoto>, Order),
    /// The models were trained again: the photos not reached yet take this order (ids).
    Reorder(Vec<i64>),
    Label(Quality),
    Skip,
    Back,
    Forward,
    Undo,
    Leave,
    Loaded(i64, Result<gdk::Texture, PictureError>),
}

#[derive(Debug)]
pub enum LabelingOutput {
    /// Save this label now.
    Save(LabelChange),
    Leave,
}

#[relm4::component(pub)]
impl SimpleComponent for LabelingView {
    type Init = ();
    type Input = LabelingMsg;
    type Output = LabelingOutput;

    view! {
        #[root]
        gtk::Box {
            set_orientation: gtk::Orientation::Vertical,
            set_spacing: 12,
            set_margin_all: 12,
            set_focusable: true,

            // Where it is, the photo's file and the counts in a row, or one under the other in a
            // narrow window.
            crate::ui::fold::Fold::new(12, 0) {
                append = &gtk::Box {
                    set_spacing: 12,

                    gtk::Button {
                        set_icon_name: "go-previous-symbolic",
                        set_tooltip_text: Some(&gettext("Back to the Overview")),
                        add_css_class: "flat",
                        set_focus_on_click: false,
                        connect_clicked => LabelingMsg::Leave,
                    },
                    gtk::Label {
                        add_css_class: "heading",
                        #[watch]
                        set_label: &model.position_text(),
                    },
                },
                append = &gtk::Label {
                    add_css_class: "dim-label",
                    set_hexpand: true,
                    set_ellipsize: gtk::pango::EllipsizeMode::Middle,
                    #[watch]
                    set_label: &model.file_name(),
                },
                append = &gtk::Label {
                    add_css_class: "numeric",
                    set_xalign: 1.0,
                    #[watch]
                    set_label: &model.counts_text(),
                },
            },

            gtk::Label {
                add_css_class: "dim-label",
                add_css_class: "caption-heading",
                set_label: &gettext("Photos the model is least sure about first"),
                #[watch]
                set_visible: model.order == Order::LeastSureFirst,
            },

            gtk::Overlay {
                set_vexpand: true,
                set_hexpand: true,
                // In a low window the view scrolls rather than shrink the photo to nothing.
                set_height_request: 150,

                #[wrap(Some)]
                set_child = &gtk::Picture {
                    set_can_shrink: true,
                    set_content_fit: gtk::ContentFit::Contain,
                    #[watch]
                    set_paintable: model.current_texture(),
                },

                add_overlay = &adw::StatusPage {
                    #[watch]
                    set_visible: model.current_texture().is_none(),
                    #[watch]
                    set_icon_name: Some(model.placeholder_icon()),
                    #[watch]
                    set_title: &model.placeholder_title(),
                    #[watch]
                    set_description: Some(&model.placeholder_description()),
                },
            },

            // In a row, or one under the other in a narrow window.
            crate::ui::fold::Fold::new(12, 0) {
                set_halign: gtk::Align::Center,

                append = &gtk::Button {
                    set_label: &gettext("1 · Bad"),
                    add_css_class: "pill",
                    add_css_class: "destructive-action",
                    set_focus_on_click: false,
                    #[watch]
                    set_sensitive: !model.session.is_finished(),
                    connect_clicked => LabelingMsg::Label(Quality::Bad),
                },
                append = &gtk::Button {
                    set_label: &gettext("2 · Medium"),
                    add_css_class: "pill",
                    set_focus_on_click: false,
                    #[watch]
                    set_sensitive: !model.session.is_finished(),
                    connect_clicked => LabelingMsg::Label(Quality::Medium),
                },
                append = &gtk::Button {
                    set_label: &gettext("3 · Good"),
                    add_css_class: "pill",
                    add_css_class: "suggested-action",
                    set_focus_on_click: false,
                    #[watch]
                    set_sensitive: !model.session.is_finished(),
                    connect_clicked => LabelingMsg::Label(Quality::Good),
                },
            },

            gtk::Label {
                add_css_class: "dim-label",
                add_css_class: "caption",
                set_wrap: true,
                set_justify: gtk::Justification::Center,
                set_label: &gettext("Space skips · ← → move · Backspace or Ctrl+Z undoes · Esc leaves"),
            },
        }
    }

    fn init(
        (): Self::Init,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let loader = {
            let sender = sender.input_sender().clone();
            PictureLoader::new(move |id, decoded| sender.emit(LabelingMsg::Loaded(id, decoded)))
        };
        let model = LabelingView {
            session: LabelingSession::new(Vec::new()),
            order: Order::Import,
            loader,
            textures: TextureCache::new(usize::MAX),
            pressed_at: Rc::new(Cell::new(None)),
            root: root.clone(),
        };
        let widgets = view_output!();

        // Capture phase: the keys act before a focused button could take Space or Enter.
        let keys = gtk::EventControllerKey::new();
        keys.set_propagation_phase(gtk::PropagationPhase::Capture);
        keys.connect_key_pressed(glib::clone!(
            #[strong]
            sender,
            #[strong(rename_to = pressed_at)]
            model.pressed_at,
            move |_, key, _, modifiers| match message_for(key, modifiers) {
                Some(message) => {
                    pressed_at.set(Some(Instant::now()));
                    sender.input(message);
                    glib::Propagation::Stop
                }
                None => glib::Propagation::Proceed,
            }
        ));
        root.add_controller(keys);
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: LabelingMsg, sender: ComponentSender<Self>) {
        match message {
            LabelingMsg::Start(photos, order) => {
                self.session = LabelingSession::new(photos);
                self.order = order;
                self.textures.clear();
                self.loader.cancel_all();
            }
            LabelingMsg::Reorder(order) => {
                self.session.reorder_ahead(&order);
                self.order = Order::LeastSureFirst;
            }
            LabelingMsg::Label(quality) => {
                if let Some(change) = self.session.label(quality) {
                    send(&sender, LabelingOutput::Save(change));
                }
            }
            LabelingMsg::Skip => self.session.skip(),
            LabelingMsg::Back => self.session.back(),
            LabelingMsg::Forward => self.session.forward(),
            LabelingMsg::Undo => {
                if let Some(change) = self.session.undo() {
                    send(&sender, LabelingOutput::Save(change));
                }
            }
            LabelingMsg::Leave => {
                send(&sender, LabelingOutput::Leave);
            }
            LabelingMsg::Loaded(id, Ok(texture)) => self.textures.insert(id, Ok(texture)),
            LabelingMsg::Loaded(id, Err(error)) => {
                tracing::warn!("cannot show photo {id}: {error}");
                self.textures.insert(id, Err(error));
            }
        }
        self.load_around();
        self.time_next_frame();
    }
}

impl LabelingView {
    /// Once the photo a key press asked for is there, logs how long the press took to reach
    /// the screen: the next frame drawn after this update shows it.
    fn time_next_frame(&self) {
        let Some(pressed) = self.pressed_at.get() else {
            return;
        };
        if self.current_texture().is_none() && !self.session.is_finished() {
            return;
        }
        self.pressed_at.set(None);
        let Some(clock) = self.root.frame_clock() else {
            return;
        };
        let handler: Rc<Cell<Option<glib::SignalHandlerId>>> = Rc::new(Cell::new(None));
        let id = clock.connect_after_paint(glib::clone!(
            #[strong]
            handler,
            move |clock| {
                tracing::debug!(
                    "labeling: key press to the frame showing its photo: {:.1} ms",
                    pressed.elapsed().as_secs_f64() * 1000.0
                );
                if let Some(id) = handler.take() {
                    clock.disconnect(id);
                }
            }
        ));
        handler.set(Some(id));
        self.root.queue_draw();
    }

    /// Asks for the current photo, then the ones ahead, and forgets those far away.
    fn load_around(&mut self) {
        let mut wanted: Vec<(i64, std::path::PathBuf, Priority)> = Vec::new();
        if let Some(current) = self.session.current() {
            wanted.push((current.id, current.path.clone(), Priority::Now));
        }
        for photo in self.session.neighbours(AHEAD) {
            wanted.push((photo.id, photo.path.clone(), Priority::Ahead));
        }
        let keep: std::collections::HashSet<i64> = wanted.iter().map(|(id, ..)| *id).collect();
        self.textures.retain(|id| keep.contains(id));
        self.loader.retain(|id| keep.contains(id));
        for (id, path, priority) in wanted {
            // Asked again, a photo still queued moves to its new priority.
            if !self.textures.contains(&id) {
                self.loader
                    .load(id, Source::File(path), Fit::Within(MAX_SIDE), priority);
            }
        }
    }

    fn current_texture(&self) -> Option<&gdk::Texture> {
        self.session
            .current()
            .and_then(|p| self.textures.peek(&p.id))
    }

    fn position_text(&self) -> String {
        if self.session.is_empty() {
            return String::new();
        }
        let shown = (self.session.position() + 1).min(self.session.len());
        fill(
            &gettext("{position} of {total} · {remaining} left"),
            &[
                ("position", &shown),
                ("total", &self.session.len()),
                ("remaining", &self.session.remaining()),
            ],
        )
    }

    fn counts_text(&self) -> String {
        let counts = self.session.counts();
        fill(
            &gettext("Bad {bad} · Medium {medium} · Good {good}"),
            &[
                ("bad", &counts.bad),
                ("medium", &counts.medium),
                ("good", &counts.good),
            ],
        )
    }

    fn file_name(&self) -> String {
        self.session
            .current()
            .and_then(|p| p.path.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn placeholder_icon(&self) -> &'static str {
        if self.session.is_finished() {
            "object-select-symbolic"
        } else if self.current_failure().is_some() {
            "image-missing-symbolic"
        } else {
            "image-loading-symbolic"
        }
    }

    fn current_failure(&self) -> Option<&PictureError> {
        self.session
            .current()
            .and_then(|p| self.textures.failure(&p.id))
    }

    fn placeholder_title(&self) -> String {
        if self.session.is_finished() {
            gettext("All Photos Seen")
        } else if self.current_failure().is_some() {
            gettext("This Photo Cannot Be Shown")
        } else {
            gettext("Loading…")
        }
    }

    fn placeholder_description(&self) -> String {
        if self.session.is_finished() {
            gettext("Press Esc to go back and train the model, or ← to review your labels.")
        } else if let Some(reason) = self.current_failure() {
            fill(
                &gettext("{reason} Press Space to skip it."),
                &[("reason", reason)],
            )
        } else {
            String::new()
        }
    }
}

/// The message a key press means in the labeling view.
fn message_for(key: gdk::Key, modifiers: gdk::ModifierType) -> Option<LabelingMsg> {
    let control = modifiers.contains(gdk::ModifierType::CONTROL_MASK);
    if control {
        return (key == gdk::Key::z || key == gdk::Key::Z).then_some(LabelingMsg::Undo);
    }
    Some(match key {
        gdk::Key::_1 | gdk::Key::KP_1 => LabelingMsg::Label(Quality::Bad),
        gdk::Key::_2 | gdk::Key::KP_2 => LabelingMsg::Label(Quality::Medium),
        gdk::Key::_3 | gdk::Key::KP_3 => LabelingMsg::Label(Quality::Good),
        gdk::Key::space => LabelingMsg::Skip,
        gdk::Key::BackSpace => LabelingMsg::Undo,
        gdk::Key::Left => LabelingMsg::Back,
        gdk::Key::Right => LabelingMsg::Forward,
        gdk::Key::Escape => LabelingMsg::Leave,
        _ => return None,
    })
}
