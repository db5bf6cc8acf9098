//! One cover tile of the grid: its widgets (the cover with its badge and score, the title),
//! its menu (Find Similar Covers, and on the duplicates shelf the copy's details), what a screen
//! reader says of it, and the factory that builds, binds and recycles tiles as they scroll.

use std::cell::RefCell;
use std::rc::Rc;

use relm4::gtk::{self, gio, glib, prelude::*};

use super::super::covers::{COVER_HEIGHT, COVER_WIDTH, CoverLoader};
use super::{Bound, FIND_SIMILAR_KEY, Filtering, Tile};
use crate::i18n::{fill, gettext};

/// The widgets of one tile: a cover with a badge over it, and a title under it.
pub(super) struct TileWidgets {
    pub(super) frame: gtk::Overlay,
    pub(super) picture: gtk::Picture,
    pub(super) badge: gtk::Label,
    /// The similarity during a search by content.
    pub(super) score: gtk::Label,
    pub(super) title: gtk::Label,
}

impl TileWidgets {
    pub(super) fn build() -> (gtk::Box, Self) {
        let placeholder = gtk::Image::builder()
            .icon_name("image-x-generic-symbolic")
            .pixel_size(48)
            .css_classes(["dim-label"])
            .build();
        let picture = gtk::Picture::builder()
            .content_fit(gtk::ContentFit::Cover)
            .can_shrink(true)
            .build();
        let badge = gtk::Label::builder()
            .halign(gtk::Align::End)
            .valign(gtk::Align::Start)
            .css_classes(["cover-badge"])
            .visible(false)
            .build();
        let frame = gtk::Overlay::builder()
            .width_request(COVER_WIDTH)
            .height_request(COVER_HEIGHT)
            .halign(gtk::Align::Center)
            .overflow(gtk::Overflow::Hidden)
            .css_classes(["cover-frame"])
            .child(&placeholder)
            .build();
        // A copy's note on the duplicates shelf can be longer than the cover is wide: it wraps.
        let score = gtk::Label::builder()
            .halign(gtk::Align::Start)
            .valign(gtk::Align::End)
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::Word)
            .max_width_chars(14)
            .css_classes(["cover-badge", "similarity", "numeric"])
            .visible(false)
            .build();
        frame.add_overlay(&picture);
        frame.add_overlay(&badge);
        frame.add_overlay(&score);
        let title = gtk::Label::builder()
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .lines(2)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .justify(gtk::Justification::Center)
            .max_width_chars(1)
            .width_request(COVER_WIDTH)
            .build();
        let tile = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .css_classes(["cover-tile"])
            .build();
        tile.append(&frame);
        tile.append(&title);
        (
            tile,
            Self {
                frame,
                picture,
                badge,
                score,
                title,
            },
        )
    }

    /// The widgets of a tile made by [`Self::build`], found again from its root.
    pub(super) fn of(tile: &gtk::Widget) -> Option<Self> {
        let frame = tile.first_child()?.downcast::<gtk::Overlay>().ok()?;
        let title = frame.next_sibling()?.downcast::<gtk::Label>().ok()?;
        let picture = frame.first_child()?.next_sibling()?;
        let badge = picture.next_sibling()?.downcast::<gtk::Label>().ok()?;
        let score = badge.next_sibling()?.downcast::<gtk::Label>().ok()?;
        let picture = picture.downcast::<gtk::Picture>().ok()?;
        Some(Self {
            frame,
            picture,
            badge,
            score,
            title,
        })
    }

    pub(super) fn show_note(&self, note: Option<(String, String)>) {
        match note {
            Some((text, tooltip)) => {
                self.score.set_label(&text);
                self.score.set_tooltip_text(Some(&tooltip));
                self.score.set_visible(true);
            }
            None => self.score.set_visible(false),
        }
    }

    pub(super) fn show(&self, tile: &Tile) {
        self.title.set_label(&tile.title);
        self.frame.set_tooltip_text(Some(&tile.path));
        let badge = if tile.classified {
            Some((gettext("Classified"), "classified", "to-review"))
        } else if tile.to_review {
            Some((gettext("To Review"), "to-review", "classified"))
        } else {
            None
        };
        match badge {
            Some((text, class, other)) => {
                self.badge.set_label(&text);
                self.badge.remove_css_class(other);
                self.badge.add_css_class(class);
                self.badge.set_visible(true);
            }
            None => self.badge.set_visible(false),
        }
    }
}

