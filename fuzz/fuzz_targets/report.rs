//! The CloudWatch REPORT line reader: any bytes as a log. It never fails; its bookkeeping
//! must add up, and its records must convert to observations for every metric.
#![no_main]

use std::path::Path;

use coldsim::calibrate::read::generic::{ColdMetric, Observations};
use coldsim::calibrate::read::report::read_report;
use coldsim_fuzz::{check_diagnostics, check_observations};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let log = read_report(data, Path::new("fuzz.log")).expect("read_report never fails");
    check_diagnostics(&log.diagnostics, log.records.len());
    for metric in [ColdMetric::Init, ColdMetric::Restore] {
        for by_memory in [false, true] {
            let o = Observations::from_reports(&log.records, metric, by_memory);
            check_observations(&o);
        }
    }
});
