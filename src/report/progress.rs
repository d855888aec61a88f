//! A progress bar on stderr for runs that take more than a second, shown only when stderr
//! is a terminal (so pipes, CI logs and tests stay clean).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Watches a counter of simulated microseconds from a helper thread.
pub struct Progress {
    counter: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts watching; `total_us` is the simulated time of all replications.
    pub fn start(total_us: u64) -> Self {
        let counter = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let thread = std::io::stderr().is_terminal().then(|| {
            let (counter, done) = (counter.clone(), done.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let bar =
                    ProgressBar::with_draw_target(Some(total_us), ProgressDrawTarget::hidden());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:40} {percent:>3}% simulated, {elapsed} elapsed, ~{eta} left",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                while !done.load(Ordering::Relaxed) {
                    if started.elapsed() > Duration::from_secs(1) && bar.is_hidden() {
                        bar.set_draw_target(ProgressDrawTarget::stderr());
                    }
                    bar.set_position(counter.load(Ordering::Relaxed).min(total_us));
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            })
        });
        Progress {
            counter,
            done,
            thread,
        }
    }

    /// The counter the simulation advances.
    pub fn counter(&self) -> &AtomicU64 {
        &self.counter
    }

    /// Stops and clears the bar.
    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
