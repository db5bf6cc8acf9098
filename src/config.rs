//! Build-time configuration with defaults, so the same code builds with Cargo alone and inside
//! Flatpak (which sets `APP_ID`, `PROFILE` and `LOCALEDIR` at compile time).

use std::path::PathBuf;

/// The application id; `.Devel` builds get their own so both can be installed side by side.
pub const APP_ID: &str = match option_env!("APP_ID") {
    Some(id) => id,
    None => "io.github.vistazo.Vistazo",
};

/// `Devel` for development builds (a striped header bar), anything else for releases.
pub const PROFILE: &str = match option_env!("PROFILE") {
    Some(profile) => profile,
    None => "Default",
};

/// The GSettings schema id; shared by the release and `.Devel` builds.
pub const SCHEMA_ID: &str = "io.github.vistazo.Vistazo";

/// Where the GResource bundle is mounted.
pub const RESOURCE_BASE_PATH: &str = "/io/github/vistazo/Vistazo";

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const GETTEXT_PACKAGE: &str = "vistazo";

/// The libtorch version the binary was linked against, read by build.rs.
pub const LIBTORCH_VERSION: &str = match option_env!("VISTAZO_LIBTORCH_VERSION") {
    Some(version) => version,
    None => "unknown",
};

/// Whether the libtorch the binary was built against has CUDA (`libtorch_cuda.so`, loaded at
/// run time when the machine has an NVIDIA GPU), unless the build was asked not to use it.
pub fn libtorch_cuda() -> bool {
    option_env!("VISTAZO_TORCH_CUDA") == Some("1")
}

pub fn is_devel() -> bool {
    PROFILE == "Devel"
}

/// The folder holding `LANG/LC_MESSAGES/vistazo.mo`: the install location when the binary was
/// built for one or sits in an installed prefix, else the translations compiled by build.rs.
pub fn locale_dir() -> PathBuf {
    if let Some(dir) = option_env!("LOCALEDIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = installed_share_dir().map(|share| share.join("locale"))
        && dir.join("es/LC_MESSAGES/vistazo.mo").exists()
    {
        return dir;
    }
    PathBuf::from(env!("VISTAZO_BUILD_LOCALEDIR"))
}

/// The folder with the compiled GSettings schema of this build, used when the schema is not
/// installed system-wide (a plain `cargo run`).
pub fn build_schema_dir() -> PathBuf {
    PathBuf::from(env!("VISTAZO_BUILD_SCHEMA_DIR"))
}

/// `PREFIX/share` when the running binary is `PREFIX/bin/vistazo`.
fn installed_share_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?;
    (bin.file_name()? == "bin").then(|| bin.parent().map(|prefix| prefix.join("share")))?
}
