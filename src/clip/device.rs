//! Which device runs the model, and what this machine's libtorch can do.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::config;
use crate::i18n::{fill, gettext};

/// The user's choice of device (`--device`, or the preference in the app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DevicePreference {
    #[default]
    Auto,
    Cpu,
    Cuda,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    #[error("{}", fill(&gettext("CUDA was requested but libtorch {version} finds no CUDA device: use --device cpu"), &[("version", .0)]))]
    CudaUnavailable(&'static str),
    #[error("{}", fill(&gettext("CUDA was requested but its libraries could not be loaded ({reason}): use --device cpu"), &[("reason", .0)]))]
    CudaLibraries(String),
    #[error("{}", fill(&gettext("unknown device “{device}”: use auto, cpu or cuda"), &[("device", .0)]))]
    Unknown(String),
}

impl DevicePreference {
    /// The device to run on, given what libtorch reports. Only a choice that may use CUDA loads
    /// the CUDA libraries (see [`cuda_libraries`]).
    pub fn resolve(self) -> Result<tch::Device, DeviceError> {
        if self == Self::Cpu {
            return Ok(tch::Device::Cpu);
        }
        match (cuda_libraries(), self) {
            (CudaLibraries::Failed(reason), Self::Cuda) => {
                Err(DeviceError::CudaLibraries(reason.clone()))
            }
            (CudaLibraries::Loaded, _) => self.resolve_with(tch::Cuda::is_available()),
            _ => self.resolve_with(false),
        }
    }

    fn resolve_with(self, cuda_available: bool) -> Result<tch::Device, DeviceError> {
        match (self, cuda_available) {
            (Self::Cpu, _) | (Self::Auto, false) => Ok(tch::Device::Cpu),
            (Self::Auto | Self::Cuda, true) => Ok(tch::Device::Cuda(0)),
            (Self::Cuda, false) => Err(DeviceError::CudaUnavailable(config::LIBTORCH_VERSION)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
        }
    }
}

impl fmt::Display for DevicePreference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DevicePreference {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda),
            _ => Err(DeviceError::Unknown(s.to_owned())),
        }
    }
}

/// Whether libtorch's CUDA half is in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CudaLibraries {
    /// This binary was built without CUDA.
    NotBuilt,
    /// The machine shows no NVIDIA driver, so they were not loaded.
    NoGpu,
    Loaded,
    /// The machine has a driver but the libraries failed to load; the reason.
    Failed(String),
}

/// Loads libtorch's CUDA half (`libtorch_cuda.so` and the CUDA libraries it needs) the first
/// time it is called, when this build has it and the machine shows an NVIDIA driver.
///
/// The binary does not link it: those libraries take about 400 MB of memory and half a second
/// at every start, which a machine without an NVIDIA GPU (most desktops) would pay for nothing.
/// libtorch decides once, at the first question about CUDA, whether CUDA exists, so everything
/// that asks (device choice, [`RuntimeInfo::detect`]) calls this first.
pub fn cuda_libraries() -> &'static CudaLibraries {
    static STATE: OnceLock<CudaLibraries> = OnceLock::new();
    STATE.get_or_init(|| {
        if !config::libtorch_cuda() {
            CudaLibraries::NotBuilt
        } else if !nvidia_driver_present() {
            CudaLibraries::NoGpu
        } else {
            match load_cuda_libraries() {
                Ok(()) => CudaLibraries::Loaded,
                Err(reason) => {
                    eprintln!(
                        "vistazo: {}",
                        fill(
                            &gettext(
                                "cannot load the CUDA libraries, running on the processor: {reason}"
                            ),
                            &[("reason", &reason)]
                        )
                    );
                    CudaLibraries::Failed(reason)
                }
            }
        }
    })
}

/// Whether the kernel shows an NVIDIA driver: its `/proc` entry, its control device, or WSL's
/// GPU device.
fn nvidia_driver_present() -> bool {
    ["/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg"]
        .iter()
        .any(|path| Path::new(path).exists())
}

/// Loads `libtorch_cuda.so` from the folders of the binary's RUNPATH (beside libtorch's other
/// libraries), globally, so that its CUDA hooks register with libtorch. Does not look for a
/// GPU: [`cuda_libraries`] does. Public so a test can check that the libraries a build would
/// load are all there.
pub fn load_cuda_libraries() -> Result<(), String> {
    // SAFETY: dlopen with a valid NUL-terminated name; the library's initialisers register
    // libtorch's CUDA hooks and have no other effect. The handle is kept for the process's life.
    let handle = unsafe {
        libc::dlopen(
            c"libtorch_cuda.so".as_ptr(),
            libc::RTLD_NOW | libc::RTLD_GLOBAL,
        )
    };
    if handle.is_null() {
        // SAFETY: dlerror returns the message of the dlopen that just failed on this thread, or
        // null.
        let message = unsafe { libc::dlerror() };
        return Err(if message.is_null() {
            "libtorch_cuda.so".to_owned()
        } else {
            // SAFETY: a non-null dlerror message is a NUL-terminated string.
            unsafe { std::ffi::CStr::from_ptr(message) }
                .to_string_lossy()
                .into_owned()
        });
    }
    Ok(())
}

/// What libtorch on this machine offers, for `--version` and the Preferences window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeInfo {
    pub libtorch_version: &'static str,
    pub cuda_available: bool,
    pub cuda_devices: usize,
    pub cpu_threads: usize,
}

impl RuntimeInfo {
    /// Asks libtorch. The first call initialises the CUDA driver when there is one, which can
    /// take a moment: keep it off the GTK main thread.
    pub fn detect() -> Self {
        let cuda_available =
            *cuda_libraries() == CudaLibraries::Loaded && tch::Cuda::is_available();
        Self {
            libtorch_version: config::LIBTORCH_VERSION,
            cuda_available,
            cuda_devices: if cuda_available {
                usize::try_from(tch::Cuda::device_count()).unwrap_or(0)
            } else {
                0
            },
            cpu_threads: usize::try_from(tch::get_num_threads()).unwrap_or(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_prefers_cuda_and_falls_back_to_cpu() {
        assert_eq!(
            DevicePreference::Auto.resolve_with(true),
            Ok(tch::Device::Cuda(0))
        );
        assert_eq!(
            DevicePreference::Auto.resolve_with(false),
            Ok(tch::Device::Cpu)
        );
        assert_eq!(
            DevicePreference::Cpu.resolve_with(true),
            Ok(tch::Device::Cpu)
        );
    }

    #[test]
    fn cuda_without_a_device_is_an_error() {
        assert!(matches!(
            DevicePreference::Cuda.resolve_with(false),
            Err(DeviceError::CudaUnavailable(_))
        ));
    }

    #[test]
    fn without_an_nvidia_driver_no_cuda_library_is_loaded() {
        if nvidia_driver_present() {
            return;
        }
        let info = RuntimeInfo::detect();
        assert!(!info.cuda_available);
        assert_eq!(DevicePreference::Auto.resolve(), Ok(tch::Device::Cpu));
        let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
        for library in ["libtorch_cuda", "libcublas", "libcudnn", "libnccl"] {
            assert!(!maps.contains(library), "{library} is loaded");
        }
        assert!(maps.contains("libtorch_cpu"));
    }

    #[test]
    fn parses_user_spellings() {
        assert_eq!("CUDA".parse(), Ok(DevicePreference::Cuda));
        assert_eq!(" cpu ".parse(), Ok(DevicePreference::Cpu));
        assert!("tpu".parse::<DevicePreference>().is_err());
    }
}
