//! The Interiors page's file dialogs: the folder to import photos from, and the folder to
//! export the charts to. Each stays open until answered.

use relm4::gtk::{self, prelude::*};
use relm4::prelude::*;

use super::{InteriorsMsg, InteriorsPage};
use crate::i18n::gettext;

pub fn choose_folder(sender: &ComponentSender<InteriorsPage>) {
    let window = relm4::main_application().active_window();
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Import Photos From a Folder")),
        window.as_ref(),
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Import")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let sender = sender.clone();
    crate::ui::show_until_answered(chooser, move |chooser, response| {
        if response == gtk::ResponseType::Accept
            && let Some(path) = chooser.file().and_then(|file| file.path())
        {
            sender.input(InteriorsMsg::Import(vec![path]));
        }
    });
}

pub fn choose_export_folder(sender: &ComponentSender<InteriorsPage>) {
    let window = relm4::main_application().active_window();
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Export the Charts to a Folder")),
        window.as_ref(),
        gtk::FileChooserAction::SelectFolder,
        Some(&gettext("_Export")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let sender = sender.clone();
    crate::ui::show_until_answered(chooser, move |chooser, response| {
        if response == gtk::ResponseType::Accept
            && let Some(path) = chooser.file().and_then(|file| file.path())
        {
            sender.input(InteriorsMsg::ExportCharts(path));
        }
    });
}
