//! The scaling rate: 1,000 new execution environments per function per 10 s, refilled
//! continuously (AWS docs, scaling-behavior.html).

use crate::common;

use coldsim::engine::time::US_PER_S;

fn burst_of_5000(invocation: &str, handler: &str) -> String {
    format!(
        r#"
[run]
duration = "1s"
[platform]
account_concurrency = 10000
max_lifetime = "1d"
# The scaling window itself, not the event queue's pollers, is under test here.
async_delivery = "immediate"
[[function]]
name = "f"
memory_mb = 1769
handler = "{handler}"
cold_start = "0ms"
[[traffic]]
function = "f"
kind = "bursty"
burst_size = 5000
burst_length = "1ms"
burst_every = "1d"
invocation = "{invocation}"
"#
    )
}

#[test]
fn five_thousand_sync_arrivals_start_exactly_one_thousand_and_throttle_the_rest() {
    let sc = common::load(&burst_of_5000("sync", "60s"));
    let f = &common::run_once(&sc.scenario).functions[0];
    assert_eq!(f.arrivals, 5000);
    assert_eq!(f.cold_starts, 1000);
    assert_eq!(f.sandboxes_created, 1000);
    assert_eq!(f.throttles, 4000);
    assert_eq!(f.invocations + f.throttles, f.arrivals, "none lost");
}

#[test]
fn five_thousand_async_arrivals_wait_for_each_window_and_none_is_lost() {
    // Handlers of 60 s hold every sandbox, so each 10 s window adds exactly 1,000 new
    // environments: starts at 0, 10, 20, 30, 40 s; mean wait (0+10+20+30+40)/5 = 20 s.
    let sc = common::load(&burst_of_5000("async", "60s"));
    let (run, recs) = common::run_collect(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!(f.invocations, 5000);
    assert_eq!(f.throttles, 0);
    assert_eq!(f.cold_starts, 5000);
    assert_eq!(f.queued, 4000);
    for window in 0..5u64 {
        let started = recs
            .iter()
            .filter(|r| r.request.start.as_us() / (10 * US_PER_S) == window)
            .count();
        assert_eq!(started, 1000, "window {window}");
        assert!(
            recs.iter()
                .filter(|r| r.request.start.as_us() / (10 * US_PER_S) == window)
                .all(|r| r.request.start.as_us() == window * 10 * US_PER_S),
            "each batch starts the moment its window frees"
        );
    }
    assert_eq!(f.queue_wait_sum_us, 1000 * (10 + 20 + 30 + 40) * US_PER_S);
}

#[test]
fn async_requests_over_the_window_reuse_sandboxes_as_they_free() {
    // Handlers of 1 s: the first 1,000 sandboxes take the rest of the queue in turn, so
    // exactly 1,000 environments serve all 5,000 requests in five rounds.
    let sc = common::load(&burst_of_5000("async", "1s"));
    let (run, recs) = common::run_collect(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!(f.invocations, 5000);
    assert_eq!(f.cold_starts, 1000);
    assert_eq!(f.warm_starts, 4000);
    assert_eq!(f.sandboxes_created, 1000);
    let last_end = recs.iter().map(|r| r.end.as_us()).max().unwrap();
    assert_eq!(last_end, 5 * US_PER_S);
}
