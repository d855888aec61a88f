//! CSV output: one row per function and figure (`function,figure,value,ci95`), the total as
//! function `total`.

use crate::stats::figures::{Figure, Summary};

fn cell(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

fn rows(out: &mut csv::Writer<Vec<u8>>, name: &str, figures: &[Figure]) {
    for f in figures {
        // Writing to memory cannot fail.
        let _ = out.write_record([name, &f.key, &cell(f.mean), &cell(f.ci95)]);
    }
}

/// The summary as CSV text (the csv crate: a name with a comma, quote or line break is
/// quoted). No function is named `total` (see [`crate::config::scenario::TOTAL_NAME`]).
pub fn render(s: &Summary) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record(["function", "figure", "value", "ci95"]);
    for (name, figs) in &s.functions {
        rows(&mut out, name, figs);
    }
    rows(&mut out, crate::config::scenario::TOTAL_NAME, &s.total);
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
