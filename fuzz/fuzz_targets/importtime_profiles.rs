//! The importtime profile table (`self_us, cumulative_us, depth, module[, line_no]` + key columns): any bytes. The reader returns traces whose bookkeeping adds up and whose parent
//! links are consistent (then summarised with `module_costs`), or an error naming the file.
//! The content-sniffing `read_importtime_any` reads the same bytes too, with the same checks.
#![no_main]

use std::path::Path;

use coldsim::calibrate::read::importtime::{read_importtime_any, read_importtime_profiles};
use coldsim_fuzz::{check_error, check_import_traces};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-imports.csv");
    match read_importtime_profiles(data, path) {
        Ok(t) => check_import_traces(&t),
        Err(e) => check_error(&e, path),
    }
    match read_importtime_any(data, path) {
        Ok(t) => check_import_traces(&t),
        Err(e) => check_error(&e, path),
    }
});
