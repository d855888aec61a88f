//! The JSON output (DESIGN.md, "Output"): `{"scenario", "replications", "functions": {NAME:
//! FIGURES}, "total": FIGURES}`; with several replications, FIGURES.ci95 holds the 95% CI
//! half-width of each figure under the same key path. Keys keep a fixed order and numbers a
//! fixed rounding, so the same run gives byte-identical output.

use serde_json::{Map, Value};

use crate::stats::figures::{Figure, Summary};

/// Rounds to 9 significant digits: stable text, far below any model's precision (the
/// scenario JSON and the compare/sweep JSON).
pub(super) fn number(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    if x == x.trunc() && x.abs() < 9.0e15 {
        return Value::from(x as i64);
    }
    let digits = 8 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(-300, 300));
    let rounded = (x * scale).round() / scale;
    serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

fn insert_path(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_string(), value);
            return;
        }
        let child = node
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        let Value::Object(map) = child else { return };
        node = map;
    }
}

/// FIGURES: the figures as nested objects, plus `ci95` when any figure has an interval.
fn figures_object(figures: &[Figure]) -> Value {
    let mut out = Map::new();
    let mut ci = Map::new();
    for f in figures {
        insert_path(&mut out, &f.key, f.mean.map_or(Value::Null, number));
        if let Some(h) = f.ci95 {
            insert_path(&mut ci, &f.key, number(h));
        }
    }
    if !ci.is_empty() {
        out.insert("ci95".into(), Value::Object(ci));
    }
    Value::Object(out)
}

/// The whole output object.
pub fn to_value(s: &Summary) -> Value {
    let mut functions = Map::new();
    for (name, figs) in &s.functions {
        functions.insert(name.clone(), figures_object(figs));
    }
    let mut root = Map::new();
    root.insert("scenario".into(), Value::from(s.scenario.clone()));
    root.insert("replications".into(), Value::from(s.replications));
    root.insert("functions".into(), Value::Object(functions));
    root.insert("total".into(), figures_object(&s.total));
    Value::Object(root)
}

/// The output as pretty-printed text with a trailing newline.
pub fn render(s: &Summary) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(s)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_nine_significant_digits_and_integers_stay_integers() {
        assert_eq!(number(1234.0), Value::from(1234));
        assert_eq!(number(0.1234567891234).to_string(), "0.123456789");
        assert_eq!(number(98765.432109876).to_string(), "98765.4321");
        assert_eq!(number(f64::NAN), Value::Null);
    }

    #[test]
    fn dotted_keys_nest_and_intervals_go_under_ci95() {
        let figs = vec![
            Figure {
                key: "latency_ms.p50".into(),
                mean: Some(1.5),
                ci95: Some(0.25),
            },
            Figure {
                key: "invocations".into(),
                mean: Some(10.0),
                ci95: None,
            },
        ];
        let v = figures_object(&figs);
        assert_eq!(v["latency_ms"]["p50"], Value::from(1.5));
        assert_eq!(v["ci95"]["latency_ms"]["p50"], Value::from(0.25));
        assert_eq!(v["invocations"], Value::from(10));
    }
}
