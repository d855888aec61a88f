//! Event sources (issue 12, item 4): async through Lambda's event queue, SQS and streams,
//! each against a number derived by hand or from the documented formula.

use crate::common;

use coldsim::engine::time::US_PER_S;

/// One function `f` (cold start 0, handler `handler`, extra function keys `fkeys`) called by
/// a burst of `n` requests at t = 0 with traffic keys `tkeys`.
fn burst(n: u32, handler: &str, fkeys: &str, tkeys: &str) -> String {
    format!(
        r#"
[run]
duration = "1s"
[platform]
account_concurrency = 10000
max_lifetime = "30d"
[[function]]
name = "f"
memory_mb = 1769
handler = "{handler}"
cold_start = "0ms"
{fkeys}
[[traffic]]
function = "f"
kind = "bursty"
burst_size = {n}
burst_length = "1ms"
burst_every = "1d"
{tkeys}
"#
    )
}

/// Exact, hand-traced (docs: throttle retries back off 1 s, 2 s, 4 s, … and stop at the
/// event's maximum age): with reserved concurrency 0 every attempt is throttled; with a
/// 60 s maximum age each event is tried at 0, 1, 3, 7, 15 and 31 s (the next, at 63 s, is
/// too old): 6 throttled attempts, 5 retries, then it expires. 10 events: 60, 50, 10.
#[test]
fn async_events_that_are_always_throttled_retry_with_backoff_then_expire() {
    let sc = common::load(&burst(
        10,
        "1s",
        "reserved_concurrency = 0",
        "invocation = \"async\"\nasync = { max_event_age = \"60s\" }",
    ));
    let run = common::run_once(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!(f.invocations, 0);
    assert_eq!(f.events.throttled_attempts, 60);
    assert_eq!(f.events.retries, 50);
    assert_eq!(f.events.expired, 10);
    assert_eq!(f.events.dropped, 0);
    assert_eq!(f.events.pending_at_end, 0);
    // The last attempt was at 31 s; the run ends there.
    assert_eq!(run.drained_at.as_us(), 31 * US_PER_S);
}

/// Exact, hand-traced (docs: after a function error Lambda waits 1 min, then 2 min; 2
/// retries by default): every invocation fails; each event runs at 0 s (ends 1 s), 61 s
/// (ends 62 s) and 182 s, then is lost: 3 invocations, 2 retries and 1 loss per event.
#[test]
fn async_events_that_always_fail_run_three_times_then_are_dropped() {
    let sc = common::load(&burst(
        4,
        "1s",
        "error_rate = 1.0",
        "invocation = \"async\"",
    ));
    let (run, recs) = common::run_collect(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!(f.invocations, 12);
    assert_eq!(f.events.retries, 8);
    assert_eq!(f.events.dropped, 4);
    assert_eq!(f.events.to_destination, 0);
    let mut starts: Vec<u64> = recs
        .iter()
        .map(|r| r.request.start.as_us() / US_PER_S)
        .collect();
    starts.sort_unstable();
    assert_eq!(starts, [0, 0, 0, 0, 61, 61, 61, 61, 182, 182, 182, 182]);
    // The age of an event at its attempts: 0, 61 and 182 s, mean 81 s (histogram: 1%).
    let mean_ms = f.events.age.mean_us() / 1e3;
    assert!(
        (mean_ms / 81_000.0 - 1.0).abs() < 0.01,
        "mean age {mean_ms}"
    );

    // No retries: one invocation each, to the destination when one is configured.
    let sc = common::load(&burst(
        4,
        "1s",
        "error_rate = 1.0",
        "invocation = \"async\"\nasync = { max_retries = 0, on_failure = \"destination\" }",
    ));
    let f = &common::run_once(&sc.scenario).functions[0];
    assert_eq!(f.invocations, 4);
    assert_eq!(f.events.retries, 0);
    assert_eq!(f.events.to_destination, 4);
    assert_eq!(f.events.dropped, 0);
}

/// Exact, against the documented formula (docs services-sqs-scaling.html: five concurrent
/// batches, then up to 300 more per minute, at most 1,000): with one-message batches
/// that each hold their sandbox for an hour, the batches started by t are
/// min(1,000, 5 + floor(t / 200 ms)): 5 at 0 s, 305 by 60 s, 905 by 180 s, 1,000 from
/// 199 s on.
#[test]
fn sqs_pollers_ramp_at_three_hundred_per_minute_from_five_to_the_maximum() {
    let sc = common::load(&burst(
        3000,
        "1h",
        "",
        "invocation = \"sqs\"\nsqs = { batch_size = 1 }",
    ));
    let (run, recs) = common::run_collect(&sc.scenario);
    let started_by = |s: u64| {
        recs.iter()
            .filter(|r| r.request.start.as_us() <= s * US_PER_S)
            .count()
    };
    assert_eq!(started_by(0), 5);
    assert_eq!(started_by(1), 10);
    assert_eq!(started_by(60), 305);
    assert_eq!(started_by(180), 905);
    assert_eq!(started_by(199), 1000);
    assert_eq!(started_by(3000), 1000);
    assert_eq!(run.functions[0].peak_in_flight, 1000);
    // A lower maximum_concurrency caps the ramp.
    let sc = common::load(&burst(
        300,
        "1h",
        "",
        "invocation = \"sqs\"\nsqs = { batch_size = 1, maximum_concurrency = 40 }",
    ));
    assert_eq!(
        common::run_once(&sc.scenario).functions[0].peak_in_flight,
        40
    );
}

/// Exact: 1,234 messages at once in batches of 10 (window 1 s, so messages arriving at the
/// same instant are not taken one by one) make ceil(1,234 / 10) = 124 invocations (123
/// full batches, and one of 4 when the window of its oldest message closes).
#[test]
fn sqs_batches_are_ceil_messages_over_batch_size() {
    let sc = common::load(&burst(
        1234,
        "100ms",
        "",
        "invocation = \"sqs\"\nsqs = { batching_window = \"1s\" }",
    ));
    let f = &common::run_once(&sc.scenario).functions[0];
    assert_eq!(f.events.batches, 124);
    assert_eq!(f.invocations, 124);
    assert_eq!(f.events.batched_events, 1234);
}

/// A trace of `n` requests `every_ms` apart from `first_ms`, as a scenario calling `f` with
/// traffic keys `tkeys`.
fn trace_scenario(
    dir: &std::path::Path,
    n: u32,
    first_ms: u32,
    every_ms: u32,
    tkeys: &str,
) -> String {
    let rows: String = (0..n)
        .map(|i| format!("{:.3}\n", (first_ms + i * every_ms) as f64 / 1e3))
        .collect();
    std::fs::write(dir.join("t.csv"), format!("timestamp\n{rows}")).unwrap();
    format!(
        r#"
[run]
duration = "1h"
[platform]
account_concurrency = 10000
max_lifetime = "30d"
[[function]]
name = "f"
memory_mb = 1769
handler = "1s"
cold_start = "0ms"
[[traffic]]
function = "f"
kind = "trace"
format = "timestamps"
file = "{}"
{tkeys}
"#,
        dir.join("t.csv").display()
    )
}

/// Exact, hand-traced: messages 1 s apart from 0.5 s, batching window 4.75 s: a batch
/// closes 4.75 s after its oldest message, so it holds 5 messages (0.5..4.5 s, taken at
/// 5.25 s), aged 4.75, 3.75, 2.75, 1.75, 0.75 s: mean 2.75 s. 25 messages: 5 batches of 5.
#[test]
fn the_sqs_batching_window_gathers_messages_until_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    let text = trace_scenario(
        dir.path(),
        25,
        500,
        1000,
        "invocation = \"sqs\"\nsqs = { batching_window = \"4750ms\" }",
    );
    let sc = common::load(&text);
    let (run, recs) = common::run_collect(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!(f.events.batches, 5);
    assert_eq!(f.events.batched_events, 25);
    assert_eq!(recs[0].request.start.as_us(), 5_250_000);
    let mean_ms = f.events.age.mean_us() / 1e3;
    assert!((mean_ms / 2_750.0 - 1.0).abs() < 0.01, "mean age {mean_ms}");
}

/// Exact: 3 shards × factor 2 = 6 lanes, one batch in flight per lane: 600 one-record
/// batches of 1 s starting 1 ms apart run 6 at a time (peak 6, last end at 100 s + the
/// last lane's offset), and within a lane (record i goes to lane i mod 6) each batch
/// starts after the previous one ended, in arrival order.
#[test]
fn a_stream_runs_shards_times_factor_batches_in_order_per_lane() {
    let dir = tempfile::tempdir().unwrap();
    let text = trace_scenario(
        dir.path(),
        600,
        0,
        1,
        "invocation = \"stream\"\nstream = { shards = 3, parallelization_factor = 2, batch_size = 1 }",
    );
    let sc = common::load(&text);
    let (run, recs) = common::run_collect(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!(f.peak_in_flight, 6);
    assert_eq!(f.invocations, 600);
    for lane in 0..6u64 {
        let mut mine: Vec<_> = recs
            .iter()
            .filter(|r| (r.request.arrival.as_us() / 1_000) % 6 == lane)
            .collect();
        mine.sort_by_key(|r| r.request.arrival);
        assert_eq!(mine.len(), 100);
        for w in mine.windows(2) {
            assert!(
                w[1].request.start >= w[0].end,
                "lane {lane}: one at a time, in order"
            );
        }
        // Back to back: the 100th starts at 99 s after the first.
        let span = mine[99].request.start.as_us() - mine[0].request.start.as_us();
        assert_eq!(span, 99 * US_PER_S);
    }
}

/// Exact: a sync scenario's figures have no event-source keys; an async one's have them.
#[test]
fn event_figures_are_reported_only_for_functions_with_an_event_source() {
    let sync = common::summary(&burst(10, "1s", "", ""));
    assert!(sync.get("f", "batches").is_none());
    let s = common::summary(&burst(
        10,
        "1s",
        "",
        "invocation = \"sqs\"\nsqs = { batching_window = \"1s\" }",
    ));
    assert_eq!(s.get("f", "batches"), Some(1.0));
    assert_eq!(s.get("f", "events_per_batch"), Some(10.0));
    assert!(s.get("f", "event_age_ms.p99").is_some());
    assert_eq!(s.get("f", "dropped_events"), Some(0.0));
    assert_eq!(s.get("f", "expired_events"), Some(0.0));
}

/// A function-level `invocation` is the default of its traffic.
#[test]
fn a_function_level_invocation_is_the_default_of_its_traffic() {
    let s = common::summary(&burst(
        20,
        "1s",
        "invocation = \"sqs\"",
        "sqs = { batching_window = \"1s\" }",
    ));
    assert_eq!(s.get("f", "batches"), Some(2.0));
}

fn bad(fkeys: &str, tkeys: &str, must: &[&str]) {
    let (_dir, path) = common::write(&burst(10, "1s", fkeys, tkeys));
    common::assert_bad_input(common::run_scenario_file(&path), "scenario.toml", must);
}

/// Every new key: a clear error naming file and key, exit 2.
#[test]
fn bad_event_source_keys_are_input_errors_naming_the_key() {
    bad(
        "",
        "invocation = \"sqs\"\nasync = { max_retries = 1 }",
        &["traffic[0].async", "invocation"],
    );
    bad("", "stream = { shards = 2 }", &["traffic[0].stream"]);
    bad(
        "",
        "invocation = \"async\"\nasync = { max_retries = 3 }",
        &["traffic[0].async.max_retries"],
    );
    bad(
        "",
        "invocation = \"async\"\nasync = { max_event_age = \"30s\" }",
        &["traffic[0].async.max_event_age"],
    );
    bad(
        "",
        "invocation = \"async\"\nasync = { max_event_age = \"7h\" }",
        &["traffic[0].async.max_event_age"],
    );
    bad(
        "",
        "invocation = \"async\"\nasync = { on_failure = \"dlq\" }",
        &["on_failure"],
    );
    bad(
        "",
        "invocation = \"async\"\nasync = { retries = 1 }",
        &["retries"],
    );
    bad(
        "",
        "invocation = \"sqs\"\nsqs = { batch_size = 0 }",
        &["traffic[0].sqs.batch_size"],
    );
    bad(
        "",
        "invocation = \"sqs\"\nsqs = { batch_size = 100 }",
        &["traffic[0].sqs.batching_window"],
    );
    bad(
        "",
        "invocation = \"sqs\"\nsqs = { batching_window = \"301s\" }",
        &["traffic[0].sqs.batching_window"],
    );
    bad(
        "",
        "invocation = \"sqs\"\nsqs = { maximum_concurrency = 1 }",
        &["traffic[0].sqs.maximum_concurrency"],
    );
    bad(
        "",
        "invocation = \"stream\"\nstream = { shards = 0 }",
        &["traffic[0].stream.shards"],
    );
    bad(
        "",
        "invocation = \"stream\"\nstream = { parallelization_factor = 11 }",
        &["traffic[0].stream.parallelization_factor"],
    );
    bad(
        "",
        "invocation = \"stream\"\nstream = { batch_size = 10001 }",
        &["traffic[0].stream.batch_size"],
    );
    bad("", "invocation = \"queue\"", &["invocation"]);
    bad("error_rate = 1.5", "", &["function[0].error_rate"]);
    bad("invocation = \"later\"", "", &["invocation"]);
    let (_dir, path) = common::write(
        &burst(10, "1s", "", "")
            .replace("[platform]\n", "[platform]\nasync_delivery = \"later\"\n"),
    );
    common::assert_bad_input(
        common::run_scenario_file(&path),
        "scenario.toml",
        &["async_delivery"],
    );
}

/// Exact: async events go through pollers with the SQS ramp (the modelled rule): events
/// holding their sandbox for an hour start at 5 + floor(t / 200 ms) by t; with
/// `async_delivery = "immediate"` all 400 start at once.
#[test]
fn async_events_start_at_the_pollers_ramp_unless_delivery_is_immediate() {
    let text = burst(400, "1h", "", "invocation = \"async\"");
    let (_, recs) = common::run_collect(&common::load(&text).scenario);
    let started_by = |recs: &[coldsim::sim::InvocationRecord], ms: u64| {
        recs.iter()
            .filter(|r| r.request.start.as_us() <= ms * 1_000)
            .count()
    };
    assert_eq!(started_by(&recs, 0), 5);
    assert_eq!(started_by(&recs, 1_000), 10);
    assert_eq!(started_by(&recs, 30_000), 155);
    assert_eq!(started_by(&recs, 79_000), 400);
    assert_eq!(started_by(&recs, 78_999), 399);
    let immediate = text.replace(
        "[platform]\n",
        "[platform]\nasync_delivery = \"immediate\"\n",
    );
    let (_, recs) = common::run_collect(&common::load(&immediate).scenario);
    assert_eq!(started_by(&recs, 0), 400);
}

/// Exact, hand-traced: an SQS batch that is always throttled (reserved concurrency 0) stays
/// at the head while its poller backs off 1 s, 2 s, … 256 s, then 300 s: tried at 0, 1, 3,
/// …, 511 s, then every 300 s up to 511 + 300·1,150 = 345,511 s, the last attempt within
/// the 4-day retention (345,600 s): 1,160 attempts, then its 10 messages expire.
#[test]
fn an_always_throttled_sqs_batch_backs_off_until_its_messages_expire() {
    let sc = common::load(&burst(
        10,
        "1s",
        "reserved_concurrency = 0",
        "invocation = \"sqs\"\nsqs = { batching_window = \"1s\" }",
    ));
    let run = common::run_once(&sc.scenario);
    let f = &run.functions[0];
    assert_eq!(f.invocations, 0);
    assert_eq!(f.events.throttled_attempts, 1160);
    assert_eq!(f.events.expired, 10);
    assert_eq!(f.events.pending_at_end, 0);
}
