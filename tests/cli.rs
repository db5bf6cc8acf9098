//! The command line contract: version, usage errors, exit codes, translated help.

use std::process::{Command, Output};

fn vistazo(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vistazo"));
    command
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("RUST_LOG")
        // No running app to hand the window over to.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("run vistazo")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn version_names_the_app_libtorch_and_cuda() {
    let output = run(&mut vistazo(&["--version"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], format!("vistazo {}", env!("CARGO_PKG_VERSION")));
    assert!(lines[1].starts_with("libtorch 2.13.0"), "{text}");
    assert!(
        lines[2] == "CUDA: not available" || lines[2].starts_with("CUDA: available ("),
        "{text}"
    );
}

#[test]
fn bad_usage_exits_with_2() {
    for args in [
        &["--device", "tpu"][..],
        &["no-such-command"],
        &["gui", "--page", "settings"],
        &["--db"],
    ] {
        let output = run(&mut vistazo(args));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).starts_with("error:"), "{args:?}");
    }
}

#[test]
fn a_collection_file_is_for_the_app_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.db");
    std::fs::write(&file, b"").unwrap();
    let output = run(&mut vistazo(&[file.to_str().unwrap(), "scan", "/tmp"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("use --db"), "{}", stderr(&output));

    let missing = dir.path().join("gone.db");
    let output = run(&mut vistazo(&[missing.to_str().unwrap()]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no command or collection file named"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_lists_the_global_options() {
    let output = run(&mut vistazo(&["--help"]));
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for option in [
        "--db <PATH>",
        "--model <DIR>",
        "--device <DEVICE>",
        "--thumbnails <DIR>",
    ] {
        assert!(text.contains(option), "{option} missing from:\n{text}");
    }
    assert!(text.contains("gui"), "{text}");
}

#[test]
fn help_is_in_spanish_under_a_spanish_locale() {
    let output = run(vistazo(&["--help"]).env("LANG", "es_ES.UTF-8"));
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("Dónde se ejecuta el modelo"), "{text}");
    assert!(text.contains("Abre la aplicación"), "{text}");
}

#[test]
fn a_failure_is_one_line_on_stderr_with_exit_status_1() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    for (lang, expected) in [
        ("C.UTF-8", "vistazo: cannot open a window"),
        ("es_ES.UTF-8", "vistazo: no se puede abrir una ventana"),
    ] {
        let output = run(vistazo(&["--db", db.to_str().unwrap(), "gui"])
            .env("LANG", lang)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("GDK_BACKEND", "x11"));
        assert_eq!(output.status.code(), Some(1));
        let text = stderr(&output);
        assert!(text.starts_with(expected), "{text}");
        assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    }
}

#[test]
fn a_mistyped_db_is_refused_by_commands_that_need_a_collection() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("no/such/folder/colection.db");
    let typo_arg = typo.to_str().unwrap();
    for args in [
        &["embed"][..],
        &["classify"],
        &["undo", "--last"],
        &["catalog", "search", "batman"],
        &["interiors", "train"],
        &["interiors", "score", "room.jpg"],
        &["interiors", "auto-label"],
        &["interiors", "report", "--out", "charts"],
        &["serve", "--addr", "127.0.0.1:0"],
        &["search", "a robot"],
        &["similar", "--comic", "1"],
        &["duplicates"],
    ] {
        let output = run(vistazo(&["--db", typo_arg]).args(args));
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert!(
            text.starts_with(&format!("vistazo: no collection at {typo_arg}")),
            "{args:?}: {text}"
        );
        assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    }
    assert!(!dir.path().join("no").exists(), "no folder was created");
}

#[test]
fn commands_that_add_start_a_collection_but_never_its_folders() {
    let dir = tempfile::tempdir().unwrap();
    let comics = dir.path().join("comics");
    std::fs::create_dir(&comics).unwrap();

    let nested = dir.path().join("no/such/folder/new.db");
    let output = run(&mut vistazo(&[
        "--db",
        nested.to_str().unwrap(),
        "scan",
        comics.to_str().unwrap(),
    ]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("no").exists(), "no folder was created");

    let new = dir.path().join("new.db");
    let output = run(&mut vistazo(&[
        "--db",
        new.to_str().unwrap(),
        "scan",
        comics.to_str().unwrap(),
    ]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("Started a new collection at {}", new.display())),
        "{}",
        stderr(&output)
    );
    assert!(new.is_file());
    // Now it exists, the other commands use it.
    let output = run(&mut vistazo(&[
        "--db",
        new.to_str().unwrap(),
        "undo",
        "--last",
    ]));
    assert!(
        !stderr(&output).contains("no collection at"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_damaged_database_is_named_once_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("damaged.db");
    // A SQLite header followed by garbage.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend((0..8192u32).map(|i| (i * 7 % 251) as u8));
    std::fs::write(&db, &bytes).unwrap();
    let output = run(&mut vistazo(&["--db", db.to_str().unwrap(), "classify"]));
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    assert!(text.contains("damaged.db"), "{text}");
    let words: Vec<&str> = text.split(": ").collect();
    let mut unique = words.clone();
    unique.dedup();
    assert_eq!(words, unique, "a phrase is repeated: {text}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the file is left as it was"
    );
}

#[test]
fn duplicates_needs_a_collection_and_says_when_there_are_none() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nothing.db");
    let output = run(&mut vistazo(&[
        "--db",
        &missing.to_string_lossy(),
        "duplicates",
    ]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("no collection at {}", missing.display())),
        "{}",
        stderr(&output)
    );
    assert!(!missing.exists(), "nothing is created");

    let db = dir.path().join("empty.db");
    drop(vistazo::db::open(&db).expect("a new collection"));
    let db = db.to_string_lossy();
    let output = run(&mut vistazo(&["--db", &db, "duplicates"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("No duplicates"),
        "{}",
        stdout(&output)
    );
    let output = run(&mut vistazo(&["--db", &db, "duplicates", "--json"]));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json, serde_json::json!({"groups": []}));
}
