//! Turns at the model: one forward pass at a time, the most urgent first.
//!
//! Several threads may share one [`super::engine::Engine`] (the app's pages do). A forward pass
//! already keeps every core busy, so passes run one after another; when the model is free, the
//! waiting pass with the highest [`Urgency`] goes next, and passes of equal urgency go in the
//! order they came. A long job thus lets work someone waits for (a search typed, a key press)
//! in between two of its batches, never after all of them.
//!
//! A thread says how urgent its passes are with [`with_urgency`]; passes are [`Urgency::Job`]
//! unless said otherwise.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard};

/// How soon a pass's result is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Urgency {
    /// Work nobody waits for (covers read ahead of the next classification).
    Background,
    /// A job the user started and watches progress.
    #[default]
    Job,
    /// Someone waits for it now.
    Interactive,
}

thread_local! {
    static URGENCY: Cell<Urgency> = const { Cell::new(Urgency::Job) };
}

/// Runs `work` with the passes it makes on this thread at `urgency`.
pub fn with_urgency<R>(urgency: Urgency, work: impl FnOnce() -> R) -> R {
    struct Restore(Urgency);
    impl Drop for Restore {
        fn drop(&mut self) {
            URGENCY.with(|current| current.set(self.0));
        }
    }
    let _restore = Restore(URGENCY.with(|current| current.replace(urgency)));
    work()
}

/// The urgency of this thread's passes now.
pub fn current_urgency() -> Urgency {
    URGENCY.with(Cell::get)
}

#[derive(Debug, Default)]
struct Turns {
    running: bool,
    /// Waiting passes: their urgency and when they came.
    waiting: Vec<(Urgency, u64)>,
    arrivals: u64,
}

impl Turns {
    /// The waiting pass that goes next.
    fn next(&self) -> Option<(Urgency, u64)> {
        self.waiting
            .iter()
            .copied()
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
    }
}

/// The turns at one model.
#[derive(Debug, Default)]
pub struct PassGate {
    turns: Mutex<Turns>,
    changed: Condvar,
}

/// A pass running; the next one may start when this is dropped.
pub struct Pass<'a> {
    gate: &'a PassGate,
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.gate.lock().running = false;
        self.gate.changed.notify_all();
    }
}

impl PassGate {
    fn lock(&self) -> MutexGuard<'_, Turns> {
        // The state is two plain fields, valid whatever a panicking pass left.
        self.turns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this thread's turn at the model, at its [`current_urgency`].
    pub fn enter(&self) -> Pass<'_> {
        self.enter_at(current_urgency())
    }

    /// Waits for a turn at `urgency`.
    pub fn enter_at(&self, urgency: Urgency) -> Pass<'_> {
        let mut turns = self.lock();
        if !turns.running && turns.waiting.is_empty() {
            turns.running = true;
            return Pass { gate: self };
        }
        turns.arrivals += 1;
        let me = (urgency, turns.arrivals);
        turns.waiting.push(me);
        while turns.running || turns.next() != Some(me) {
            turns = self.changed.wait(turns).unwrap_or_else(|p| p.into_inner());
        }
        turns.waiting.retain(|waiting| *waiting != me);
        turns.running = true;
        Pass { gate: self }
    }

    /// Waits while a pass runs: work that would take a core from it (decoding pictures on the
    /// processor) goes between passes.
    pub fn wait_while_running(&self) {
        let mut turns = self.lock();
        while turns.running {
            turns = self.changed.wait(turns).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// How many passes wait for the model now.
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    fn wait_until_waiting(gate: &PassGate, count: usize) {
        while gate.waiting() < count {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_most_urgent_pass_goes_next_then_the_others_in_order() {
        let gate = Arc::new(PassGate::default());
        let (order, finished) = mpsc::channel();
        let running = gate.enter_at(Urgency::Job);
        let mut threads = Vec::new();
        for (name, urgency) in [
            ("job 1", Urgency::Job),
            ("background", Urgency::Background),
            ("job 2", Urgency::Job),
            ("key press", Urgency::Interactive),
        ] {
            let before = gate.waiting();
            let (shared, order) = (Arc::clone(&gate), order.clone());
            threads.push(std::thread::spawn(move || {
                with_urgency(urgency, || {
                    let _pass = shared.enter();
                    order.send(name).unwrap();
                });
            }));
            wait_until_waiting(&gate, before + 1);
        }
        drop(running);
        for thread in threads {
            thread.join().unwrap();
        }
        drop(order);
        let order: Vec<&str> = finished.iter().collect();
        assert_eq!(order, ["key press", "job 1", "job 2", "background"]);
    }

    #[test]
    fn urgency_is_restored_after_the_work() {
        assert_eq!(current_urgency(), Urgency::Job);
        with_urgency(Urgency::Interactive, || {
            assert_eq!(current_urgency(), Urgency::Interactive);
        });
        assert_eq!(current_urgency(), Urgency::Job);
    }
}
