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