/// The tile's menu, on a right click, a long press or the Menu key: "Find Similar Covers".
fn add_menu(tile: &gtk::Box, item: &gtk::ListItem, find_similar: &Rc<dyn Fn(i32)>) {
    let item = item.downgrade();
    let find_similar = Rc::clone(find_similar);
    let open = glib::clone!(
        #[weak]
        tile,
        move |x: f64, y: f64| {
            let Some(id) = item
                .upgrade()
                .and_then(|item| item.item())
                .and_downcast::<glib::BoxedAnyObject>()
                .map(|object| object.borrow::<Tile>().id)
            else {
                return;
            };
            let label = gtk::Label::builder()
                .label(gettext("Find _Similar Covers"))
                .use_underline(true)
                .xalign(0.0)
                .hexpand(true)
                .build();
            let accel = gtk::Label::new(
                gtk::accelerator_parse(FIND_SIMILAR_KEY)
                    .map(|(key, modifiers)| gtk::accelerator_get_label(key, modifiers))
                    .as_deref(),
            );
            accel.add_css_class("dim-label");
            let row = gtk::Box::builder().spacing(24).build();
            row.append(&label);
            row.append(&accel);
            let button = gtk::Button::builder()
                .child(&row)
                .css_classes(["flat"])
                .build();
            let popover = gtk::Popover::builder()
                .child(&button)
                .has_arrow(false)
                .pointing_to(&gtk::gdk::Rectangle::new(x as i32, y as i32, 1, 1))
                .css_classes(["menu"])
                .build();
            popover.set_parent(&tile);
            let find_similar = Rc::clone(&find_similar);
            button.connect_clicked(glib::clone!(
                #[weak]
                popover,
                move |_| {
                    popover.popdown();
                    find_similar(id);
                }
            ));
            popover.connect_closed(|popover| {
                let popover = popover.clone();
                glib::idle_add_local_once(move || popover.unparent());
            });
            popover.popup();
        }
    );
    // The Menu key and Shift+F10 on the focused tile open it too (see CoverGrid::new).
    let menu = gio::SimpleAction::new("menu", None);
    let on_key = open.clone();
    menu.connect_activate(glib::clone!(
        #[weak]
        tile,
        move |_, _| on_key(
            f64::from(tile.width()) / 2.0,
            f64::from(tile.height()) / 2.0
        )
    ));
    let actions = gio::SimpleActionGroup::new();
    actions.add_action(&menu);
    tile.insert_action_group("tile", Some(&actions));
    let click = gtk::GestureClick::builder().button(3).build();
    let on_click = open.clone();
    click.connect_pressed(move |_, _, x, y| on_click(x, y));
    tile.add_controller(click);
    let press = gtk::GestureLongPress::new();
    press.set_touch_only(true);
    press.connect_pressed(move |_, x, y| open(x, y));
    tile.add_controller(press);
}

/// What a screen reader says for a cover tile: its title, and whether it is classified or
/// waits for review. GTK 4.8 names the grid's cells by their type unless told.
fn name_cell(item: &glib::Object, tile: &Tile) {
    let Some(cell) = item
        .downcast_ref::<gtk::ListItem>()
        .and_then(|item| item.child())
    else {
        return;
    };
    let state = if tile.classified {
        gettext("classified")
    } else if tile.to_review {
        gettext("to review")
    } else {
        gettext("unclassified")
    };
    let text = fill(
        &gettext("{title}, {state}"),
        &[("title", &tile.title), ("state", &state)],
    );
    crate::ui::accessible::name(&cell, &text);
    if let Some(parent) = cell.parent() {
        crate::ui::accessible::name(&parent, &text);
    }
}

fn list_parts(item: &glib::Object) -> Option<(TileWidgets, Option<glib::BoxedAnyObject>)> {
    let item = item.downcast_ref::<gtk::ListItem>()?;
    let widgets = TileWidgets::of(&item.child()?)?;
    Some((widgets, item.item().and_downcast::<glib::BoxedAnyObject>()))
}

pub(super) fn factory(
    loader: &CoverLoader,
    bound: &Bound,
    filtering: &Rc<RefCell<Filtering>>,
    find_similar: &Rc<dyn Fn(i32)>,
) -> gtk::SignalListItemFactory {
    let factory = gtk::SignalListItemFactory::new();
    let find_similar = Rc::clone(find_similar);
    factory.connect_setup(move |_, item| {
        if let Some(item) = item.downcast_ref::<gtk::ListItem>() {
            let (tile, _) = TileWidgets::build();
            add_menu(&tile, item, &find_similar);
            item.set_child(Some(&tile));
        }
    });
    factory.connect_bind(glib::clone!(
        #[strong]
        loader,
        #[strong]
        bound,
        #[strong]
        filtering,
        move |_, item| {
            if let Some((widgets, Some(object))) = list_parts(item) {
                let tile = object.borrow::<Tile>();
                widgets.show(&tile);
                name_cell(item, &tile);
                widgets.show_note(filtering.borrow().note(tile.id));
                loader.show(&widgets.picture, tile.id, &tile.path);
                bound.borrow_mut().insert(tile.id, widgets);
            }
        }
    ));
    factory.connect_unbind(glib::clone!(
        #[strong]
        loader,
        #[strong]
        bound,
        move |_, item| {
            if let Some((widgets, Some(object))) = list_parts(item) {
                let id = object.borrow::<Tile>().id;
                loader.release(&widgets.picture, id);
                let mut bound = bound.borrow_mut();
                if bound
                    .get(&id)
                    .is_some_and(|shown| shown.picture == widgets.picture)
                {
                    bound.remove(&id);
                }
            }
        }
    ));
    factory
}
