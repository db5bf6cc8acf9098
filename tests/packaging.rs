//! What can be checked of the packaging on a machine without the GNOME runtime: the Flatpak
//! manifests as flatpak-builder reads them, the checksums of their sources, the offline crate
//! sources against Cargo.lock, and the tree that `make install` lays out.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

const ID: &str = "io.github.vistazo.Vistazo";
const DEVEL_ID: &str = "io.github.vistazo.Vistazo.Devel";
const REGENERATE: &str = "run flatpak/update-cargo-sources.sh to regenerate it";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn manifests() -> [PathBuf; 2] {
    [ID, DEVEL_ID].map(|id| repo().join("flatpak").join(format!("{id}.json")))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (make test installs it)"))
}

fn text_of(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn check(command: &mut Command) -> String {
    let output = run(command);
    let text = text_of(&output);
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

/// The sources of a module, with the JSON files it names (cargo-sources.json) read in place.
fn sources_of(module: &Value) -> Vec<Value> {
    let mut sources = Vec::new();
    for source in module["sources"]
        .as_array()
        .expect("a module lists its sources")
    {
        match source {
            Value::String(file) => match read_json(&repo().join("flatpak").join(file)) {
                Value::Array(listed) => sources.extend(listed),
                other => sources.push(other),
            },
            source => sources.push(source.clone()),
        }
    }
    sources
}

fn module<'a>(manifest: &'a Value, name: &str) -> &'a Value {
    manifest["modules"]
        .as_array()
        .and_then(|modules| modules.iter().find(|m| m["name"] == name))
        .unwrap_or_else(|| panic!("no module {name}"))
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{:x}", Sha256::digest(bytes))
}

