//! Every user-facing string is in the template and has a complete Spanish translation.

use std::collections::BTreeMap;
use std::process::Command;

/// (context, msgid, plural) → translations, read from a .po or .pot file.
type Catalog = BTreeMap<(String, String, String), Vec<String>>;

fn unquote(line: &str) -> String {
    let inner = line.trim();
    let inner = &inner[1..inner.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse(text: &str) -> (Catalog, Vec<String>) {
    let mut catalog = Catalog::new();
    let mut fuzzy = Vec::new();
    for block in text.split("\n\n") {
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        let mut current = String::new();
        let mut is_fuzzy = false;
        for line in block.lines() {
            if line.starts_with("#,") && line.contains("fuzzy") {
                is_fuzzy = true;
            } else if line.starts_with('#') {
                continue;
            } else if line.starts_with('"') {
                fields
                    .entry(current.clone())
                    .or_default()
                    .push_str(&unquote(line));
            } else if let Some((key, value)) = line.split_once(' ') {
                current = key.to_owned();
                fields.insert(current.clone(), unquote(value));
            }
        }
        let Some(msgid) = fields.get("msgid").cloned() else {
            continue;
        };
        if msgid.is_empty() {
            continue;
        }
        let key = (
            fields.get("msgctxt").cloned().unwrap_or_default(),
            msgid,
            fields.get("msgid_plural").cloned().unwrap_or_default(),
        );
        if is_fuzzy {
            fuzzy.push(key.1.clone());
        }
        let translations = fields
            .iter()
            .filter(|(k, _)| k.starts_with("msgstr"))
            .map(|(_, v)| v.clone())
            .collect();
        catalog.insert(key, translations);
    }
    (catalog, fuzzy)
}

/// The `{name}` placeholders of a string, sorted, each as often as it appears.
fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            names.push(name);
            rest = &rest[close + 1..];
        }
    }
    names.sort_unstable();
    names
}

#[test]
fn the_template_is_up_to_date_with_the_sources() {
    let output = Command::new("po/xgettext.sh")
        .output()
        .expect("run po/xgettext.sh");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (fresh, _) = parse(&String::from_utf8_lossy(&output.stdout));
    let (committed, _) = parse(&std::fs::read_to_string("po/vistazo.pot").unwrap());
    let fresh_ids: Vec<_> = fresh.keys().collect();
    let committed_ids: Vec<_> = committed.keys().collect();
    assert_eq!(
        fresh_ids, committed_ids,
        "po/vistazo.pot is stale: run `make -C po update` and translate what is new"
    );
    assert!(fresh.len() > 50, "the template lost its strings");
}

#[test]
fn strings_have_no_line_continuation_spaces() {
    let (template, _) = parse(&std::fs::read_to_string("po/vistazo.pot").unwrap());
    for (_, msgid, _) in template.keys() {
        assert!(
            !msgid.contains("  "),
            "a translatable string was split with a line continuation: {msgid:?}"
        );
    }
}

#[test]
fn spanish_translates_every_string_with_the_same_placeholders() {
    let (template, _) = parse(&std::fs::read_to_string("po/vistazo.pot").unwrap());
    let (spanish, fuzzy) = parse(&std::fs::read_to_string("po/es.po").unwrap());
    assert!(fuzzy.is_empty(), "fuzzy entries in po/es.po: {fuzzy:?}");
    for key in template.keys() {
        let translations = spanish
            .get(key)
            .unwrap_or_else(|| panic!("po/es.po lacks {:?}", key.1));
        assert!(
            !translations.is_empty() && translations.iter().all(|t| !t.is_empty()),
            "untranslated in po/es.po: {:?}",
            key.1
        );
    }
    let output = Command::new("msgfmt")
        .args(["--check", "-o", "/dev/null", "po/es.po"])
        .output()
        .expect("run msgfmt");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn placeholders_are_named() {
    let (template, _) = parse(&std::fs::read_to_string("po/vistazo.pot").unwrap());
    for (_, msgid, plural) in template.keys() {
        for text in [msgid, plural] {
            assert!(
                !text.contains("{}"),
                "a placeholder without a name, so translators cannot move it: {text:?}"
            );
        }
    }
}

#[test]
fn spanish_keeps_the_placeholders_of_each_string() {
    let (spanish, _) = parse(&std::fs::read_to_string("po/es.po").unwrap());
    assert!(spanish.len() > 50, "po/es.po lost its strings");
    for ((_, msgid, plural), translations) in &spanish {
        assert!(!msgid.contains("{}"), "unnamed placeholder in {msgid:?}");
        // msgstr[0] is the singular; every other form follows the plural.
        for (index, translation) in translations.iter().enumerate() {
            let english = if index > 0 && !plural.is_empty() {
                plural
            } else {
                msgid
            };
            assert_eq!(
                placeholders(english),
                placeholders(translation),
                "placeholders differ between {english:?} and its translation {translation:?}"
            );
        }
    }
}

#[test]
fn every_language_is_listed_and_has_a_catalog() {
    let linguas = std::fs::read_to_string("po/LINGUAS").unwrap();
    let languages: Vec<&str> = linguas.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(languages.contains(&"es"));
    for lang in languages {
        assert!(
            std::path::Path::new(&format!("po/{lang}.po")).exists(),
            "{lang}"
        );
    }
}

#[test]
fn every_source_file_with_strings_is_in_potfiles() {
    let listed = std::fs::read_to_string("po/POTFILES").unwrap();
    let listed: Vec<&str> = listed.lines().collect();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.to_string_lossy().into_owned();
                if text.contains("gettext(") && !name.ends_with("src/i18n.rs") {
                    assert!(
                        listed.contains(&name.as_str()),
                        "{name} is missing from po/POTFILES"
                    );
                }
            }
        }
    }
}
