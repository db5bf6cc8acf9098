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

/// Replaces the named placeholders of a translated string, such as `{count}` or `{path}`, with
/// their values. Translators can move the placeholders and use one more than once; a name that
/// `values` does not list is left as it is.
///
/// ```ignore
/// fill(&gettext("{count} of {total} comics"), &[("count", &n), ("total", &t)])
/// ```
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (close, value))
        });
        match value {
            Some((close, value)) => {
                out.push_str(&value.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Longest piece of a person's input (a label, a path, a value) a message or a JSON answer
/// repeats, in characters: enough to recognise it, never megabytes of it.
pub const ECHOED_CHARS: usize = 300;

/// `text` as a message repeats it: cut after [`ECHOED_CHARS`] characters, with "…".
pub fn echoed(text: &str) -> String {
    shortened(text, ECHOED_CHARS)
}

/// `text` cut after `max_chars` characters, with "…" where it was cut.
pub fn shortened(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fill_replaces_named_placeholders() {
        assert_eq!(
            fill("{count} of {total}", &[("count", &3), ("total", &10)]),
            "3 of 10"
        );
        assert_eq!(fill("no placeholder", &[("count", &1)]), "no placeholder");
    }

    #[test]
    fn fill_follows_the_order_of_the_translation() {
        let values: &[(&str, &dyn std::fmt::Display)] = &[("count", &3), ("total", &10)];
        assert_eq!(fill("{count} of {total}", values), "3 of 10");
        assert_eq!(fill("de {total}, {count}", values), "de 10, 3");
    }

    #[test]
    fn fill_repeats_a_placeholder_used_twice() {
        assert_eq!(
            fill("{size}×{size} pixels", &[("size", &224)]),
            "224×224 pixels"
        );
    }

    #[test]
    fn fill_leaves_unknown_names_and_stray_braces() {
        assert_eq!(
            fill("{count} and {other}", &[("count", &"one")]),
            "one and {other}"
        );
        assert_eq!(fill("{} {", &[("count", &1)]), "{} {");
        assert_eq!(fill("{{count}}", &[("count", &1)]), "{1}");
    }

    #[test]
    fn fill_does_not_fill_inside_values() {
        assert_eq!(
            fill(
                "{path}: {error}",
                &[("path", &"{error}"), ("error", &"gone")]
            ),
            "{error}: gone"
        );
    }
}