#[test]
fn flatpak_builder_reads_both_manifests_whole() {
    // flatpak-builder leaves its state folder in the folder it runs in.
    let state = tempfile::tempdir().unwrap();
    for path in manifests() {
        let output = run(Command::new("flatpak-builder")
            .arg("--show-manifest")
            .arg(&path)
            .current_dir(state.path()));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}:\n{stderr}", path.display());
        // Unknown properties and source types are only warnings, and the sources they spoil
        // silently drop out of what flatpak-builder read.
        assert!(!stderr.contains("WARNING"), "{}:\n{stderr}", path.display());
        let shown: Value = serde_json::from_slice(&output.stdout).expect("the manifest as JSON");
        let written = read_json(&path);
        let names = |m: &Value| -> Vec<String> {
            m["modules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(&shown), ["poppler", "libtorch", "vistazo"]);
        for name in names(&written) {
            assert_eq!(
                module(&shown, &name)["sources"].as_array().unwrap().len(),
                sources_of(module(&written, &name)).len(),
                "flatpak-builder dropped sources of {name} in {}",
                path.display()
            );
        }
    }
}

#[test]
fn the_manifests_build_on_the_gnome_runtime_with_the_permissions_the_app_needs() {
    for path in manifests() {
        let manifest = read_json(&path);
        assert_eq!(manifest["runtime"], "org.gnome.Platform");
        assert_eq!(manifest["sdk"], "org.gnome.Sdk");
        // libadwaita 1.2 (relm4's gnome_43) is in every runtime from GNOME 43 on.
        let version: u32 = manifest["runtime-version"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("a numbered GNOME runtime");
        assert!(version >= 43, "GNOME {version} lacks libadwaita 1.2");
        assert_eq!(
            manifest["sdk-extensions"],
            serde_json::json!(["org.freedesktop.Sdk.Extension.rust-stable"])
        );
        assert_eq!(manifest["command"], "vistazo");
        let finish: BTreeSet<&str> = manifest["finish-args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        for needed in [
            "--share=ipc",
            "--socket=wayland",
            "--socket=fallback-x11",
            "--device=dri",
            "--share=network",
        ] {
            assert!(
                finish.contains(needed),
                "{needed} missing in {}",
                path.display()
            );
        }

        let app = module(&manifest, "vistazo");
        assert_eq!(app["buildsystem"], "simple");
        let env = &app["build-options"]["env"];
        assert_eq!(env["CARGO_HOME"], "/run/build/vistazo/cargo");
        assert_eq!(env["LIBTORCH_LIB"], "/app");
        assert_eq!(env["LIBTORCH_INCLUDE"], "/app/libtorch");
        let commands: Vec<&str> = app["build-commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(
            commands
                .iter()
                .all(|c| !c.starts_with("cargo ") || c.contains("--offline"))
        );
        assert!(
            commands
                .iter()
                .any(|c| c.starts_with("make release install PREFIX=/app")
                    && c.contains("--offline")),
            "{commands:?}"
        );
        assert_eq!(module(&manifest, "libtorch")["buildsystem"], "simple");
    }
}

#[test]
fn the_development_manifest_differs_only_in_its_id_and_profile() {
    let [release, devel] = manifests().map(|path| read_json(&path));
    assert_eq!(devel["id"], DEVEL_ID);
    let mut made = release.clone();
    made["id"] = Value::from(DEVEL_ID);
    let env = &mut made["modules"][2]["build-options"]["env"];
    env["APP_ID"] = Value::from(DEVEL_ID);
    env["PROFILE"] = Value::from("Devel");
    assert_eq!(devel, made);
}

#[test]
fn every_downloaded_source_has_a_sha256() {
    for path in manifests() {
        let manifest = read_json(&path);
        for module in manifest["modules"].as_array().unwrap() {
            for source in sources_of(module) {
                if !matches!(source["type"].as_str(), Some("file" | "archive")) {
                    continue;
                }
                let sha = source["sha256"].as_str().unwrap_or_default();
                assert!(
                    sha.len() == 64
                        && sha
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                    "{} in {}: no sha256 for {source}",
                    module["name"],
                    path.display()
                );
            }
        }
    }
}

#[test]
fn local_sources_match_their_sha256() {
    for path in manifests() {
        let manifest = read_json(&path);
        for module in manifest["modules"].as_array().unwrap() {
            for source in sources_of(module) {
                let (Some("file"), Some(local)) =
                    (source["type"].as_str(), source["path"].as_str())
                else {
                    continue;
                };
                let actual = sha256_of(&repo().join("flatpak").join(local));
                assert_eq!(
                    source["sha256"].as_str(),
                    Some(actual.as_str()),
                    "flatpak/{local} changed: put its new sha256 {actual} in {}",
                    path.display()
                );
            }
        }
    }
}

/// `(name, version) -> checksum` of every crate Cargo.lock takes from the crates registry.
fn locked_crates() -> BTreeMap<(String, String), String> {
    let lock = std::fs::read_to_string(repo().join("Cargo.lock")).expect("Cargo.lock");
    let mut crates = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            package.lines().find_map(|line| {
                line.strip_prefix(key)
                    .and_then(|rest| rest.trim().strip_prefix('='))
                    .map(|value| value.trim().trim_matches('"').to_owned())
            })
        };
        let name = field("name ").expect("a package has a name");
        match field("source ").as_deref() {
            None => {}
            Some(registry) if registry.starts_with("registry+") => {
                let version = field("version ").expect("a package has a version");
                let checksum = field("checksum ").expect("a registry package has a checksum");
                crates.insert((name, version), checksum);
            }
            Some(other) => panic!(
                "{name} comes from {other}: check that flatpak/cargo-sources.json describes it and teach this test"
            ),
        }
    }
    crates
}

