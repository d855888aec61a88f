//! Bad input gets a clear message naming the file and the key or row, and exit code 2;
//! never a panic, never a hang.

use crate::common;

use std::path::Path;

use common::VALID;

/// Runs `toml` as a scenario file and returns (exit code, stderr).
fn run_toml(toml: &str) -> (i32, String) {
    let (_dir, path) = common::write(toml);
    common::run_scenario_file(&path)
}

fn assert_input_error(toml: &str, must_mention: &[&str]) {
    common::assert_bad_input(run_toml(toml), "scenario.toml", must_mention);
}

#[test]
fn valid_scenario_runs() {
    let (code, err) = run_toml(VALID);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn unknown_key_is_an_error_naming_it_and_its_line() {
    assert_input_error(
        &VALID.replace("rate = 2.0", "rate = 2.0\nrat = 3"),
        &["rat", "line"],
    );
    assert_input_error(
        &VALID.replace("seed = 3", "seed = 3\nreplicatons = 2"),
        &["replicatons"],
    );
    assert_input_error(
        &VALID.replace(
            "[run]",
            "[platform]\nkeep_alive = \"5m\"\nkeepalive = \"5m\"\n[run]",
        ),
        &["keepalive"],
    );
}

#[test]
fn wrong_unit_or_bare_number_for_a_duration_is_an_error() {
    assert_input_error(
        &VALID.replace("\"1h\"", "\"1 fortnight\""),
        &["duration", "unit"],
    );
    assert_input_error(&VALID.replace("\"1h\"", "3600"), &["bare number"]);
    assert_input_error(&VALID.replace("\"80ms\"", "\"80kg\""), &["unit"]);
}

#[test]
fn negative_duration_is_an_error() {
    assert_input_error(&VALID.replace("\"80ms\"", "\"-80ms\""), &["negative"]);
}

#[test]
fn out_of_range_values_name_their_key() {
    assert_input_error(
        &VALID.replace("memory_mb = 512", "memory_mb = 64"),
        &["function[0].memory_mb"],
    );
    assert_input_error(
        &VALID.replace("rate = 2.0", "rate = -1.0"),
        &["traffic[0].rate"],
    );
    assert_input_error(
        &VALID.replace("rate = 2.0", "rate = 1e300"),
        &["traffic[0].rate"],
    );
    assert_input_error(
        &VALID.replace("function = \"api\"", "function = \"apii\""),
        &["no function named \"apii\""],
    );
    assert_input_error(
        &VALID.replace("kind = \"poisson\"", "kind = \"poison\""),
        &["unknown kind"],
    );
    assert_input_error(
        &VALID.replace("rate = 2.0", "rate = 2.0\nburst_rate = 5.0"),
        &["burst_rate", "does not apply"],
    );
    assert_input_error(
        &VALID
            .replace("arch", "x")
            .replace("memory_mb = 512", "memory_mb = 512\narch = \"x86\""),
        &["x86"],
    );
    assert_input_error(
        &VALID.replace("duration = \"1h\"", "duration = \"1h\"\nwarmup = \"2h\""),
        &["run.warmup"],
    );
    assert_input_error(
        &VALID.replace("duration = \"1h\"", "duration = \"100000d\""),
        &["traffic", "arrivals"],
    );
}

#[test]
fn missing_files_are_errors_naming_the_key() {
    assert_input_error(
        &VALID.replace("python312-hello", "python312-nope"),
        &["function[0].workload", "not found"],
    );
    let trace = VALID.replace(
        "kind = \"poisson\"\nrate = 2.0",
        "kind = \"trace\"\nfile = \"nowhere.csv\"\nformat = \"timestamps\"",
    );
    assert_input_error(&trace, &["traffic[0].file", "not found"]);
    common::assert_bad_input(
        common::cli(&["scenario", "no/such/scenario.toml"]),
        "no/such/scenario.toml",
        &[],
    );
}

fn with_trace(csv: &str) -> (i32, String) {
    let (dir, path) = common::write(&VALID.replace(
        "kind = \"poisson\"\nrate = 2.0",
        "kind = \"trace\"\nfile = \"t.csv\"\nformat = \"timestamps\"",
    ));
    std::fs::write(dir.path().join("t.csv"), csv).unwrap();
    common::run_scenario_file(&path)
}

#[test]
fn malformed_csv_row_is_reported_with_its_row_number() {
    common::assert_bad_input(
        with_trace("timestamp\n1.0\n2.0\nsoon\n4.0\n"),
        "t.csv",
        &["row 3"],
    );
    common::assert_bad_input(
        with_trace("timestamp\n1.0\n5.0\n4.0\n"),
        "t.csv",
        &["row 3"],
    );
}

#[test]
fn empty_trace_is_an_error() {
    common::assert_bad_input(with_trace("timestamp\n"), "t.csv", &[]);
}

#[test]
fn bad_command_line_values_exit_with_two() {
    let (code, err) = common::cli(&["scenario", "scenarios/steady.toml", "--replications", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--replications"), "{err}");
    let (code, err) = common::cli(&["scenario", "scenarios/steady.toml", "--format", "xml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("xml"), "{err}");
}

#[test]
fn mutated_scenarios_never_panic_and_never_hang() {
    // Deterministic mutations of a valid scenario (characters dropped, duplicated and
    // replaced). Each must load or fail cleanly; the ones that load then run (the size guard
    // refuses scenarios whose expected arrivals would take too long to simulate).
    let dir = tempfile::tempdir().unwrap();
    for (i, m) in common::mutations(VALID, 400).into_iter().enumerate() {
        let path = dir.path().join(format!("m{i}.toml"));
        std::fs::write(&path, &m).unwrap();
        let result = std::panic::catch_unwind(|| {
            if let Ok(sc) = coldsim::config::load_scenario(Path::new(&path)) {
                let _ = coldsim::sim::run(&sc, 0, None, None);
            }
        });
        assert!(
            result.is_ok(),
            "panic on mutation {i}:\n{}",
            String::from_utf8_lossy(&m)
        );
    }
}
