//! Names for screen readers. GTK 4.8 names a widget without an accessible name by its type,
//! so Orca says "GtkToggleButton"; and a button with a mnemonic is read twice ("_Add Folder…
//! Add Folder…"). [`name_controls`] gives every button, toggle, menu button and search entry
//! under a widget the name a sighted person reads on it (its label without the mnemonic
//! underline, else its tooltip, else its placeholder; a progress bar "Progress"); [`name`]
//! sets one explicitly where the visible text is not enough (sliders, progress bars, pictures).
//! [`present`] shows a dialog with its buttons so named. [`focus_toast_button`] lets a
//! toast's button take the focus, saying the toast with it.
//! [`one_tab_stop`] makes a grid of many items one stop for Tab, as GNOME's grids are.

use relm4::adw;
use relm4::gtk::{self, glib, prelude::*};

use crate::i18n::gettext;

/// Sets the name a screen reader says for `widget`.
pub fn name(widget: &impl IsA<gtk::Widget>, text: &str) {
    set_property(
        widget.as_ref(),
        gtk::ffi::GTK_ACCESSIBLE_PROPERTY_LABEL,
        text,
    );
}

/// Sets what a screen reader says about `widget` after its name: what a picture shows.
pub fn describe(widget: &impl IsA<gtk::Widget>, text: &str) {
    set_property(
        widget.as_ref(),
        gtk::ffi::GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
        text,
    );
}

// GTK has had this function since 4.0; the Rust binding offers it only from 4.10 on, and
// Debian 12 has 4.8.
unsafe extern "C" {
    fn gtk_accessible_reset_property(
        accessible: *mut gtk::ffi::GtkAccessible,
        property: gtk::ffi::GtkAccessibleProperty,
    );
    fn gtk_accessible_update_property_value(
        accessible: *mut gtk::ffi::GtkAccessible,
        n_properties: std::ffi::c_int,
        properties: *mut gtk::ffi::GtkAccessibleProperty,
        values: *const glib::gobject_ffi::GValue,
    );
}

fn set_property(widget: &gtk::Widget, property: gtk::ffi::GtkAccessibleProperty, text: &str) {
    use glib::translate::ToGlibPtr;
    let value = text.to_value();
    let mut properties = [property];
    let accessible: *mut gtk::ffi::GtkWidget = widget.to_glib_none().0;
    // SAFETY: every GtkWidget implements GtkAccessible; one property, one GValue holding a
    // string, as the function expects for LABEL and DESCRIPTION; both outlive the call.
    unsafe {
        gtk_accessible_update_property_value(
            accessible.cast::<gtk::ffi::GtkAccessible>(),
            1,
            properties.as_mut_ptr(),
            value.to_glib_none().0,
        );
    }
}

/// Names every control under `root` (itself included) from what it shows: a button's label
/// without its underline, else its tooltip; a search entry's placeholder. Run it once a
/// view's controls exist.
pub fn name_controls(root: &impl IsA<gtk::Widget>) {
    let root = root.as_ref();
    if has_mnemonic_label(root) {
        // GTK keeps the label with its underline as the name and adds the label's own text
        // after it ("_Add Folder… Add Folder…"): the label's text alone is the name.
        reset_label(root);
    } else if let Some(text) = visible_name(root) {
        name(root, &text);
    }
    let mut child = root.first_child();
    while let Some(widget) = child {
        name_controls(&widget);
        child = widget.next_sibling();
    }
}

/// Shows `dialog`, its buttons named as they read: a message dialog's responses have
/// mnemonics, which GTK would read twice ("_Apply Apply").
pub fn present(dialog: &impl IsA<gtk::Window>) {
    let window: &gtk::Window = dialog.as_ref();
    name_controls(window);
    dialog.present();
}

