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

/// Where figures go once nested by their dotted keys, before they become JSON: each object
/// keeps its keys in first-insertion order, as the output's maps do, and each leaf names the
/// figure value it shows. Built with borrowed keys, searched from the most recent key (a
/// function's figures come grouped by prefix), and then either written as text ([`render`])
/// or turned into a [`Value`] with each key hashed once ([`to_value`], for the compare and
/// sweep outputs). Building `serde_json` maps figure by figure and printing them took a third
/// of a one-second run of the reference workload; and since functions usually have the same
/// figures, [`render`] builds the layout once for all functions that share it.
enum Tree<'a> {
    Leaf(Slot),
    Object(Vec<(&'a str, Tree<'a>)>),
}

/// The value a leaf shows: figure `i`'s mean, or its confidence interval (under `ci95`).
#[derive(Clone, Copy)]
enum Slot {
    Mean(usize),
    Ci(usize),
}

impl Slot {
    /// The value of this slot among `figures`, rounded as the output rounds.
    fn value(self, figures: &[Figure]) -> Value {
        let x = match self {
            Slot::Mean(i) => figures[i].mean,
            Slot::Ci(i) => figures[i].ci95,
        };
        x.map_or(Value::Null, number)
    }
}

impl<'a> Tree<'a> {
    /// Puts `child` at the dotted `path`. A key seen before keeps its place; a figure where
    /// an object must go is replaced by an empty object, and the last part replaces whatever
    /// was there (the behaviour of inserting into `serde_json` maps).
    fn insert(&mut self, path: &'a str, child: Tree<'a>) {
        let mut parts = path.split('.').peekable();
        let mut node = self;
        while let Some(part) = parts.next() {
            let Tree::Object(entries) = node else { return };
            let at = match entries.iter().rposition(|(k, _)| *k == part) {
                Some(at) => at,
                None => {
                    entries.push((part, Tree::Object(Vec::new())));
                    entries.len() - 1
                }
            };
            let slot = &mut entries[at].1;
            if parts.peek().is_none() {
                *slot = child;
                return;
            }
            if let Tree::Leaf(_) = slot {
                *slot = Tree::Object(Vec::new());
            }
            node = slot;
        }
    }

    /// The tree as a [`Value`], its leaves showing `figures`.
    fn into_value(self, figures: &[Figure]) -> Value {
        match self {
            Tree::Leaf(slot) => slot.value(figures),
            Tree::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, child) in entries {
                    map.insert(key.to_string(), child.into_value(figures));
                }
                Value::Object(map)
            }
        }
    }

    /// Appends the text `serde_json::to_string_pretty` gives the tree's [`Value`] (its
    /// leaves showing `figures`), nested `depth` levels deep.
    fn write_pretty(&self, figures: &[Figure], out: &mut Vec<u8>, depth: usize) {
        match self {
            Tree::Leaf(slot) => write_scalar(out, &slot.value(figures)),
            Tree::Object(entries) => {
                out.push(b'{');
                for (i, (key, child)) in entries.iter().enumerate() {
                    write_key(out, depth + 1, i == 0, key);
                    child.write_pretty(figures, out, depth + 1);
                }
                close_object(out, depth, !entries.is_empty());
            }
        }
    }
}

/// Appends a string, number or null as `serde_json` writes it (escapes, number format).
fn write_scalar<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Serialising into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// Appends the key of an object's member (after a comma unless `first`), on its own line
/// indented `depth` levels of two spaces, as the pretty printer does.
fn write_key(out: &mut Vec<u8>, depth: usize, first: bool, key: &str) {
    if !first {
        out.push(b',');
    }
    out.push(b'\n');
    out.resize(out.len() + 2 * depth, b' ');
    // A key with nothing to escape (a figure's name always) is copied between quotes: the
    // bytes `serde_json` writes for it, which escapes only quotes, backslashes and control
    // characters.
    if key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.push(b'"');
    } else {
        write_scalar(out, key);
    }
    out.extend_from_slice(b": ");
}

/// Closes an object opened `depth` levels deep: `}` after a line break unless it is empty.
fn close_object(out: &mut Vec<u8>, depth: usize, any: bool) {
    if any {
        out.push(b'\n');
        out.resize(out.len() + 2 * depth, b' ');
    }
    out.push(b'}');
}

/// The layout of FIGURES: the figures as nested objects, plus `ci95` when any figure has an
/// interval.
fn figures_tree(figures: &[Figure]) -> Tree<'_> {
    let mut out = Tree::Object(Vec::new());
    let mut ci = Tree::Object(Vec::new());
    let mut any_ci = false;
    for (i, f) in figures.iter().enumerate() {
        out.insert(&f.key, Tree::Leaf(Slot::Mean(i)));
        if f.ci95.is_some() {
            ci.insert(&f.key, Tree::Leaf(Slot::Ci(i)));
            any_ci = true;
        }
    }
    if any_ci {
        out.insert("ci95", ci);
    }
    out
}

/// Whether the figures `a` and `b` have the same layout: the same keys in the same order,
/// with an interval at the same places.
fn same_layout(a: &[Figure], b: &[Figure]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.ci95.is_some() == y.ci95.is_some() && x.key == y.key)
}

/// The whole output object.
pub fn to_value(s: &Summary) -> Value {
    let mut functions = Map::new();
    for (name, figs) in &s.functions {
        functions.insert(name.clone(), figures_tree(figs).into_value(figs));
    }
    let mut root = Map::new();
    root.insert("scenario".into(), Value::from(s.scenario.clone()));
    root.insert("replications".into(), Value::from(s.replications));
    root.insert("functions".into(), Value::Object(functions));
    root.insert("total".into(), figures_tree(&s.total).into_value(&s.total));
    Value::Object(root)
}

