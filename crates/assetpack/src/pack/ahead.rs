//! How far the readers may run ahead of the writer: the window of jobs they may start, and
//! the buffers that read-ahead holds (the pool's chunks for large files, the spare buffers of
//! fragments). Both bound the pack's memory whatever the files' sizes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use super::jobs::Job;
use super::CHUNK;

/// Chunks a reader may hold ready per file: as many as the pool lends out (which is what
/// bounds the memory), so the reader of the next large file is not held back by its channel.
pub(super) const AHEAD: usize = IN_FLIGHT + 2;
/// How many fragments (jobs of small files, each held whole until it is written) may be read,
/// counting from the job the writer waits for: bounds the memory that read-ahead of many small
/// files takes.
pub(super) const WINDOW: usize = 4;
/// How many jobs past the one being written a reader may start. A large file's job holds no
/// more than the pool lends it, so while one reader hashes a long video, the other goes on to
/// the large files after it instead of waiting with a core idle, as it did when every job
/// counted against [`WINDOW`] (national's plain build, 12 interleaved rounds: median 0.842 →
/// 0.809 s; many's is unchanged). Letting fragments too run 8 ahead gained 2% more on national
/// but took many's peak past 64 MB.
pub(super) const JOBS_AHEAD: usize = 16;
/// Readers, and the window, when files come from a bucket: each waits on the network most of
/// the time, so more of them keep more requests in flight (memory stays bounded by the
/// window's fragments and the pool's buffers).
pub(super) const BUCKET_READERS: usize = crate::files::BUCKET_READS;

/// Read buffers: 1 MiB chunks reused instead of allocated, and at most [`IN_FLIGHT`] of them
/// out at once, so read-ahead never holds more than that much memory. The reader of the file
/// the writer is waiting for may always take one, so the pipeline cannot stall.
#[derive(Default)]
pub(super) struct Pool {
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    free: Vec<Vec<u8>>,
    out: usize,
}

/// Most 1 MiB buffers out at once.
const IN_FLIGHT: usize = 16;

impl Pool {
    /// A buffer for job `k`; waits while too many are out, unless `k` is the job the writer
    /// needs next. `None` when the pack is being abandoned.
    pub(super) fn get(&self, k: usize, window: &Window, stop: &AtomicBool) -> Option<Vec<u8>> {
        let mut st = self.state.lock().ok()?;
        while st.out >= IN_FLIGHT && k > window.current() {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            st = self
                .freed
                .wait_timeout(st, std::time::Duration::from_millis(5))
                .ok()?
                .0;
        }
        st.out += 1;
        let mut v = st.free.pop().unwrap_or_default();
        drop(st);
        v.resize(CHUNK, 0);
        Some(v)
    }

    pub(super) fn put(&self, v: Vec<u8>) {
        if let Ok(mut st) = self.state.lock() {
            st.out = st.out.saturating_sub(1);
            if st.free.len() < IN_FLIGHT {
                st.free.push(v);
            }
        }
        self.freed.notify_all();
    }
}

/// Fragments' buffers, handed back by the writer once merged and reused by the readers: a
/// fragment is up to a mebibyte, and a block that large is mapped anew for each one (and
/// every page of it faulted in) when it is allocated instead.
#[derive(Default)]
pub(super) struct Spares(Mutex<Vec<Vec<u8>>>);

impl Spares {
    pub(super) fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default()
    }

    /// Keeps `v` for another fragment; no more are kept than can be out at once.
    pub(super) fn give(&self, v: Vec<u8>) {
        if let Ok(mut s) = self.0.lock() {
            if s.len() < WINDOW + 2 {
                s.push(v);
            }
        }
    }
}

/// The index of the job the writer waits for; readers start a job only within `ahead` jobs of
/// it ([`JOBS_AHEAD`]) and within `fragments` fragments of it ([`WINDOW`]; both
/// [`BUCKET_READERS`] when files come from a bucket).
#[derive(Default)]
pub(super) struct Window {
    ahead: usize,
    fragments: usize,
    /// How many of the jobs before each index are fragments (one more index than jobs).
    fragments_before: Vec<usize>,
    at: Mutex<usize>,
    moved: Condvar,
    /// Readers waiting for the window to move: the writer wakes them only when there are any.
    waiting: AtomicUsize,
}

impl Window {
    /// The window over `jobs`: a reader may start a job within `ahead` jobs and `fragments`
    /// fragments of the one the writer waits for.
    pub(super) fn new(jobs: &[Job], ahead: usize, fragments: usize) -> Self {
        Window {
            ahead,
            fragments,
            fragments_before: fragments_before(jobs),
            ..Window::default()
        }
    }

    /// Waits until job `k` is within the window. False when the pack is being abandoned.
    pub(super) fn wait_for(&self, k: usize, stop: &AtomicBool) -> bool {
        let Ok(mut at) = self.at.lock() else {
            return false;
        };
        while !self.may_start(k, *at) {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let woke = self.moved.wait(at);
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            at = match woke {
                Ok(a) => a,
                Err(_) => return false,
            };
        }
        true
    }

    /// Whether job `k` may start while the writer waits for job `at`.
    fn may_start(&self, k: usize, at: usize) -> bool {
        let before = |i: usize| {
            let last = self.fragments_before.len().saturating_sub(1);
            self.fragments_before.get(i.min(last)).copied().unwrap_or(0)
        };
        k < at.saturating_add(self.ahead) && before(k + 1) - before(at.min(k)) <= self.fragments
    }

    pub(super) fn current(&self) -> usize {
        self.at.lock().map(|a| *a).unwrap_or(usize::MAX)
    }

    pub(super) fn advance(&self, to: usize) {
        if let Ok(mut at) = self.at.lock() {
            *at = to;
        }
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.moved.notify_all();
        }
    }
}

/// How many of the jobs before each index are fragments, for indices 0 to `jobs.len()`.
fn fragments_before(jobs: &[Job]) -> Vec<usize> {
    let fragments = jobs.iter().scan(0, |n, job| {
        *n += usize::from(matches!(job, Job::Fragment(_)));
        Some(*n)
    });
    std::iter::once(0).chain(fragments).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_goes_past_large_files_but_not_past_four_fragments() {
        use Job::{Alone, Fragment};
        let f = || Fragment(0..1);
        let jobs = [
            f(),
            Alone(1),
            Alone(2),
            Alone(3),
            Alone(4),
            Alone(5),
            f(),
            f(),
            f(),
            f(),
        ];
        let window = |ahead| Window::new(&jobs, ahead, 4);
        let open = |w: &Window, at| {
            (0..jobs.len())
                .map(|k| w.may_start(k, at))
                .collect::<Vec<_>>()
        };
        let (t, x) = (true, false);
        let far = window(10);
        assert_eq!(far.fragments_before, [0, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5]);
        // Writing job 0: past the five large files and three more fragments, not a fifth.
        assert_eq!(open(&far, 0), [t, t, t, t, t, t, t, t, t, x]);
        // Writing job 1: the fragment being written is behind.
        assert_eq!(open(&far, 1), [t; 10]);
        // Three jobs on at most, whatever they are.
        assert_eq!(open(&window(3), 1), [t, t, t, t, x, x, x, x, x, x]);
        // Abandoned: the writer's index far past the end.
        assert!(far.may_start(9, usize::MAX / 2));
    }
}
