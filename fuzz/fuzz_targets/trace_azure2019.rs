//! The Azure Functions 2019 per-minute trace reader (`format = "azure2019"`): the input is a
//! CSV file; the function is picked by row (1 and 2) and by the `HashFunction` of the shipped
//! sample. A trace that opens must generate exactly its total of arrivals, non-decreasing,
//! in the minute that counted it (checked up to a bound on the count, to keep runs fast).
#![no_main]

use coldsim::engine::RngStreams;
use coldsim::engine::time::US_PER_MIN;
use coldsim::traffic::Azure2019Trace;
use coldsim::traffic::trace::AzureSelector;
use coldsim_fuzz::{check_error, scratch_file};
use libfuzzer_sys::fuzz_target;

/// Arrivals checked per trace at most.
const MAX_CHECKED: u64 = 100_000;

fuzz_target!(|data: &[u8]| {
    let path = scratch_file("azure2019.csv", data);
    let selectors = [
        AzureSelector::Row(1),
        AzureSelector::Row(2),
        AzureSelector::Function("synthetic73751f394403911ce4e5c6ca".to_string()),
    ];
    for selector in &selectors {
        match Azure2019Trace::open(&path, selector) {
            Ok(trace) => check_trace(&trace),
            Err(e) => check_error(&e, &path),
        }
    }
});

fn check_trace(trace: &Azure2019Trace) {
    let sum: u64 = trace.per_minute().iter().map(|&c| u64::from(c)).sum();
    assert_eq!(sum, trace.total_invocations());
    assert_eq!(trace.per_minute().len(), trace.minutes());
    if trace.total_invocations() > MAX_CHECKED {
        return;
    }
    let mut rng = RngStreams::new(1).stream("traffic", "fuzz");
    let mut cursor = trace.cursor();
    let mut per_minute = vec![0u32; trace.minutes()];
    let mut prev = 0u64;
    while let Some(t) = cursor.next_arrival(&mut rng) {
        let us = t.0;
        assert!(us >= prev, "arrivals out of order");
        prev = us;
        let minute = usize::try_from(us / US_PER_MIN).expect("minute index");
        *per_minute
            .get_mut(minute)
            .expect("arrival past the last minute") += 1;
    }
    assert_eq!(per_minute, trace.per_minute(), "arrivals per minute");
}
