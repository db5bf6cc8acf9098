//! The desktop file, metainfo, GSettings schema and icons pass the platform's validators, also
//! once translated the way an install translates them, and the metainfo has what a software
//! centre shows, with screenshots kept in the repository.

use std::path::Path;
use std::process::Command;

const ID: &str = "io.github.vistazo.Vistazo";

fn check(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (make test installs it)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

#[test]
fn the_translated_desktop_file_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let desktop = dir.path().join(format!("{ID}.desktop"));
    check(
        Command::new("msgfmt")
            .args(["--desktop", "-d", "po", "--template"])
            .arg(format!("data/{ID}.desktop.in"))
            .arg("-o")
            .arg(&desktop),
    );
    check(Command::new("desktop-file-validate").arg(&desktop));
    let text = std::fs::read_to_string(&desktop).unwrap();
    assert!(text.contains("Comment[es]="), "{text}");
    assert!(text.contains(&format!("Icon={ID}\n")), "{text}");
}

#[test]
fn the_translated_metainfo_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let metainfo = dir.path().join(format!("{ID}.metainfo.xml"));
    check(
        Command::new("msgfmt")
            .args(["--xml", "-d", "po", "--template"])
            .arg(format!("data/{ID}.metainfo.xml.in"))
            .arg("-o")
            .arg(&metainfo),
    );
    let report = check(
        Command::new("appstreamcli")
            .args(["validate", "--no-net"])
            .arg(&metainfo),
    );
    assert!(!report.contains("W:") && !report.contains("E:"), "{report}");
    let text = std::fs::read_to_string(&metainfo).unwrap();
    assert!(text.contains(r#"<summary xml:lang="es">"#), "{text}");
}

#[test]
fn the_settings_schema_compiles_strictly() {
    check(Command::new("glib-compile-schemas").args(["--strict", "--dry-run", "data"]));
}

#[test]
fn the_app_icons_exist_as_svg() {
    for icon in [
        format!("data/icons/hicolor/scalable/apps/{ID}.svg"),
        format!("data/icons/hicolor/symbolic/apps/{ID}-symbolic.svg"),
    ] {
        let text =
            std::fs::read_to_string(Path::new(&icon)).unwrap_or_else(|e| panic!("{icon}: {e}"));
        assert!(text.contains("<svg") && text.contains("viewBox"), "{icon}");
    }
}

/// The width and height in a PNG file's header.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let header = bytes.get(..24)?;
    if &header[..8] != b"\x89PNG\r\n\x1a\n" || &header[12..16] != b"IHDR" {
        return None;
    }
    let number = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    Some((number(16), number(20)))
}

#[test]
fn the_metainfo_shows_the_screenshots_kept_in_the_repository() {
    let template = std::fs::read_to_string(format!("data/{ID}.metainfo.xml.in")).unwrap();
    let repository = "https://raw.githubusercontent.com/vistazo/vistazo/main/";
    let images: Vec<&str> = template
        .split("<image ")
        .skip(1)
        .map(|rest| {
            let url = &rest[rest.find('>').unwrap() + 1..rest.find("</image>").unwrap()];
            assert!(rest.contains(r#"width="1280" height="800""#), "{rest}");
            url.strip_prefix(repository)
                .unwrap_or_else(|| panic!("{url} is not a file of the repository"))
        })
        .collect();
    assert_eq!(
        images,
        [
            "data/screenshots/comics.png",
            "data/screenshots/interiors.png",
            "data/screenshots/labeling.png"
        ]
    );
    for image in images {
        let bytes = std::fs::read(image).unwrap_or_else(|e| panic!("{image}: {e}"));
        assert_eq!(png_size(&bytes), Some((1280, 800)), "{image}");
        assert!(
            bytes.len() < 300_000,
            "{image} is {} bytes: optimise it",
            bytes.len()
        );
    }
}

#[test]
fn the_translated_metainfo_has_what_a_software_centre_shows() {
    let dir = tempfile::tempdir().unwrap();
    let metainfo = dir.path().join(format!("{ID}.metainfo.xml"));
    check(
        Command::new("msgfmt")
            .args(["--xml", "-d", "po", "--template"])
            .arg(format!("data/{ID}.metainfo.xml.in"))
            .arg("-o")
            .arg(&metainfo),
    );
    let text = std::fs::read_to_string(&metainfo).unwrap();
    let count = |needle: &str| text.matches(needle).count();
    assert_eq!(count("<caption>"), 3, "{text}");
    assert_eq!(count(r#"<caption xml:lang="es">"#), 3, "{text}");
    assert!(
        text.contains(r#"<release version="0.1.0" date="2026-11-22">"#),
        "{text}"
    );
    assert!(
        text.contains(r#"<content_rating type="oars-1.1""#),
        "{text}"
    );
    assert!(text.contains("<control>keyboard</control>"), "{text}");
    assert!(text.contains("<control>pointing</control>"), "{text}");
    assert!(count("<li xml:lang=\"es\">") >= 3, "{text}");
}

#[test]
fn the_threshold_setting_has_the_range_and_default_of_the_threshold_the_core_applies_by() {
    use vistazo::matching::Threshold;
    let schema = std::fs::read_to_string("data/io.github.vistazo.Vistazo.gschema.xml")
        .expect("the settings schema");
    let key = schema
        .split("<key name=\"default-threshold\"")
        .nth(1)
        .and_then(|rest| rest.split("</key>").next())
        .expect("the default-threshold key");
    assert!(
        key.contains(&format!(
            "<range min=\"{}\" max=\"{}\"/>",
            Threshold::MIN,
            Threshold::MAX
        )),
        "{key}"
    );
    assert!(
        key.contains(&format!("<default>{}</default>", Threshold::DEFAULT)),
        "{key}"
    );
    // The command line takes the same range.
    assert_eq!(Threshold::parse("0.75").map(Threshold::value), Ok(0.75));
    assert!(Threshold::parse("0.3").is_err());
    assert!(Threshold::parse("1").is_err());
    assert_eq!(Threshold::clamped(2.0).value(), Threshold::MAX);
    assert_eq!(Threshold::clamped(f64::NAN).value(), Threshold::DEFAULT);
}
