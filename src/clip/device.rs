//! Which device runs the model, and what this machine's libtorch can do.

use std::fmt;
use std::str::FromStr;

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
    #[error("{}", fill(&gettext("unknown device “{device}”: use auto, cpu or cuda"), &[("device", .0)]))]
    Unknown(String),
}

impl DevicePreference {
    /// The device to run on, given what libtorch reports.
    pub fn resolve(self) -> Result<tch::Device, DeviceError> {
        self.resolve_with(tch::Cuda::is_available())
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
        let cuda_available = tch::Cuda::is_available();
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
    fn parses_user_spellings() {
        assert_eq!("CUDA".parse(), Ok(DevicePreference::Cuda));
        assert_eq!(" cpu ".parse(), Ok(DevicePreference::Cpu));
        assert!("tpu".parse::<DevicePreference>().is_err());
    }
}
