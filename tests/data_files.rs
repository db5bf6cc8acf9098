//! The desktop file, metainfo, GSettings schema and icons pass the platform's validators, also
//! once translated the way an install translates them.

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