/// Puts the focus on the button of `toast`, shown in `overlay`, named by its label and
/// described by the toast's title, so a screen reader says both; when the toast goes away with
/// the focus in it, the focus goes to `after`. libadwaita 1.2 gives a toast no way to take the
/// focus and no alert role. Returns false, changing nothing, when the toast is not on screen
/// (another one was shown first) or has no button.
pub fn focus_toast_button(
    overlay: &adw::ToastOverlay,
    toast: &adw::Toast,
    after: &impl IsA<gtk::Widget>,
) -> bool {
    let Some(label) = toast.button_label() else {
        return false;
    };
    let Some((button, shown)) = descendants(overlay.upcast_ref())
        .into_iter()
        .filter_map(|widget| widget.downcast::<gtk::Button>().ok())
        .filter(|button| button.label().as_deref() == Some(label.as_str()))
        .find_map(|button| toast_of(button.upcast_ref()).map(|shown| (button, shown)))
    else {
        return false;
    };
    reset_label(button.upcast_ref());
    if let Some(text) = toast_text(toast) {
        describe(&button, &text);
    }
    button.grab_focus();
    let after = after.as_ref().downgrade();
    let shown = shown.downgrade();
    toast.connect_dismissed(move |_| {
        let (Some(after), Some(shown)) = (after.upgrade(), shown.upgrade()) else {
            return;
        };
        let focus = after.root().and_then(|root| root.focus());
        if focus.is_none_or(|focus| focus == shown || focus.is_ancestor(&shown)) {
            after.grab_focus();
        }
    });
    true
}

/// What `toast` says, as a screen reader should say it: the text a sighted person reads, not
/// the Pango markup of its title ("&amp;" for "&").
pub fn toast_text(toast: &adw::Toast) -> Option<String> {
    toast.title().map(|title| plain_text(&title))
}

/// The text of Pango `markup`; markup that does not parse is its own text.
fn plain_text(markup: &str) -> String {
    gtk::pango::parse_markup(markup, '\0')
        .map_or_else(|_| markup.to_owned(), |(_, text, _)| text.to_string())
}

/// The toast a widget is part of: libadwaita's toast widget, named "toast" in CSS.
fn toast_of(widget: &gtk::Widget) -> Option<gtk::Widget> {
    let mut ancestor = widget.parent();
    while let Some(widget) = ancestor {
        if widget.css_name() == "toast" {
            return Some(widget);
        }
        ancestor = widget.parent();
    }
    None
}

/// `root` and every widget under it.
fn descendants(root: &gtk::Widget) -> Vec<gtk::Widget> {
    let mut all = vec![root.clone()];
    let mut next = 0;
    while let Some(widget) = all.get(next).cloned() {
        let mut child = widget.first_child();
        while let Some(found) = child {
            child = found.next_sibling();
            all.push(found);
        }
        next += 1;
    }
    all
}

/// Whether `widget` is a button whose label has a mnemonic underline.
fn has_mnemonic_label(widget: &gtk::Widget) -> bool {
    let underlined = |label: Option<glib::GString>, underline: bool| {
        underline && label.is_some_and(|label| label.contains('_'))
    };
    if let Some(button) = widget.downcast_ref::<gtk::MenuButton>() {
        return underlined(button.label(), button.uses_underline());
    }
    if let Some(button) = widget.downcast_ref::<gtk::Button>() {
        return underlined(button.label(), button.uses_underline())
            || button
                .child()
                .and_then(|child| child.downcast::<adw::ButtonContent>().ok())
                .is_some_and(|content| {
                    underlined(Some(content.label()), content.uses_underline())
                });
    }
    false
}

fn reset_label(widget: &gtk::Widget) {
    use glib::translate::ToGlibPtr;
    let accessible: *mut gtk::ffi::GtkWidget = widget.to_glib_none().0;
    // SAFETY: every GtkWidget implements GtkAccessible; LABEL is a property it may reset.
    unsafe {
        gtk_accessible_reset_property(
            accessible.cast::<gtk::ffi::GtkAccessible>(),
            gtk::ffi::GTK_ACCESSIBLE_PROPERTY_LABEL,
        );
    }
}

