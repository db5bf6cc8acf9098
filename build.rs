//! Build steps that Cargo alone cannot express:
//! - link libtorch so the binary runs without `LD_LIBRARY_PATH`, and say whether the libtorch it
//!   was built against has CUDA (loaded at run time when there is a GPU);
//! - compile the GResource bundle, the GSettings schema and the translations into `OUT_DIR`, so a
//!   plain `cargo run` finds them without an install step.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    link_libtorch();
    export_mkl_answers();
    glib_build_tools::compile_resources(
        &["resources"],
        "resources/resources.gresource.xml",
        "vistazo.gresource",
    );
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    compile_schemas(&out_dir);
    compile_translations(&out_dir);
}

fn link_libtorch() {
    // torch-sys only puts an rpath on its own C++ shim; the final binary needs one too.
    let Ok(lib_dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        println!("cargo:warning=torch-sys did not report its libtorch directory");
        return;
    };
    let lib_dir = PathBuf::from(lib_dir);
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    // libtorch_cuda is not linked: it and the CUDA libraries it needs cost about 400 MB of
    // memory and half a second at every start, also on the many machines without an NVIDIA
    // GPU. The binary loads it at run time when it finds one (src/clip/device.rs), from the
    // folders of this RUNPATH. `VISTAZO_CUDA=0` builds a binary that never tries.
    println!("cargo:rerun-if-env-changed=VISTAZO_CUDA");
    let cuda_wanted = std::env::var("VISTAZO_CUDA").map_or(true, |value| value != "0");
    let cuda_built = cuda_wanted && lib_dir.join("libtorch_cuda.so").exists();
    println!(
        "cargo:rustc-env=VISTAZO_TORCH_CUDA={}",
        if cuda_built { "1" } else { "0" }
    );
    let version = libtorch_version(&lib_dir).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=VISTAZO_LIBTORCH_VERSION={version}");
}

/// MKL inside libtorch asks `mkl_serv_intel_cpu` and `mkl_serv_intel_cpu_true` through its PLT
/// whether the processor is Intel's; the executable answers (src/clip/mkl.rs), so both must be
/// linked in and visible to the dynamic linker, whichever libtorch the build uses.
fn export_mkl_answers() {
    for symbol in ["mkl_serv_intel_cpu", "mkl_serv_intel_cpu_true"] {
        println!("cargo:rustc-link-arg-bins=-Wl,--undefined={symbol}");
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic-symbol={symbol}");
    }
}

/// The version of the libtorch being linked: from `version.py` of a PyTorch install, or from
/// `build-version` of a standalone libtorch archive or of the folder `LIBTORCH` names (the
/// Flatpak keeps the libraries apart from the headers and that file).
fn libtorch_version(lib_dir: &Path) -> Option<String> {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let root = lib_dir.parent()?;
    if let Ok(text) = std::fs::read_to_string(root.join("version.py")) {
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("__version__") {
                let value = rest.trim_start_matches([' ', '=']).trim();
                return Some(value.trim_matches(['\'', '"']).to_owned());
            }
        }
    }
    let libtorch = std::env::var_os("LIBTORCH").map(PathBuf::from);
    [Some(root.to_owned()), libtorch]
        .into_iter()
        .flatten()
        .find_map(|dir| std::fs::read_to_string(dir.join("build-version")).ok())
        .map(|text| text.trim().to_owned())
}

fn compile_schemas(out_dir: &Path) {
    println!("cargo:rerun-if-changed=data/io.github.vistazo.Vistazo.gschema.xml");
    let target = out_dir.join("schemas");
    std::fs::create_dir_all(&target).expect("create the schema directory in OUT_DIR");
    std::fs::copy(
        "data/io.github.vistazo.Vistazo.gschema.xml",
        target.join("io.github.vistazo.Vistazo.gschema.xml"),
    )
    .expect("copy the GSettings schema");
    let status = Command::new("glib-compile-schemas")
        .arg("--strict")
        .arg(&target)
        .status();
    match status {
        Ok(status) if status.success() => {
            println!(
                "cargo:rustc-env=VISTAZO_BUILD_SCHEMA_DIR={}",
                target.display()
            );
        }
        _ => panic!("glib-compile-schemas failed: install libglib2.0-bin (make build does)"),
    }
}

fn compile_translations(out_dir: &Path) {
    println!("cargo:rerun-if-changed=po");
    let locale_dir = out_dir.join("locale");
    println!(
        "cargo:rustc-env=VISTAZO_BUILD_LOCALEDIR={}",
        locale_dir.display()
    );
    let linguas = std::fs::read_to_string("po/LINGUAS").unwrap_or_default();
    for lang in linguas
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let dir = locale_dir.join(lang).join("LC_MESSAGES");
        std::fs::create_dir_all(&dir).expect("create the locale directory in OUT_DIR");
        let status = Command::new("msgfmt")
            .arg("--check")
            .arg("-o")
            .arg(dir.join("vistazo.mo"))
            .arg(format!("po/{lang}.po"))
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            panic!("msgfmt failed on po/{lang}.po: install gettext (make build does)");
        }
    }
}
