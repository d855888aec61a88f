//! Lambda's documented limits as platform defaults (issue 12, item 7): the 10 s on-demand
//! init limit is on by default, `"off"` disables it, and a bad value is an input error.
//! Its cut-and-retry on a real workload is checked in anatomy_scenarios.rs
//! (pytorch_image_inits_over_ten_seconds_are_cut_and_retried).

use crate::common;

use common::VALID;

fn with_platform(extra: &str) -> String {
    VALID.replace("[run]", &format!("[platform]\n{extra}\n[run]"))
}

#[test]
fn a_bad_init_timeout_is_an_input_error_naming_the_key() {
    for (value, mention) in [
        ("\"soon\"", &["init_timeout", "off"][..]),
        ("10", &["init_timeout", "bare number"][..]),
        ("\"0s\"", &["init_timeout", "longer than zero"][..]),
    ] {
        let (_dir, path) = common::write(&with_platform(&format!("init_timeout = {value}")));
        common::assert_bad_input(common::run_scenario_file(&path), "scenario.toml", mention);
    }
}

/// A hello-world init (~0.1 s) never reaches 10 s: the default limit, the limit `"off"`
/// and a named "10s" draw the same numbers; only the named limit lists `reinits` (0).
#[test]
fn the_default_limit_changes_nothing_below_ten_seconds_and_off_disables_it() {
    let default = common::summary(VALID);
    let off = common::summary(&with_platform("init_timeout = \"off\""));
    let named = common::summary(&with_platform("init_timeout = \"10s\""));
    for key in ["cold_starts", "init_duration_ms.max", "latency_ms.p99"] {
        assert_eq!(default.get("api", key), off.get("api", key), "{key}");
        assert_eq!(default.get("api", key), named.get("api", key), "{key}");
    }
    assert!(default.get("api", "reinits").is_none());
    assert!(off.get("api", "reinits").is_none());
    assert_eq!(named.get("api", "reinits"), Some(0.0));
}
