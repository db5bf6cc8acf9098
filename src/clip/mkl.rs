//! MKL's fast code path on processors that are not Intel's.
//!
//! The MKL that libtorch bundles picks its GEMM kernels by asking `mkl_serv_intel_cpu` whether
//! the processor is Intel's, and on any other vendor's (AMD's Zen, which many desktops run)
//! takes slower ones: on this project's Zen 2 machine the fp32 GEMMs of ViT-B/32 ran at 144
//! GFLOP/s against 184 with the Intel answer. libtorch reaches that function through its PLT,
//! so the executable can provide it and answer yes; this is the workaround PyTorch's
//! maintainers recommended to AMD users (pytorch/builder#1245, diagnosed in #504). The kernels
//! chosen are the AVX2 ones the processor has; results stay exact in fp32.
//!
//! The `vistazo` executable exports [`mkl_serv_intel_cpu`] and [`mkl_serv_intel_cpu_true`]
//! (see `build.rs`); other programs
//! linking this crate keep MKL's own answer. `VISTAZO_MKL_VENDOR_CHECK=1` keeps MKL's own
//! answer in `vistazo` too, to compare or in case a future MKL misbehaves with it.

use std::ffi::c_int;
use std::sync::OnceLock;

/// The environment variable that keeps MKL's own vendor check.
pub const KEEP_VENDOR_CHECK: &str = "VISTAZO_MKL_VENDOR_CHECK";

/// MKL's question "is this an Intel processor?", answered yes unless
/// [`KEEP_VENDOR_CHECK`] says to ask MKL's own function.
///
/// # Safety
/// Called by MKL with no arguments, from any thread; it only reads the environment once and
/// may call MKL's own function of the same signature.
#[unsafe(no_mangle)]
pub extern "C" fn mkl_serv_intel_cpu() -> c_int {
    if vendor_check_kept() {
        mkl_own("mkl_serv_intel_cpu").unwrap_or(0)
    } else {
        1
    }
}

/// The form of the same question MKL's kernel dispatcher asks ("is this really an Intel
/// processor?"), answered the same way.
#[unsafe(no_mangle)]
pub extern "C" fn mkl_serv_intel_cpu_true() -> c_int {
    if vendor_check_kept() {
        mkl_own("mkl_serv_intel_cpu_true").unwrap_or(0)
    } else {
        1
    }
}

/// Whether the user asked to keep MKL's own vendor check.
fn vendor_check_kept() -> bool {
    static KEPT: OnceLock<bool> = OnceLock::new();
    *KEPT.get_or_init(|| std::env::var(KEEP_VENDOR_CHECK).is_ok_and(|value| value == "1"))
}

/// What MKL's own function `name` (the next definition after this program's) answers.
fn mkl_own(name: &str) -> Option<c_int> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: dlsym with a valid NUL-terminated name; the symbol, when found, is MKL's
    // function of the same signature (no arguments, an int back).
    unsafe {
        let own = libc::dlsym(libc::RTLD_NEXT, name.as_ptr());
        if own.is_null() {
            return None;
        }
        let own: extern "C" fn() -> c_int = std::mem::transmute(own);
        Some(own())
    }
}

/// Which vendor check MKL runs with in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorCheck {
    /// This executable answers "Intel": MKL takes its fast kernels on any x86-64 processor.
    Bypassed,
    /// MKL asks its own function (this program does not provide it, or the user kept it).
    Own,
}

/// Which vendor check the MKL of this process runs with: whether the dynamic linker resolves
/// `mkl_serv_intel_cpu` to this program's answer.
pub fn vendor_check() -> VendorCheck {
    // SAFETY: dlsym with a valid NUL-terminated name; only the address is compared.
    let resolved = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mkl_serv_intel_cpu".as_ptr()) };
    let ours = mkl_serv_intel_cpu as extern "C" fn() -> c_int as *mut libc::c_void;
    if resolved == ours && !vendor_check_kept() {
        VendorCheck::Bypassed
    } else {
        VendorCheck::Own
    }
}

/// The processor's vendor as the kernel names it ("AuthenticAMD", "GenuineIntel"); empty
/// when it does not say.
pub fn cpu_vendor() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("vendor_id"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        })
        .unwrap_or_default()
}

/// The fp32 GEMM shapes of one ViT-B/32 layer for a batch of 16 images (50 tokens each): the
/// q/k/v projections, the output projection and the two MLP layers, as (m, k, n).
const VIT_B32_GEMMS: [(i64, i64, i64); 4] = [
    (800, 768, 2304),
    (800, 768, 768),
    (800, 768, 3072),
    (800, 3072, 768),
];

/// The fp32 GEMM rate libtorch reaches on this processor on ViT-B/32's shapes, in GFLOP/s:
/// the median of `rounds`, each timing every shape a few times after a warm-up.
pub fn gemm_gflops(rounds: usize) -> f64 {
    let _guard = tch::no_grad_guard();
    let options = (tch::Kind::Float, tch::Device::Cpu);
    let operands: Vec<(tch::Tensor, tch::Tensor, f64)> = VIT_B32_GEMMS
        .iter()
        .map(|&(m, k, n)| {
            let a = tch::Tensor::randn([m, k], options);
            let b = tch::Tensor::randn([k, n], options);
            (a, b, 2.0 * (m * k * n) as f64)
        })
        .collect();
    for (a, b, _) in &operands {
        let _ = a.matmul(b);
    }
    let mut rates: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let started = std::time::Instant::now();
            let mut flops = 0.0;
            for _ in 0..4 {
                for (a, b, work) in &operands {
                    let _ = a.matmul(b);
                    flops += work;
                }
            }
            flops / started.elapsed().as_secs_f64() / 1e9
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}
