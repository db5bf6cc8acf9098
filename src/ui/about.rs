//! The About window.

use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use crate::config;
use crate::i18n::gettext;

pub fn present(parent: &impl IsA<gtk::Window>) {
    let about = adw::AboutWindow::builder()
        .transient_for(parent)
        .modal(true)
        .application_name("Vistazo")
        .application_icon(config::APP_ID)
        .developer_name(gettext("The Vistazo developers"))
        .version(config::VERSION)
        .comments(gettext(
            "Matches your comics to their catalog issues by their covers, and scores photos of interiors, with a CLIP model that runs on your computer.",
        ))
        .website("https://github.com/vistazo/vistazo")
        .issue_url("https://github.com/vistazo/vistazo/issues")
        .license_type(gtk::License::Gpl30)
        .build();
    // Translators: replace "translator-credits" with your names, one name per line.
    let translators = gettext("translator-credits");
    if translators != "translator-credits" {
        about.set_translator_credits(&translators);
    }
    about.add_credit_section(
        Some(&gettext("Built on")),
        &["libtorch", "GTK", "libadwaita", "Relm4", "SQLite"],
    );
    about.present();
}
