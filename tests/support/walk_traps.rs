//! What a folder walk must survive, for tests that run the built binary on it: links back up
//! the tree, and a folder it cannot list, even when the tests run as root (its mode is 000, and
//! a child process started by root gives up the capabilities that would read it anyway). The
//! run fails the test after two minutes instead of hanging it.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `CAP_DAC_OVERRIDE` and `CAP_DAC_READ_SEARCH`, from linux/capability.h.
const READ_ANYTHING: [libc::c_ulong; 2] = [1, 2];

/// A folder made unreadable; its mode comes back on drop so the temporary folder can go.
pub struct LockedFolder(PathBuf);

impl LockedFolder {
    pub fn new(path: &Path) -> Self {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).expect("lock");
        Self(path.to_owned())
    }
}

impl Drop for LockedFolder {
    fn drop(&mut self) {
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

/// Makes `command` run without root's right to read folders whose mode forbids it.
pub fn bound_by_permissions(command: &mut Command) -> &mut Command {
    // SAFETY: between fork and exec the closure only makes system calls, no allocation.
    unsafe {
        command.pre_exec(|| {
            if libc::geteuid() != 0 {
                return Ok(());
            }
            for capability in READ_ANYTHING {
                // Out of the bounding set, the capability is not given to the program exec runs.
                if libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        })
    }
}

/// Two links back up the tree under `folder`: `sub/up` to `folder`, `sub/again` to `sub`.
pub fn link_loops(folder: &Path) {
    std::fs::create_dir_all(folder.join("sub")).expect("sub");
    std::os::unix::fs::symlink("..", folder.join("sub/up")).expect("link");
    std::os::unix::fs::symlink("../sub", folder.join("sub/again")).expect("link");
}

/// Runs `command` bound by permissions, failing the test when it runs for two minutes.
pub fn run_or_hang(command: &mut Command) -> Output {
    let mut child = bound_by_permissions(command)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vistazo");
    for _ in 0..1200 {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("{command:?} hung");
}
