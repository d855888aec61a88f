//! Retirement with replacement (issue 12, item 1): a sandbox retires at its maximum
//! lifetime; with the replacement share the platform first initialises a replacement off
//! the request path, a lead time ahead, which joins the idle pool when ready. Each test is a
//! hand-traced run of one function with a constant lifetime.

use crate::common;

use coldsim::engine::SimDuration;
use coldsim::lambda::{Arch, Packaging};
use coldsim::outcome::FunctionStats;
use coldsim::outcome::bill::cost_inputs;

/// One function (1,769 MB, handler 100 ms, constant cold start `cold`) called every 10 s
/// from t = 0.5 s (`n` requests) for `duration`; keep-alive 10 min, lifetime 60 min, and
/// the replacement keys `platform`.
fn steady(dir: &std::path::Path, n: u32, duration: &str, cold: &str, platform: &str) -> String {
    let trace = dir.join("steady.csv");
    common::timestamps_trace(&trace, 10, n);
    format!(
        r#"
[run]
duration = "{duration}"
seed = 3
[platform]
keep_alive = "10m"
max_lifetime = "60m"
{platform}
[[function]]
name = "f"
memory_mb = 1769
packaging = "zip"
handler = "100ms"
cold_start = "{cold}"
[[traffic]]
function = "f"
kind = "trace"
format = "timestamps"
file = "{}"
"#,
        trace.display()
    )
}

fn stats(toml: &str) -> FunctionStats {
    let t = common::load(toml);
    common::run_once(&t.scenario).functions[0].clone()
}

const REPLACE_ALL: &str = "replacement_share = 1.0\nreplacement_lead = \"2m\"";

/// 1,800 requests 10 s apart over 5 h, lifetime L = 60 min, init 300 ms.
///
/// Share 0: the first sandbox retires at 3,600.5 s, exactly when a request arrives (an idle
/// sandbox whose expiry has come is not taken), so a new sandbox cold-starts at each of
/// 3,600.5, 7,200.5, 10,800.5 and 14,400.5 s: 1 + 4 = 5 cold starts.
///
/// Share 1, lead 2 min > init: sandbox k+1's replacement starts 120 s before sandbox k
/// retires, i.e. at born_k + 3,480 s, and is ready 0.3 s later, before the next request,
/// which takes it (the most recently idle). So only the first request cold-starts, and
/// replacements start at 0.5 + 3,480 k s for k = 1, 2, ... while before 18,000 s:
/// k <= 5, i.e. floor((D - 0.5 s) / (L - lead)) = 5 = floor(D / L) replacement inits.
/// The retired sandboxes are the first and the replacements born at k <= 4 (retiring at
/// 0.5 + 3,480 k + 3,600 s <= 17,520.5 s): 5; the last replacement is alive at the end.
/// Tolerance: exact.
#[test]
fn replacement_share_1_with_a_lead_longer_than_init_removes_every_retirement_cold_start() {
    let dir = tempfile::tempdir().unwrap();
    let off = stats(&steady(
        dir.path(),
        1_800,
        "5h",
        "300ms",
        "replacement_share = 0",
    ));
    assert_eq!(off.invocations, 1_800);
    assert_eq!(off.cold_starts, 5);
    assert_eq!(off.retired_lifetime, 4);
    assert_eq!(off.replacement_inits, 0);

    let on = stats(&steady(dir.path(), 1_800, "5h", "300ms", REPLACE_ALL));
    assert_eq!(on.invocations, 1_800);
    assert_eq!(on.cold_starts, 1);
    assert_eq!(on.warm_starts, 1_799);
    assert_eq!(on.replacement_inits, 5);
    assert_eq!(on.inits, 6);
    assert_eq!(on.sandboxes_created, 6);
    assert_eq!(on.retired_lifetime, 5);
    assert_eq!(on.alive_at_end, 1);
    assert_eq!(on.reclaimed_keep_alive, 0);
    // Off the request path: no cold latency, but the init counts and is billed (ZIP, billed
    // INIT from 2025-08-01 under the default billing date): 6 inits × 300 ms.
    assert_eq!(on.cold_latency.count(), 1);
    assert_eq!(on.offpath_on_demand_init_us, 5 * 300_000);
    let measured = SimDuration::from_secs(5 * 3_600);
    let bill = cost_inputs(&on, Arch::X86_64, 1769, Packaging::Zip, measured);
    assert_eq!(bill.on_demand_init_ms, 6.0 * 300.0);
}

