//! The generic CSV reader: the first line of the input is the column mapping
//! (`VALUE|GROUPS|TIME|FILTER`, as the CLI flags `--value`, `--group`, `--time`, `--filter`;
//! TIME and FILTER may be empty), the rest is the CSV. A mapping the CLI would reject is
//! skipped; otherwise the reader returns observations that add up, or an error naming the
//! file.
#![no_main]

use std::path::Path;

use coldsim::calibrate::read::generic::{ColumnMapping, read_generic};
use coldsim_fuzz::{check_error, check_observations};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (first, csv) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let Ok(first) = std::str::from_utf8(first) else {
        return;
    };
    let mut parts = first.splitn(4, '|');
    let value = parts.next().unwrap_or_default();
    let group = parts.next().unwrap_or_default();
    let time = parts.next().filter(|t| !t.is_empty());
    let filters: Vec<String> = parts
        .next()
        .filter(|f| !f.is_empty())
        .map(|f| vec![f.to_string()])
        .unwrap_or_default();
    let Ok(mapping) = ColumnMapping::parse(value, group, time, &filters) else {
        return;
    };
    let path = Path::new("fuzz-generic.csv");
    match read_generic(csv, path, &mapping) {
        Ok(o) => check_observations(&o),
        Err(e) => check_error(&e, path),
    }
});
