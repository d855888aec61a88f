//! The init CPU model: the runtime's init thread and extension threads share the init CPU
//! allowance by processor sharing, each thread using at most one vCPU (DESIGN.md, "CPU":
//! "The runtime's import thread uses at most one vCPU; extensions initialise in parallel
//! threads that share the allowance").

/// Finish times of threads that start together with `work_ms` of CPU work each (ms at one
/// full vCPU) on `capacity_vcpus` shared by processor sharing, each thread capped at one
/// vCPU: while n threads run, each runs at min(1, capacity / n). Returned in ms, in input
/// order. Zero work finishes at 0.
///
/// Closed forms it reproduces: one thread of work w takes w / min(1, c); n equal threads
/// take w · max(1, n / c).
pub fn processor_sharing_finish_ms(work_ms: &[f64], capacity_vcpus: f64) -> Vec<f64> {
    let n = work_ms.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| work_ms[a].total_cmp(&work_ms[b]));
    let mut finish = vec![0.0; n];
    let (mut t, mut done_work) = (0.0f64, 0.0f64);
    for (k, &i) in order.iter().enumerate() {
        let running = (n - k) as f64;
        let speed = (capacity_vcpus / running).min(1.0);
        // Every running thread has done `done_work`; the smallest remaining finishes next.
        let left = (work_ms[i] - done_work).max(0.0);
        t += left / speed;
        done_work = done_work.max(work_ms[i]);
        finish[i] = t;
    }
    finish
}

/// The init thread's speed in vCPUs when it runs `runtime_ms` of CPU work next to
/// extension threads with `extension_ms` each, on `capacity_vcpus`: its work divided by its
/// finish time under processor sharing. Without extensions: min(1, capacity). Also returns
/// when the last extension finishes, ms (0 without extensions).
pub fn init_thread_speed(runtime_ms: f64, extension_ms: &[f64], capacity_vcpus: f64) -> (f64, f64) {
    let alone = capacity_vcpus.min(1.0);
    if extension_ms.is_empty() || runtime_ms <= 0.0 {
        let ext = processor_sharing_finish_ms(extension_ms, capacity_vcpus);
        return (alone, ext.into_iter().fold(0.0, f64::max));
    }
    let mut works = Vec::with_capacity(extension_ms.len() + 1);
    works.push(runtime_ms);
    works.extend_from_slice(extension_ms);
    let finish = processor_sharing_finish_ms(&works, capacity_vcpus);
    let last_extension = finish[1..].iter().copied().fold(0.0, f64::max);
    (runtime_ms / finish[0], last_extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn one_thread_runs_at_most_one_vcpu() {
        assert!(close(processor_sharing_finish_ms(&[500.0], 2.0)[0], 500.0));
        assert!(close(
            processor_sharing_finish_ms(&[500.0], 0.5)[0],
            1_000.0
        ));
    }

    #[test]
    fn equal_threads_share_the_allowance() {
        // Three threads of 300 ms on 2 vCPUs: each at 2/3 vCPU, all done at 450 ms.
        let f = processor_sharing_finish_ms(&[300.0, 300.0, 300.0], 2.0);
        assert!(f.iter().all(|&x| close(x, 450.0)), "{f:?}");
        // Two threads on 2 vCPUs: no slowdown.
        let f = processor_sharing_finish_ms(&[300.0, 300.0], 2.0);
        assert!(f.iter().all(|&x| close(x, 300.0)), "{f:?}");
    }

    #[test]
    fn unequal_threads_follow_the_processor_sharing_schedule() {
        // 3 threads, 2 vCPUs, works 100, 200, 400. Phase 1: three at 2/3 until the first has
        // done 100 → t = 150. Phase 2: two at 1 vCPU, 100 more for the second → t = 250.
        // Phase 3: one at 1 vCPU, 200 more → t = 450. Work conservation: 700 ms of work in
        // 450 ms with ≤ 2 vCPUs busy.
        let f = processor_sharing_finish_ms(&[400.0, 100.0, 200.0], 2.0);
        assert!(
            close(f[1], 150.0) && close(f[2], 250.0) && close(f[0], 450.0),
            "{f:?}"
        );
    }

    #[test]
    fn an_extension_slows_the_init_thread_only_when_the_allowance_is_short() {
        let (s, ext) = init_thread_speed(1_000.0, &[200.0], 2.0);
        assert!(close(s, 1.0) && close(ext, 200.0));
        // Proportional CPU at 1,024 MB: 0.579 vCPU shared by two threads.
        let c = 1_024.0 / 1_769.0;
        let (s, ext) = init_thread_speed(1_000.0, &[200.0], c);
        // Both at c/2 until the extension's 200 ms are done (t = 400/c), then the init
        // thread alone at c for its last 800 ms: finish 400/c + 800/c = 1200/c.
        assert!(close(s, 1_000.0 / (1_200.0 / c)), "{s}");
        assert!(close(ext, 400.0 / c));
        assert_eq!(init_thread_speed(1_000.0, &[], 2.0), (1.0, 0.0));
    }
}