/// The output as pretty-printed text with a trailing newline: the text of [`to_value`]
/// (function names are unique, so no member is replaced), written straight from the figures.
pub fn render(s: &Summary) -> String {
    let mut out = Vec::with_capacity(64 * 1024);
    out.push(b'{');
    write_key(&mut out, 1, true, "scenario");
    write_scalar(&mut out, &s.scenario);
    write_key(&mut out, 1, false, "replications");
    write_scalar(&mut out, &s.replications);
    write_key(&mut out, 1, false, "functions");
    out.push(b'{');
    // The layout of the latest function, kept while the next ones share it.
    let mut layout: Option<(&[Figure], Tree)> = None;
    for (i, (name, figs)) in s.functions.iter().enumerate() {
        write_key(&mut out, 2, i == 0, name);
        if !layout
            .as_ref()
            .is_some_and(|(seen, _)| same_layout(seen, figs))
        {
            layout = Some((figs, figures_tree(figs)));
        }
        if let Some((_, tree)) = &layout {
            tree.write_pretty(figs, &mut out, 2);
        }
    }
    close_object(&mut out, 1, !s.functions.is_empty());
    write_key(&mut out, 1, false, "total");
    figures_tree(&s.total).write_pretty(&s.total, &mut out, 1);
    close_object(&mut out, 0, true);
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nesting as first written, one walk of the `serde_json` maps per figure: the oracle
    /// of [`Tree`].
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

    fn oracle(figures: &[Figure]) -> Value {
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

    fn figure(key: &str, mean: Option<f64>, ci95: Option<f64>) -> Figure {
        Figure {
            key: key.into(),
            mean,
            ci95,
        }
    }

    /// Tolerance: the same text. Repeated keys keep their first place, a figure under a
    /// figure's key turns it into an object, a figure on an object's key replaces it, keys
    /// come back after others, a figure is called `ci95`, and none has an interval.
    #[test]
    fn the_nesting_is_the_one_of_inserting_each_figure_into_json_maps() {
        let cases = [
            vec![
                figure("a.b", Some(1.0), Some(0.5)),
                figure("c", Some(2.0), None),
                figure("a.d.e", None, Some(0.1)),
                figure("a.b.x", Some(3.0), None),
                figure("c", Some(4.0), Some(0.2)),
                figure("a.d", Some(5.5), None),
                figure("f.g", Some(6.0), None),
                figure("a.z", Some(7.0), None),
            ],
            vec![
                figure("ci95", Some(1.0), Some(1.0)),
                figure("ci95.x", Some(2.0), None),
            ],
            vec![figure("only", Some(1.25), None)],
            vec![],
        ];
        for (i, figs) in cases.iter().enumerate() {
            let (got, want) = (figures_tree(figs).into_value(figs), oracle(figs));
            assert_eq!(
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(&want).unwrap(),
                "case {i}"
            );
        }
    }

    #[test]
    fn numbers_keep_nine_significant_digits_and_integers_stay_integers() {
        assert_eq!(number(1234.0), Value::from(1234));
        assert_eq!(number(0.1234567891234).to_string(), "0.123456789");
        assert_eq!(number(98765.432109876).to_string(), "98765.4321");
        assert_eq!(number(f64::NAN), Value::Null);
    }

    /// Tolerance: byte equality with `serde_json`'s pretty printing of [`to_value`], on
    /// figures with and without intervals, nulls, integers and fractions, names that need
    /// escaping (a backslash, a tab, quotes) or not (accents, DEL, which `serde_json` leaves
    /// as they are), a function without figures, functions sharing a layout with other
    /// values or differing from it by their intervals only, and a summary without functions.
    #[test]
    fn the_text_is_serde_json_pretty_printing_of_the_value() {
        let figs = vec![
            figure("invocations", Some(2_133_399.0), Some(12.5)),
            figure("latency_ms.p50", Some(101.234_567_89), None),
            figure("latency_ms.p99", None, Some(0.001_25)),
            figure("cost.usd", Some(1.0e-9), Some(3.0e22)),
            figure("cold_starts", Some(-0.5), None),
        ];
        // The layout of the functions before is reused for these when their keys and
        // intervals match, and not when only the intervals differ.
        let mut other_values = figs.clone();
        other_values
            .iter_mut()
            .for_each(|f| f.mean = f.mean.map(|m| m * 3.0 + 1.0));
        let mut other_intervals = other_values.clone();
        other_intervals[0].ci95 = None;
        other_intervals[1].ci95 = Some(7.0);
        let summaries = [
            Summary {
                scenario: "a \"quoted\" name\twith é".into(),
                replications: 3,
                functions: vec![
                    ("f\\1".into(), figs.clone()),
                    ("empty".into(), Vec::new()),
                    ("ünï".into(), figs[1..3].to_vec()),
                    ("tab\there \"q\" del\u{7f}".into(), figs[..1].to_vec()),
                    ("same keys".into(), other_values.clone()),
                    ("same again".into(), figs.clone()),
                    ("other intervals".into(), other_intervals),
                ],
                total: figs.clone(),
            },
            Summary {
                scenario: String::new(),
                replications: 1,
                functions: Vec::new(),
                total: Vec::new(),
            },
        ];
        for s in &summaries {
            let want = serde_json::to_string_pretty(&to_value(s)).unwrap() + "\n";
            assert_eq!(render(s), want);
        }
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
        let v = figures_tree(&figs).into_value(&figs);
        assert_eq!(v["latency_ms"]["p50"], Value::from(1.5));
        assert_eq!(v["ci95"]["latency_ms"]["p50"], Value::from(0.25));
        assert_eq!(v["invocations"], Value::from(10));
    }
}