#[test]
fn the_cargo_sources_match_cargo_lock() {
    let sources = read_json(&repo().join("flatpak/cargo-sources.json"));
    let sources = sources.as_array().expect("a list of sources");
    let mut archives = BTreeMap::new();
    let mut checksum_files = BTreeMap::new();
    let mut config = None;
    for source in sources {
        let dest = source["dest"].as_str().unwrap_or_default();
        match (source["type"].as_str(), source["dest-filename"].as_str()) {
            (Some("archive"), _) => {
                let crate_dir = dest
                    .strip_prefix("cargo/vendor/")
                    .unwrap_or_else(|| panic!("{source}: not under cargo/vendor"));
                archives.insert(
                    crate_dir.to_owned(),
                    (
                        source["url"].as_str().unwrap_or_default().to_owned(),
                        source["sha256"].as_str().unwrap_or_default().to_owned(),
                    ),
                );
            }
            (Some("inline"), Some(".cargo-checksum.json")) => {
                let contents: Value =
                    serde_json::from_str(source["contents"].as_str().unwrap_or_default())
                        .expect("a checksum file is JSON");
                checksum_files.insert(
                    dest.trim_start_matches("cargo/vendor/").to_owned(),
                    contents["package"].as_str().unwrap_or_default().to_owned(),
                );
            }
            (Some("inline"), Some("config")) => config = source["contents"].as_str(),
            _ => panic!("flatpak/cargo-sources.json has an unexpected source {source}"),
        }
    }

    // Every crate is downloaded from one place, under NAME/NAME-VERSION.crate.
    let download_root = archives
        .values()
        .next()
        .and_then(|(url, _)| url.rsplitn(3, '/').nth(2))
        .unwrap_or_default()
        .to_owned();
    let expected: BTreeMap<String, (String, String)> = locked_crates()
        .into_iter()
        .map(|((name, version), checksum)| {
            let url = format!("{download_root}/{name}/{name}-{version}.crate");
            (format!("{name}-{version}"), (url, checksum))
        })
        .collect();
    let missing: Vec<&String> = expected
        .keys()
        .filter(|k| !archives.contains_key(*k))
        .collect();
    let extra: Vec<&String> = archives
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    let changed: Vec<&String> = expected
        .iter()
        .filter(|(k, v)| archives.get(*k).is_some_and(|found| found != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && changed.is_empty(),
        "flatpak/cargo-sources.json does not match Cargo.lock: {REGENERATE}.\n\
         missing: {missing:?}\nno longer locked: {extra:?}\nother url or checksum: {changed:?}"
    );
    let expected_checksums: BTreeMap<String, String> = expected
        .into_iter()
        .map(|(dir, (_, checksum))| (dir, checksum))
        .collect();
    assert_eq!(
        checksum_files, expected_checksums,
        "the .cargo-checksum.json files do not match Cargo.lock: {REGENERATE}"
    );
    let config = config.unwrap_or_else(|| panic!("no cargo/config source: {REGENERATE}"));
    assert!(
        config.contains("[source.crates-io]")
            && config.contains("replace-with = \"vendored-sources\"")
            && config.contains("directory = \"cargo/vendor\""),
        "{config}"
    );
}

/// The torch wheels the libtorch module downloads.
fn wheels(manifest: &Value) -> Vec<Value> {
    sources_of(module(manifest, "libtorch"))
        .into_iter()
        .filter(|s| s["url"].as_str().is_some_and(|u| u.ends_with(".whl")))
        .collect()
}

/// The architectures a source is downloaded for.
fn arches_of(source: &Value) -> Vec<&str> {
    source["only-arches"]
        .as_array()
        .map(|arches| arches.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether a text names CUDA: the word, NVIDIA, or a CUDA build tag such as `cu130`.
fn names_cuda(text: &str) -> bool {
    let text = text.to_lowercase();
    text.contains("cuda")
        || text.contains("nvidia")
        || text.match_indices("cu1").any(|(at, _)| {
            let rest = &text.as_bytes()[at + 3..];
            rest.len() >= 2 && rest[..2].iter().all(u8::is_ascii_digit)
        })
}

#[test]
fn the_flatpak_takes_libtorch_from_the_processor_only_wheel() {
    for path in manifests() {
        let manifest = read_json(&path);
        for module in manifest["modules"].as_array().unwrap() {
            for source in sources_of(module) {
                let url = source["url"].as_str().unwrap_or_default();
                assert!(!names_cuda(url), "{} downloads {url}", path.display());
            }
        }
        let wheels = wheels(&manifest);
        let mut arches = Vec::new();
        for wheel in &wheels {
            let sha = wheel["sha256"].as_str().unwrap_or_default();
            assert!(
                sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "no sha256 for {wheel} in {}",
                path.display()
            );
            assert!(
                !arches_of(wheel).is_empty(),
                "{wheel} in {} names no only-arches",
                path.display()
            );
            let file = wheel["dest-filename"].as_str().unwrap_or_default();
            let url = wheel["url"].as_str().unwrap();
            assert_eq!(
                url.rsplit('/').next().unwrap().replace("%2B", "+"),
                file,
                "{} saves {url} under another name",
                path.display()
            );
            assert!(
                file.contains("+cpu-"),
                "{file} is not a processor-only build"
            );
            arches.extend(arches_of(wheel));
        }
        arches.sort_unstable();
        assert_eq!(
            arches,
            ["aarch64", "x86_64"],
            "one wheel per architecture in {}",
            path.display()
        );
    }

    let script = std::fs::read_to_string(repo().join("flatpak/install-libtorch.py")).unwrap();
    let script = script.to_lowercase();
    for library in [
        "libc10_cuda",
        "libtorch_cuda",
        "libcudart",
        "libcupti",
        "nvidia",
    ] {
        assert!(
            !script.contains(library),
            "install-libtorch.py names {library}"
        );
    }
}

#[test]
fn the_readme_records_the_libtorch_wheels_the_manifest_downloads() {
    let readme = std::fs::read_to_string(repo().join("flatpak/README.md")).unwrap();
    // The table's rows: architecture, file, size, sha256.
    let listed: BTreeSet<(String, String, String)> = readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            match cells[..] {
                ["", arch, file, _, sha, ""] if file.ends_with(".whl") => {
                    Some((arch.to_owned(), file.to_owned(), sha.to_owned()))
                }
                _ => None,
            }
        })
        .collect();
    for path in manifests() {
        let downloaded: BTreeSet<(String, String, String)> = wheels(&read_json(&path))
            .iter()
            .flat_map(|wheel| {
                let file = wheel["dest-filename"].as_str().unwrap_or_default();
                let sha = wheel["sha256"].as_str().unwrap_or_default();
                arches_of(wheel)
                    .into_iter()
                    .map(move |arch| (arch.to_owned(), file.to_owned(), sha.to_owned()))
            })
            .collect();
        assert_eq!(
            listed,
            downloaded,
            "the wheels in flatpak/README.md differ from those in {}",
            path.display()
        );
    }
}

/// A shared library named `soname` that needs the libraries `needed` (found in `folder`).
fn stand_in_library(folder: &Path, soname: &str, needed: &[&str]) {
    let mut command = Command::new("cc");
    command
        .args(["-shared", "-x", "c", "/dev/null", "-o"])
        .arg(folder.join(soname))
        .arg(format!("-Wl,-soname,{soname}"))
        .arg("-Wl,--no-as-needed")
        .arg("-L")
        .arg(folder);
    command.args(needed.iter().map(|library| format!("-l:{library}")));
    check(&mut command);
}

/// A torch wheel holding `libraries` (file names in `folder`, with the place each has in the
/// wheel), a header, the version and a licence.
fn stand_in_wheel(folder: &Path, libraries: &[(&str, &str)]) -> PathBuf {
    use std::io::Write;
    let path = folder.join("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (place, library) in libraries {
        zip.start_file(format!("{place}/{library}"), options)
            .unwrap();
        zip.write_all(&std::fs::read(folder.join(library)).unwrap())
            .unwrap();
    }
    for (name, text) in [
        ("torch/include/torch/torch.h", "#pragma once\n"),
        ("torch/version.py", "__version__ = '2.13.0+cpu'\n"),
        ("torch-2.13.0+cpu.dist-info/LICENSE", "BSD\n"),
        ("torch/__init__.py", ""),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

fn install_libtorch(wheel: &Path, prefix: &Path) -> Output {
    run(Command::new("python3")
        .arg(repo().join("flatpak/install-libtorch.py"))
        .arg("--prefix")
        .arg(prefix)
        .arg(wheel))
}

#[test]
fn install_libtorch_installs_libtorch_cpu_with_the_wheel_libraries_it_needs() {
    let folder = tempfile::tempdir().unwrap();
    let libraries = folder.path();
    // As in the aarch64 wheel: a library bundled into torch.libs, needed through another one.
    stand_in_library(libraries, "libopenblasp-r0-1a2b3c4d.so.0", &[]);
    stand_in_library(libraries, "libgomp.so.1", &[]);
    stand_in_library(libraries, "libc10.so", &["libopenblasp-r0-1a2b3c4d.so.0"]);
    stand_in_library(
        libraries,
        "libtorch_cpu.so",
        &["libc10.so", "libgomp.so.1", "libstdc++.so.6"],
    );
    stand_in_library(libraries, "libtorch.so", &["libtorch_cpu.so"]);
    stand_in_library(libraries, "libtorch_python.so", &["libtorch.so"]);
    let wheel = stand_in_wheel(
        libraries,
        &[
            ("torch/lib", "libtorch_cpu.so"),
            ("torch/lib", "libc10.so"),
            ("torch/lib", "libgomp.so.1"),
            ("torch/lib", "libtorch.so"),
            ("torch/lib", "libtorch_python.so"),
            ("torch.libs", "libopenblasp-r0-1a2b3c4d.so.0"),
        ],
    );

    let prefix = tempfile::tempdir().unwrap();
    let output = install_libtorch(&wheel, prefix.path());
    assert!(output.status.success(), "{}", text_of(&output));
    assert_eq!(
        files_under(prefix.path()),
        [
            "lib/libc10.so",
            "lib/libgomp.so.1",
            "lib/libopenblasp-r0-1a2b3c4d.so.0",
            "lib/libtorch.so",
            "lib/libtorch_cpu.so",
            "libtorch/build-version",
            "libtorch/include/torch/torch.h",
            "share/licenses/libtorch/torch-2.13.0+cpu.dist-info/LICENSE",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
    );
    for library in ["libtorch_cpu.so", "libc10.so"] {
        assert_eq!(
            std::fs::read(prefix.path().join("lib").join(library)).unwrap(),
            std::fs::read(libraries.join(library)).unwrap()
        );
    }
    let script = std::fs::read_to_string(prefix.path().join("lib/libtorch.so")).unwrap();
    assert!(
        script.contains(&format!(
            "INPUT({})",
            prefix.path().join("lib/libtorch_cpu.so").display()
        )),
        "{script}"
    );
    assert_eq!(
        std::fs::read_to_string(prefix.path().join("libtorch/build-version")).unwrap(),
        "2.13.0+cpu\n"
    );
}

#[test]
fn install_libtorch_refuses_a_wheel_whose_libraries_need_one_it_lacks() {
    let folder = tempfile::tempdir().unwrap();
    let libraries = folder.path();
    // What a GPU build's libtorch_cpu.so needs from another wheel.
    stand_in_library(libraries, "libcudart.so.13", &[]);
    stand_in_library(libraries, "libc10.so", &[]);
    stand_in_library(
        libraries,
        "libtorch_cpu.so",
        &["libc10.so", "libcudart.so.13"],
    );
    let wheel = stand_in_wheel(
        libraries,
        &[("torch/lib", "libtorch_cpu.so"), ("torch/lib", "libc10.so")],
    );

    let prefix = tempfile::tempdir().unwrap();
    let output = install_libtorch(&wheel, prefix.path());
    assert!(!output.status.success());
    assert!(
        text_of(&output).contains("libtorch_cpu.so needs libcudart.so.13"),
        "{}",
        text_of(&output)
    );
}

fn make(args: &[&str]) -> Command {
    let mut command = Command::new("make");
    command
        .arg("-s")
        .arg("--no-print-directory")
        .args(args)
        .current_dir(repo())
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL");
    // The Makefile's variables default to the environment's: only the arguments count here.
    for variable in [
        "APP_ID",
        "BINDIR",
        "DATADIR",
        "DESTDIR",
        "PREFIX",
        "CARGO_TARGET_DIR",
        "RELEASE_BIN",
    ] {
        command.env_remove(variable);
    }
    command
}

fn files_under(root: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                files.insert(relative.to_string_lossy().into_owned());
            }
        }
    }
    files
}

fn expected_tree(id: &str) -> BTreeSet<String> {
    [
        format!("usr/share/applications/{id}.desktop"),
        format!("usr/share/metainfo/{id}.metainfo.xml"),
        format!("usr/share/glib-2.0/schemas/{ID}.gschema.xml"),
        format!("usr/share/icons/hicolor/scalable/apps/{id}.svg"),
        format!("usr/share/icons/hicolor/symbolic/apps/{id}-symbolic.svg"),
        "usr/share/locale/es/LC_MESSAGES/vistazo.mo".to_owned(),
    ]
    .into_iter()
    .collect()
}

fn validate_installed(root: &Path, id: &str) {
    let share = root.join("usr/share");
    let desktop = share.join(format!("applications/{id}.desktop"));
    check(Command::new("desktop-file-validate").arg(&desktop));
    let desktop = std::fs::read_to_string(&desktop).unwrap();
    assert!(desktop.contains(&format!("\nIcon={id}\n")), "{desktop}");
    assert!(desktop.contains("Comment[es]="), "{desktop}");

    let metainfo = share.join(format!("metainfo/{id}.metainfo.xml"));
    let report = check(
        Command::new("appstreamcli")
            .args(["validate", "--no-net"])
            .arg(&metainfo),
    );
    assert!(!report.contains("W:") && !report.contains("E:"), "{report}");
    let metainfo = std::fs::read_to_string(&metainfo).unwrap();
    assert!(metainfo.contains(&format!("<id>{id}</id>")), "{metainfo}");
    assert!(
        metainfo.contains(&format!(
            r#"<launchable type="desktop-id">{id}.desktop</launchable>"#
        )),
        "{metainfo}"
    );
    assert!(
        metainfo.contains(r#"<summary xml:lang="es">"#),
        "no Spanish summary:\n{metainfo}"
    );

    check(
        Command::new("glib-compile-schemas")
            .args(["--strict", "--dry-run"])
            .arg(share.join("glib-2.0/schemas")),
    );
    let catalog =
        check(Command::new("msgunfmt").arg(share.join("locale/es/LC_MESSAGES/vistazo.mo")));
    assert!(catalog.contains("msgstr \"Cómics\""), "{catalog}");
    for icon in [
        format!("scalable/apps/{id}.svg"),
        format!("symbolic/apps/{id}-symbolic.svg"),
    ] {
        let svg = std::fs::read_to_string(share.join("icons/hicolor").join(icon)).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
    }
}

#[test]
fn install_data_lays_out_a_complete_valid_tree() {
    let root = tempfile::tempdir().unwrap();
    let destdir = format!("DESTDIR={}", root.path().display());
    check(&mut make(&["install-data", &destdir, "PREFIX=/usr"]));
    assert_eq!(files_under(root.path()), expected_tree(ID));
    validate_installed(root.path(), ID);
    // Staging for a package leaves compiling the schemas to the package's own post-install.
    assert!(
        !root
            .path()
            .join("usr/share/glib-2.0/schemas/gschemas.compiled")
            .exists()
    );
}

#[test]
fn a_development_install_names_its_files_after_its_own_id() {
    let root = tempfile::tempdir().unwrap();
    let destdir = format!("DESTDIR={}", root.path().display());
    let app_id = format!("APP_ID={DEVEL_ID}");
    check(&mut make(&[
        "install-data",
        &destdir,
        "PREFIX=/usr",
        &app_id,
    ]));
    assert_eq!(files_under(root.path()), expected_tree(DEVEL_ID));
    validate_installed(root.path(), DEVEL_ID);
}

#[test]
fn install_bin_installs_the_release_binary_that_make_build_made() {
    let target = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let destdir = format!("DESTDIR={}", root.path().display());
    let target_dir = format!("CARGO_TARGET_DIR={}", target.path().display());

    let output = run(&mut make(&[
        "install-bin",
        &destdir,
        "PREFIX=/usr",
        &target_dir,
    ]));
    assert!(!output.status.success());
    assert!(
        text_of(&output).contains("run make build"),
        "{}",
        text_of(&output)
    );

    let binary = target.path().join("release/vistazo");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::write(&binary, b"#!/bin/sh\necho vistazo\n").unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    check(&mut make(&[
        "install-bin",
        &destdir,
        "PREFIX=/usr",
        &target_dir,
    ]));
    let installed = root.path().join("usr/bin/vistazo");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(&binary).unwrap()
    );
    let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);

    check(&mut make(&["install-data", &destdir, "PREFIX=/usr"]));
    check(&mut make(&["uninstall", &destdir, "PREFIX=/usr"]));
    assert_eq!(files_under(root.path()), BTreeSet::new());
}

