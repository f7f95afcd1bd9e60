//! A progress bar on stderr, drawn only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Set by the Ctrl-C handler; long operations stop and clean up when they see it.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler of Ctrl-C (SIGINT), SIGTERM and SIGHUP (once): a long operation then
/// stops where it is, removes what it started and exits 130, instead of dying with a partial
/// file left behind.
pub fn catch_interrupt() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// Draws byte progress; hidden when quiet or when stderr is not a terminal.
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        };
        Bar(bar)
    }

    pub fn clear(&self) {
        self.0.finish_and_clear();
    }
}

impl assetpack::Progress for Bar {
    fn begin(&self, _files: u64, bytes: u64) {
        self.0.inc_length(bytes);
    }

    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::Relaxed)
    }
}
