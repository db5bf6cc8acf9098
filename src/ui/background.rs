//! Threads that do the app's long work give way to the window: they run at a lower scheduling
//! priority, so that on a machine with every core busy the main thread still gets a core the
//! moment it has something to draw. Threads started from such a thread (libtorch's, the
//! decoding threads, rayon's) inherit the priority.

/// How far below normal the long work runs (`nice` 10: well behind the window, still ahead of
/// anything the user started with `nice 19`).
const NICENESS: libc::c_int = 10;

/// Lowers the calling thread's priority.
pub fn give_way_to_the_window() {
    // SAFETY: gettid has no preconditions; setpriority on the calling thread's own id changes
    // only this thread's niceness.
    let status = unsafe {
        let thread = libc::gettid();
        libc::setpriority(
            libc::PRIO_PROCESS,
            libc::id_t::try_from(thread).unwrap_or(0),
            NICENESS,
        )
    };
    if status != 0 {
        tracing::debug!(
            "cannot lower the priority of a background thread: {}",
            std::io::Error::last_os_error()
        );
    }
}
