//! Translations through gettext. Strings are written in English in the code and looked up in
//! the message catalog of the user's locale at run time.

use gettextrs::{LocaleCategory, bind_textdomain_codeset, bindtextdomain, setlocale, textdomain};

use crate::config;

pub use gettextrs::{gettext, ngettext, pgettext};

/// Sets the locale from the environment and binds Vistazo's message catalog.
///
/// Call once at start-up, before any thread is spawned: `setlocale` is not thread-safe.
pub fn init() {
    // SAFETY: called from `main` before any other thread starts, as the function requires.
    unsafe {
        setlocale(LocaleCategory::LcAll, "");
    }
    let dir = config::locale_dir();
    if let Err(error) = bindtextdomain(config::GETTEXT_PACKAGE, &dir) {
        tracing::warn!("cannot bind translations in {}: {error}", dir.display());
    }
    if let Err(error) = bind_textdomain_codeset(config::GETTEXT_PACKAGE, "UTF-8") {
        tracing::warn!("cannot set the translation codeset: {error}");
    }
    if let Err(error) = textdomain(config::GETTEXT_PACKAGE) {
        tracing::warn!("cannot select the translation domain: {error}");
    }
}

/// Replaces `{}` placeholders in a translated string, in order. Translators can move the
/// placeholders; the values keep their order.
pub fn fill(template: &str, values: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut values = values.iter();
    let mut rest = template;
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        match values.next() {
            Some(value) => out.push_str(&value.to_string()),
            None => out.push_str("{}"),
        }
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fill_replaces_placeholders_in_order() {
        assert_eq!(fill("{} of {}", &[&3, &10]), "3 of 10");
        assert_eq!(fill("no placeholder", &[&1]), "no placeholder");
        assert_eq!(fill("{} and {}", &[&"one"]), "one and {}");
    }
}
