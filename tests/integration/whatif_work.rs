//! Work bounded before a `compare` or `sweep` run: each variant fits the event budget
//! (10^10 events, src/config/work.rs) but all of them together do not, so the run is refused
//! with exit 2 before anything is simulated, naming the grid or the variants.

use crate::common;
use crate::common::whatif;

/// Poisson at 10^6/s for 2 h, one replication: 7.2e9 events per variant, under the 1e10 cap
/// alone, 1.44e10 for two.
fn heavy() -> String {
    whatif::keep_alive_scenario("heavy", 1, 1, 1e6, "")
}

/// Tolerance: exact exit code and key. Two points of 7.2e9 events exceed 1e10 together.
#[test]
fn sweep_whose_total_exceeds_the_event_cap_is_refused_naming_the_grid() {
    let (_dir, path) = common::write(&heavy());
    let p = path.to_str().unwrap();
    let start = std::time::Instant::now();
    let args = ["sweep", p, "--set", "platform.keep_alive=10s,20s"];
    let (code, _out, err) = whatif::run_with_threads(&args, Some("2"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("sweep grid (2 points)"), "{err}");
    assert!(err.contains("1.440e10 events"), "{err}");
    assert!(start.elapsed().as_secs() < 30, "refused before the run");
    // One point alone fits the cap (it is not run here: the check is what is tested).
    let one = [
        "sweep",
        p,
        "--set",
        "platform.keep_alive=10s",
        "--replications",
        "2",
    ];
    let (code, _out, err) = whatif::run_with_threads(&one, Some("2"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("× 2 replication(s)"),
        "per-variant check with --replications: {err}"
    );
}

/// Tolerance: exact exit code and key. The base and one variant, 7.2e9 events each.
#[test]
fn compare_whose_total_exceeds_the_event_cap_is_refused_naming_the_variants() {
    let extra = "[[variant]]\nname = \"longer\"\nset = { \"platform.keep_alive\" = \"20s\" }\n";
    let text = format!("{}{extra}", heavy());
    let (_dir, path) = common::write(&text);
    let p = path.to_str().unwrap();
    let (code, _out, err) = whatif::run_with_threads(&["compare", p], Some("2"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(": variants: 2 run(s) together"), "{err}");
}
