//! Memory stays flat however long the run: statistics are online, arrivals lazy. This file
//! holds one test so its process measures only this run.

use std::path::Path;

use coldsim::config::load_scenario;
use coldsim::engine::SimDuration;
use coldsim::runner::run_scenario;

/// Peak resident memory of this process so far, in MB (Linux /proc).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[test]
fn reference_workload_peak_memory_is_under_50_mb_for_4_and_96_hours() {
    let mut sc = load_scenario(Path::new("scenarios/reference.toml")).unwrap();
    let mut peaks = vec![];
    for hours in [4u64, 96] {
        sc.duration = SimDuration::from_secs(hours * 3600);
        let s = run_scenario(&sc, None, None).unwrap();
        let invocations = s.get("total", "invocations").unwrap();
        // ~148 requests/s.
        assert!((invocations / (hours as f64 * 3600.0 * 148.2) - 1.0).abs() < 0.01);
        let Some(peak) = peak_rss_mb() else {
            eprintln!("skipped: no /proc/self/status");
            return;
        };
        peaks.push(peak);
        assert!(peak < 50.0, "{hours} h: peak RSS {peak:.1} MB");
    }
    // 24 times the invocations, essentially the same memory (allow 5 MB of allocator slack).
    assert!(
        peaks[1] - peaks[0] < 5.0,
        "4 h {:.1} MB, 96 h {:.1} MB",
        peaks[0],
        peaks[1]
    );
}