/// What a sighted person reads on a control, when it is one that needs a name.
fn visible_name(widget: &gtk::Widget) -> Option<String> {
    let plain = |text: &str, underline: bool| {
        let text = if underline {
            text.replace('_', "")
        } else {
            text.to_owned()
        };
        Some(text.trim().to_owned()).filter(|t| !t.is_empty())
    };
    let tooltip = || widget.tooltip_text().and_then(|t| plain(&t, false));
    if let Some(button) = widget.downcast_ref::<gtk::MenuButton>() {
        return button
            .label()
            .and_then(|l| plain(&l, button.uses_underline()))
            .or_else(tooltip);
    }
    if let Some(button) = widget.downcast_ref::<gtk::Button>() {
        // A toggle button is a button too.
        let label = button
            .label()
            .and_then(|l| plain(&l, button.uses_underline()))
            .or_else(|| {
                button
                    .child()
                    .and_then(|child| child.downcast::<gtk::Label>().ok())
                    .and_then(|label| plain(&label.label(), label.uses_underline()))
            })
            .or_else(|| {
                button
                    .child()
                    .and_then(|child| child.downcast::<adw::ButtonContent>().ok())
                    .and_then(|content| plain(&content.label(), content.uses_underline()))
            });
        // The button that opens a drop-down is named by the drop-down's tooltip.
        let dropdown = || {
            widget
                .ancestor(gtk::DropDown::static_type())
                .and_then(|dropdown| dropdown.tooltip_text())
                .and_then(|t| plain(&t, false))
        };
        return label.or_else(tooltip).or_else(dropdown);
    }
    if let Some(dropdown) = widget.downcast_ref::<gtk::DropDown>() {
        return dropdown.tooltip_text().and_then(|t| plain(&t, false));
    }
    if widget.is::<gtk::ProgressBar>() {
        if widget.has_css_class(crate::ui::progress::NAMED_BY_HEADING) {
            return None;
        }
        return tooltip().or_else(|| Some(gettext("Progress")));
    }
    if let Some(entry) = widget.downcast_ref::<gtk::SearchEntry>() {
        // libadwaita's own search entries (Preferences) have neither: "Search".
        return entry
            .placeholder_text()
            .and_then(|t| plain(&t, false))
            .or_else(tooltip)
            .or_else(|| Some(gettext("Search")));
    }
    None
}

/// Makes `grid` one Tab stop: the arrows move inside it, Tab and Shift+Tab leave it, and
/// coming back returns to the item that had the focus. GTK 4.8 stops at every item.
pub fn one_tab_stop(grid: &impl IsA<gtk::Widget>) {
    let keys = gtk::ShortcutController::new();
    for (pressed, direction) in [
        ("Tab", gtk::DirectionType::TabForward),
        (
            "<Shift>ISO_Left_Tab|<Shift>Tab",
            gtk::DirectionType::TabBackward,
        ),
    ] {
        let grid = grid.as_ref().downgrade();
        keys.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string(pressed),
            Some(gtk::CallbackAction::new(move |_, _| {
                let Some((grid, root)) = grid
                    .upgrade()
                    .and_then(|grid| grid.root().map(|root| (grid, root)))
                else {
                    return glib::Propagation::Proceed;
                };
                // Unable to take the focus for a moment, the grid is passed over.
                grid.set_can_focus(false);
                root.upcast_ref::<gtk::Widget>().child_focus(direction);
                grid.set_can_focus(true);
                glib::Propagation::Stop
            })),
        ));
    }
    grid.as_ref().add_controller(keys);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toast_is_said_as_it_reads_not_as_its_markup() {
        let title = crate::ui::markup("Tom & Jerry <1> · 2 applied");
        assert_eq!(title, "Tom &amp; Jerry &lt;1&gt; · 2 applied");
        assert_eq!(plain_text(&title), "Tom & Jerry <1> · 2 applied");
    }
}
