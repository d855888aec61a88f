//! The per-request timestamp trace reader (`format = "timestamps"`): the input is a CSV file
//! opened with the default column. A trace that opens must stream back exactly as many
//! non-decreasing arrivals as it counted, ending at its `last()`.
#![no_main]

use coldsim::traffic::TimestampTrace;
use coldsim::traffic::trace::DEFAULT_TIMESTAMP_COLUMN;
use coldsim_fuzz::{check_error, scratch_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = scratch_file("timestamps.csv", data);
    let trace = match TimestampTrace::open(&path, DEFAULT_TIMESTAMP_COLUMN) {
        Ok(t) => t,
        Err(e) => return check_error(&e, &path),
    };
    let mut cursor = trace.cursor().expect("a validated trace reopens");
    let mut n = 0u64;
    let mut prev = None;
    while let Some(t) = cursor.next_arrival() {
        assert!(prev.is_none_or(|p| p <= t), "arrivals out of order");
        prev = Some(t);
        n += 1;
    }
    assert_eq!(n, trace.len(), "streamed rows");
    assert_eq!(prev, Some(trace.last()), "last arrival");
});