/// The replacement joins the idle pool at retire_at - lead + init = 3,600.5 - 125 + init s
/// (lead 125 s). With init 4.9 s it is ready at 3,480.4 s and the request at 3,480.5 s runs
/// on it; with init 5.2 s it is ready at 3,480.7 s, so that request still runs on the first
/// sandbox (free again at 3,480.6 s, below the replacement in the most-recently-used
/// order) and the one at 3,490.5 s is the replacement's first. (Ids: the first sandbox is
/// 0, the replacement 1.) Tolerance: exact, to the 0.3 s bracket around the ready time.
#[test]
fn the_replacement_joins_the_idle_pool_at_retire_at_minus_lead_plus_init() {
    let dir = tempfile::tempdir().unwrap();
    let lead = "replacement_share = 1.0\nreplacement_lead = \"125s\"";
    for (init, first_on_replacement_s) in [("4900ms", 3_480.5), ("5200ms", 3_490.5)] {
        let t = common::load(&steady(dir.path(), 400, "70m", init, lead));
        let (stats, recs) = common::run_collect(&t.scenario);
        assert_eq!(stats.functions[0].cold_starts, 1);
        assert_eq!(stats.functions[0].replacement_inits, 1);
        let first = recs
            .iter()
            .find(|r| r.sandbox == 1)
            .expect("replacement used");
        assert_eq!(
            first.request.arrival.as_us(),
            (first_on_replacement_s * 1e6) as u64,
            "init {init}"
        );
        assert!(!first.request.cold);
        // Every earlier request ran on the first sandbox.
        assert!(
            recs.iter()
                .take_while(|r| r.request.arrival < first.request.arrival)
                .all(|r| r.sandbox == 0)
        );
    }
}

/// One request at 0.5 s: its sandbox is reclaimed by keep-alive at 600.6 s, long before its
/// replacement would start (3,480.5 s). Nothing is replaced. Tolerance: exact.
#[test]
fn a_sandbox_reclaimed_by_keep_alive_gets_no_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let s = stats(&steady(dir.path(), 1, "2h", "300ms", REPLACE_ALL));
    assert_eq!(s.invocations, 1);
    assert_eq!(s.replacement_inits, 0);
    assert_eq!(s.inits, 1);
    assert_eq!(s.sandboxes_created, 1);
    assert_eq!(s.reclaimed_keep_alive, 1);
    assert_eq!(s.retired_lifetime, 0);
}

/// Share 0 draws nothing: the output is the same whatever the lead, and has no
/// `replacement_inits` key (outputs without replacement keep their keys); with share 1 the
/// key is there. Tolerance: exact (byte-identical JSON).
#[test]
fn share_zero_is_the_behaviour_without_replacement_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let json = |platform: &str| {
        let text = steady(dir.path(), 1_800, "5h", "300ms", platform);
        let (_d, path) = common::write(&text);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_coldsim"))
            .args(["scenario", path.to_str().unwrap(), "--format", "json"])
            .args(["--replications", "2"])
            .output()
            .expect("run coldsim");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let a = json("replacement_share = 0.0\nreplacement_lead = \"2m\"");
    let b = json("replacement_share = 0.0\nreplacement_lead = \"50m\"");
    assert_eq!(a, b);
    assert!(!a.contains("replacement_inits"));
    assert!(json(REPLACE_ALL).contains("\"replacement_inits\""));
}

/// Every new key refuses bad values with exit 2, naming the file and the key.
#[test]
fn bad_replacement_keys_are_input_errors_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("replacement_share = 1.5", "replacement_share"),
        ("replacement_share = -0.1", "replacement_share"),
        ("replacement_share = nan", "replacement_share"),
        ("replacement_share = \"half\"", "replacement_share"),
        ("replacement_lead = \"-5s\"", "replacement_lead"),
        ("replacement_lead = \"soon\"", "replacement_lead"),
        (
            "replacement_lead = { dist = \"bogus\" }",
            "replacement_lead",
        ),
        ("proactive_init_share = 2", "proactive_init_share"),
    ];
    for (line, key) in cases {
        let text = steady(dir.path(), 10, "1h", "300ms", line);
        let (_d, path) = common::write(&text);
        common::assert_bad_input(common::run_scenario_file(&path), "scenario.toml", &[key]);
    }
}

/// A lead within a millisecond of the lifetime would replace every live sandbox a thousand
/// times a second: 2 × 1.0 × 1,000 sandboxes × 7 d / 1 ms ≈ 1.2e12 events, over the 1e10
/// budget, so the run is refused up front naming the key. Tolerance: exact (exit 2).
#[test]
fn a_replacement_lead_close_to_the_lifetime_is_refused_as_too_much_work() {
    let dir = tempfile::tempdir().unwrap();
    let text = steady(
        dir.path(),
        10,
        "7d",
        "300ms",
        "replacement_share = 1.0\nreplacement_lead = \"3599999ms\"",
    );
    let (_d, path) = common::write(&text);
    common::assert_bad_input(
        common::run_scenario_file(&path),
        "scenario.toml",
        &["platform.replacement_share"],
    );
}
