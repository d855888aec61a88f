//! The CloudWatch Logs Insights CSV reader: any bytes as an export. It returns a table whose
//! bookkeeping adds up, or an error naming the file; a table converts to observations
//! ungrouped, by memory, and by each extra column.
#![no_main]

use std::path::Path;

use coldsim::calibrate::read::generic::Observations;
use coldsim::calibrate::read::insights::read_insights;
use coldsim_fuzz::{check_diagnostics, check_error, check_observations};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-insights.csv");
    let table = match read_insights(data, path) {
        Ok(t) => t,
        Err(e) => return check_error(&e, path),
    };
    check_diagnostics(&table.diagnostics, table.records.len());
    for r in &table.records {
        assert_eq!(r.extra.len(), table.extra_columns.len(), "extra cells");
    }
    let mut groupings = vec![vec![], vec!["memory_size_mb".to_string()]];
    groupings.extend(table.extra_columns.iter().map(|c| vec![c.clone()]));
    for g in &groupings {
        let o = Observations::from_insights(&table, g).expect("known grouping columns");
        check_observations(&o);
    }
});