#[test]
fn an_installed_binary_runs_on_the_libraries_installed_beside_it() {
    let root = tempfile::tempdir().unwrap();
    let destdir = format!("DESTDIR={}", root.path().display());
    // The test binary stands in for the release one: it links the same libtorch.
    let built = format!("RELEASE_BIN={}", env!("CARGO_BIN_EXE_vistazo"));
    check(&mut make(&["install-bin", &destdir, "PREFIX=/usr", &built]));
    let installed = root.path().join("usr/bin/vistazo");
    let libraries = root.path().join("usr/lib/vistazo");
    assert!(libraries.join("libtorch_cpu.so").is_file());
    assert!(libraries.join("libc10.so").is_file());

    let rpath = check(
        Command::new("patchelf")
            .arg("--print-rpath")
            .arg(&installed),
    );
    assert_eq!(rpath.trim(), "$ORIGIN/../lib/vistazo");

    // Every library comes from the install, none from the checkout's virtualenv.
    let venv = repo().join(".venv");
    let loaded = run(Command::new(&installed)
        .arg("--version")
        .env("LD_DEBUG", "libs")
        .env_remove("LD_LIBRARY_PATH"));
    assert!(loaded.status.success(), "{}", text_of(&loaded));
    let trace = String::from_utf8_lossy(&loaded.stderr);
    // The loader names it through the RUNPATH, unresolved.
    let from_install = format!(
        "{}/usr/bin/../lib/vistazo/libtorch_cpu.so",
        root.path().display()
    );
    assert!(
        trace.contains("calling init:") && trace.contains(&from_install),
        "libtorch was not loaded from {from_install}"
    );
    assert!(
        !trace.contains(&venv.display().to_string()),
        "a library came from the virtualenv"
    );

    // And it computes an embedding.
    let model = repo().join("tests/fixtures/clip/tiny");
    let embedded = check(
        Command::new(&installed)
            .args(["--device", "cpu", "--model"])
            .arg(&model)
            .args(["embed-text", "a room", "--json"])
            .env_remove("LD_LIBRARY_PATH"),
    );
    let value: Value = serde_json::from_str(embedded.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {embedded}"));
    let values = value["a room"]["embedding"].as_array().map_or(0, Vec::len);
    assert!(values > 0, "{embedded}");

    // The binary loads libtorch's CUDA half at run time on a machine with a GPU: it is
    // installed with every library it needs, found beside it.
    if vistazo::config::libtorch_cuda() {
        let cuda = libraries.join("libtorch_cuda.so");
        assert!(cuda.is_file(), "libtorch_cuda.so is not installed");
        check(
            Command::new("python3")
                .args(["-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])"])
                .arg(&cuda)
                .env_remove("LD_LIBRARY_PATH"),
        );
    }

    check(&mut make(&["uninstall", &destdir, "PREFIX=/usr"]));
    assert!(!installed.exists() && !libraries.exists());
}
