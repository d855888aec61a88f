//! CSV output: one row per function and figure (`function,figure,value,ci95`), the total as
//! function `total`.

use crate::stats::figures::{Figure, Summary};

fn cell(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

fn rows(out: &mut String, name: &str, figures: &[Figure]) {
    for f in figures {
        out.push_str(&format!(
            "{},{},{},{}\n",
            name,
            f.key,
            cell(f.mean),
            cell(f.ci95)
        ));
    }
}

/// The summary as CSV text. Function names are quoted if they need it.
pub fn render(s: &Summary) -> String {
    let mut out = String::from("function,figure,value,ci95\n");
    for (name, figs) in &s.functions {
        let quoted = if name.contains([',', '"', '\n']) {
            format!("\"{}\"", name.replace('"', "\"\""))
        } else {
            name.clone()
        };
        rows(&mut out, &quoted, figs);
    }
    rows(&mut out, "total", &s.total);
    out
}
