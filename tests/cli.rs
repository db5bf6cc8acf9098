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

#[test]
fn arguments_a_command_refuses_after_parsing_are_bad_usage_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    drop(vistazo::db::open(&db).expect("a new collection"));
    let db = db.to_str().unwrap();
    let missing = dir.path().join("no such cover.jpg");
    for (args, says) in [
        (&["search", " "][..], "vistazo search a giant robot"),
        (&["similar"], "--comic ID"),
        (&["similar", missing.to_str().unwrap()], "no such cover.jpg"),
        (&["catalog", "search", ""], "vistazo catalog search"),
    ] {
        let output = run(vistazo(&["--db", db]).args(args));
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.starts_with("error: "), "{args:?}: {text}");
        assert!(text.contains(says), "{args:?}: {text}");
        assert_eq!(text.trim_end().lines().count(), 1, "{args:?}: {text}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
    // Values out of range and combinations that contradict themselves are clap's own.
    for args in [
        &["search", "--limit", "0", "a robot"][..],
        &["search", "--min-score", "2", "a robot"],
        &["catalog", "search", "--page", "0", "saga"],
        &["classify", "--write-comicinfo"],
        &["undo", "--last", "--run", "3"],
        &["interiors", "filter", "--min-contrast", "0.7"],
        &["bench", "embed", ".", "--batch", "0"],
    ] {
        let output = run(vistazo(&["--db", db]).args(args));
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.starts_with("error: "), "{args:?}: {text}");
    }
    // The filter's thresholds were left as they were.
    let output = run(vistazo(&["--db", db]).args(["interiors", "filter", "--json"]));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        json["thresholds"]["visual"]["min_brightness"], 0.12,
        "{json}"
    );
}

/// The words of a shell command line: split on spaces, double quotes kept together.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn the_readme_shows_every_command_with_an_example_the_binary_accepts() {
    use clap::CommandFactory;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## Command line\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Command line section");
    let items: Vec<String> = section
        .split("\n- ")
        .skip(1)
        .map(|item| item.replace("\n  ", " "))
        .collect();
    let cli = vistazo::cli::Cli::command();
    let mut paths: Vec<Vec<&str>> = Vec::new();
    for command in cli.get_subcommands() {
        if command.has_subcommands() {
            for sub in command.get_subcommands() {
                paths.push(vec![command.get_name(), sub.get_name()]);
            }
        } else {
            paths.push(vec![command.get_name()]);
        }
    }
    for path in paths {
        let name = path.join(" ");
        let item = items
            .iter()
            .find(|item| item.starts_with(&format!("`{name}` — ")))
            .unwrap_or_else(|| panic!("README's Command line section lacks {name}"));
        let example = item
            .split('`')
            .skip(1)
            .step_by(2)
            .filter_map(|code| code.split("| ").last())
            .find(|code| code.starts_with("vistazo "))
            .unwrap_or_else(|| panic!("no example for {name}: {item}"));
        let matches = vistazo::cli::Cli::command()
            .try_get_matches_from(shell_words(example))
            .unwrap_or_else(|error| panic!("{example}: {error}"));
        let mut used = Vec::new();
        let mut at = &matches;
        while let Some((sub, inner)) = at.subcommand() {
            used.push(sub);
            at = inner;
        }
        assert_eq!(used, path, "{example}");
    }
}

#[test]
fn a_db_that_names_no_file_is_refused_in_one_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap().to_owned();
    for value in [":memory:", "file:v.db?mode=memory", &folder] {
        for args in [&["duplicates"][..], &["scan", &folder]] {
            let output = run(vistazo(&["--db", value]).args(args).current_dir(dir.path()));
            let text = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{value:?} {args:?}: {text}");
            assert_eq!(text.trim_end().lines().count(), 1, "{text}");
            assert!(
                text.starts_with("error: --db takes the path of a collection file"),
                "{text}"
            );
        }
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_huge_label_is_repeated_cut_short_on_stderr_and_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    drop(vistazo::db::open(&db).unwrap());
    let csv = dir.path().join("labels.csv");
    let label = "x".repeat(10_000_000);
    let path = "p".repeat(5_000_000);
    std::fs::write(&csv, format!("room.jpg,{label}\n{path}.jpg,good\n")).unwrap();
    let output = run(&mut vistazo(&[
        "--db",
        db.to_str().unwrap(),
        "interiors",
        "import-labels",
        csv.to_str().unwrap(),
        "--json",
    ]));
    let text = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        &text[..text.len().min(500)]
    );
    assert_eq!(text.lines().count(), 2, "one line per row left out");
    for line in text.lines() {
        assert!(line.len() < 1_000, "{} bytes", line.len());
        assert!(line.contains("xxx…") || line.contains("ppp…"), "{line}");
    }
    assert!(output.stdout.len() < 2_000, "{} bytes", output.stdout.len());
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reason = answer["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("unknown label “xxx"), "{reason}");
    assert!(reason.contains("…”"), "{reason}");
}
