//! Any CSV of durations, read through a [`ColumnMapping`] (which column holds the value and
//! in what unit, which columns group the rows, which column dates them, which rows to keep),
//! into [`Observations`]: the one form every fit takes. REPORT and Logs Insights records
//! convert to the same form ([`Observations::from_reports`], [`Observations::from_insights`]).
//!
//! Built for large files (the 390,759-row `lambda-perf/python-init-durations-2022-2024.csv`):
//! rows are read as byte records into one reused buffer, group keys are interned through a map
//! from their bytes to an index (no per-row `String`), and values are stored as 24-byte
//! [`Observation`]s.

use std::collections::HashMap;
use std::path::Path;

use crate::calibrate::{Day, Diagnostics};
use crate::error::{InputError, InputResult};

use super::insights::InsightsTable;
use super::report::ReportRecord;
use super::{clip, csv_header, csv_reader, missing_column, next_record, read_all};

/// The unit of a value column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValueUnit {
    /// Milliseconds.
    #[default]
    Ms,
    /// Microseconds.
    Us,
    /// Seconds.
    S,
}

impl ValueUnit {
    /// Milliseconds per unit.
    pub fn ms_per_unit(self) -> f64 {
        match self {
            ValueUnit::Ms => 1.0,
            ValueUnit::Us => 1e-3,
            ValueUnit::S => 1e3,
        }
    }

    fn parse(s: &str) -> Option<ValueUnit> {
        match s {
            "ms" => Some(ValueUnit::Ms),
            "us" | "µs" | "μs" => Some(ValueUnit::Us),
            "s" => Some(ValueUnit::S),
            _ => None,
        }
    }
}

/// Which columns of a CSV to read, and how.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The column holding the measured duration.
    pub value: String,
    /// Its unit.
    pub value_unit: ValueUnit,
    /// Columns whose values together form a row's group (may be empty: one group).
    pub groups: Vec<String>,
    /// A column whose cells start with `YYYY-MM-DD` (a date or timestamp), if any.
    pub time: Option<String>,
    /// Keep only rows whose column equals one of the values (all filters must hold).
    pub filters: Vec<(String, Vec<String>)>,
}

impl ColumnMapping {
    /// Builds a mapping from command-line forms:
    /// - `value`: `COLUMN` or `COLUMN:UNIT` with UNIT one of `ms`, `us`, `s`; without a unit,
    ///   a column name ending in `_us` or `_s` gives that unit, anything else ms;
    /// - `group`: a comma-separated list of columns (empty: no grouping);
    /// - `time`: a date column;
    /// - `filters`: each `COLUMN=V1,V2,…` (keep rows whose COLUMN is one of the values).
    ///
    /// Empty names, a repeated group column, an unknown unit or a filter without `=` or
    /// values are a [`InputError::Usage`] error saying what form was expected.
    pub fn parse(
        value: &str,
        group: &str,
        time: Option<&str>,
        filters: &[String],
    ) -> InputResult<ColumnMapping> {
        let (col, value_unit) = value_column(value)?;
        let groups = group_columns(group)?;
        let time = match time.map(str::trim) {
            Some("") => return Err(InputError::Usage("time column: empty name".to_string())),
            t => t.map(str::to_string),
        };
        let filters = filters
            .iter()
            .map(|f| filter(f))
            .collect::<InputResult<_>>()?;
        Ok(ColumnMapping {
            value: col,
            value_unit,
            groups,
            time,
            filters,
        })
    }
}

/// `COLUMN` or `COLUMN:UNIT`; without a unit, a name ending in `_us` or `_s` gives that unit,
/// anything else ms.
fn value_column(value: &str) -> InputResult<(String, ValueUnit)> {
    let (col, unit) = match value.rsplit_once(':') {
        Some((c, u)) => (
            c.trim(),
            Some(ValueUnit::parse(u.trim()).ok_or_else(|| {
                InputError::Usage(format!(
                    "value column `{value}`: unit `{}` is not one of ms, us, s",
                    u.trim()
                ))
            })?),
        ),
        None => (value.trim(), None),
    };
    if col.is_empty() {
        return Err(InputError::Usage(format!(
            "value column `{value}`: expected COLUMN or COLUMN:UNIT (UNIT = ms, us, s)"
        )));
    }
    let value_unit = unit.unwrap_or(if col.ends_with("_us") {
        ValueUnit::Us
    } else if col.ends_with("_s") {
        ValueUnit::S
    } else {
        ValueUnit::Ms
    });
    Ok((col.to_string(), value_unit))
}

/// A comma-separated list of group columns (empty: none), no name empty or repeated.
fn group_columns(group: &str) -> InputResult<Vec<String>> {
    let groups: Vec<String> = if group.trim().is_empty() {
        Vec::new()
    } else {
        group.split(',').map(|g| g.trim().to_string()).collect()
    };
    if groups.iter().any(String::is_empty) {
        return Err(InputError::Usage(format!(
            "group columns `{group}`: expected a comma-separated list of column names"
        )));
    }
    for (i, g) in groups.iter().enumerate() {
        if groups[..i].contains(g) {
            return Err(InputError::Usage(format!(
                "group column `{g}` is listed twice"
            )));
        }
    }
    Ok(groups)
}

/// A filter `COLUMN=V1,V2,…`, no name or value empty.
fn filter(f: &str) -> InputResult<(String, Vec<String>)> {
    let Some((c, vs)) = f.split_once('=') else {
        return Err(InputError::Usage(format!(
            "filter `{f}`: expected COLUMN=VALUE1,VALUE2,…"
        )));
    };
    let c = c.trim();
    let vals: Vec<String> = vs.split(',').map(|v| v.trim().to_string()).collect();
    if c.is_empty() || vals.iter().any(String::is_empty) {
        return Err(InputError::Usage(format!(
            "filter `{f}`: expected COLUMN=VALUE1,VALUE2,… with no empty name or value"
        )));
    }
    Ok((c.to_string(), vals))
}

/// One measured value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    /// Index into [`Observations::groups`].
    pub group: u32,
    /// Day of the row, when the mapping names a time column (or the record had a timestamp).
    pub day: Option<Day>,
    /// The value, ms.
    pub value_ms: f64,
}

/// Measured durations, grouped: what the fits take.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observations {
    /// Names of the grouping columns.
    pub group_columns: Vec<String>,
    /// Distinct group keys (one value per grouping column), sorted: column by column, numbers
    /// numerically before other text, text byte-wise. With no grouping columns there is one
    /// group, the empty key (when there is at least one value).
    pub groups: Vec<Vec<String>>,
    /// One entry per record, in file order.
    pub values: Vec<Observation>,
    /// How the input was read: rows, records (= `values.len()`), ignored rows (filtered out,
    /// or warm starts in a conversion), warnings.
    pub diagnostics: Diagnostics,
}

/// What a cold start's value is, when converting REPORT records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColdMetric {
    /// `Init Duration` (on-demand cold starts); lines without it are ignored.
    #[default]
    Init,
    /// `Restore Duration` (SnapStart restores); lines without it are ignored.
    Restore,
}

impl Observations {
    /// Values of group `g` (ms), in file order.
    pub fn group_values(&self, g: u32) -> impl Iterator<Item = f64> + '_ {
        self.values
            .iter()
            .filter(move |o| o.group == g)
            .map(|o| o.value_ms)
    }

    /// Number of values per group, indexed like `groups`.
    pub fn group_counts(&self) -> Vec<u64> {
        let mut c = vec![0u64; self.groups.len()];
        for o in &self.values {
            c[o.group as usize] += 1;
        }
        c
    }

    /// The index of the group whose key is `key`.
    pub fn group_index(&self, key: &[&str]) -> Option<u32> {
        self.groups
            .iter()
            .position(|g| g.len() == key.len() && g.iter().zip(key).all(|(a, b)| a == b))
            .map(|i| i as u32)
    }

    /// REPORT records as observations: the value is `metric` (init or restore duration) of each
    /// record that has it; the others (warm starts) are counted as ignored. Grouped by memory
    /// size (`memory_size_mb`) when `by_memory`, else one group.
    pub fn from_reports(records: &[ReportRecord], metric: ColdMetric, by_memory: bool) -> Self {
        let mut b = Builder::default();
        let mut d = Diagnostics::default();
        let mut key = Vec::new();
        for r in records {
            d.rows_read += 1;
            let v = match metric {
                ColdMetric::Init => r.init_duration_ms,
                ColdMetric::Restore => r.restore_duration_ms,
            };
            let Some(v) = v else {
                d.ignored += 1;
                continue;
            };
            key.clear();
            if by_memory {
                push_key_part(&mut key, r.memory_size_mb.to_string().as_bytes());
            }
            b.push(&key, r.day, v);
            d.records += 1;
        }
        let cols = if by_memory {
            vec!["memory_size_mb".to_string()]
        } else {
            Vec::new()
        };
        b.finish(cols, d)
    }

    /// Logs Insights records as observations: the value is `@initDuration` of cold rows; warm
    /// rows are counted as ignored. `group_by` names extra columns of the table, or
    /// `memory_size_mb` (also accepted: `@memorySize`); an unknown name is a usage error
    /// listing the possible ones.
    pub fn from_insights(table: &InsightsTable, group_by: &[String]) -> InputResult<Self> {
        enum Part {
            Memory,
            Extra(usize),
        }
        let mut parts = Vec::new();
        for g in group_by {
            if g == "memory_size_mb" || g == "@memorySize" {
                parts.push(Part::Memory);
            } else if let Some(i) = table.extra_columns.iter().position(|c| c == g) {
                parts.push(Part::Extra(i));
            } else {
                let mut avail = vec!["memory_size_mb".to_string()];
                avail.extend(table.extra_columns.iter().cloned());
                return Err(InputError::Usage(format!(
                    "no grouping column `{g}`; possible: {}",
                    avail.join(", ")
                )));
            }
        }
        let mut b = Builder::default();
        let mut d = Diagnostics::default();
        let mut key = Vec::new();
        for r in &table.records {
            d.rows_read += 1;
            let Some(v) = r.init_duration_ms else {
                d.ignored += 1;
                continue;
            };
            key.clear();
            for p in &parts {
                match p {
                    Part::Memory => {
                        push_key_part(&mut key, r.memory_size_mb.to_string().as_bytes())
                    }
                    Part::Extra(i) => push_key_part(
                        &mut key,
                        r.extra.get(*i).map(String::as_bytes).unwrap_or_default(),
                    ),
                }
            }
            b.push(&key, r.day, v);
            d.records += 1;
        }
        let cols = group_by
            .iter()
            .map(|g| {
                if g == "@memorySize" {
                    "memory_size_mb".to_string()
                } else {
                    g.clone()
                }
            })
            .collect();
        Ok(b.finish(cols, d))
    }
}

/// Appends one key field, length-prefixed so that keys of different splits never collide.
fn push_key_part(key: &mut Vec<u8>, part: &[u8]) {
    key.extend_from_slice(&(part.len() as u32).to_le_bytes());
    key.extend_from_slice(part);
}

/// Splits a key built by [`push_key_part`] back into strings.
fn split_key(mut key: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while key.len() >= 4 {
        let n = u32::from_le_bytes([key[0], key[1], key[2], key[3]]) as usize;
        let end = (4 + n).min(key.len());
        out.push(String::from_utf8_lossy(&key[4..end]).into_owned());
        key = &key[end..];
    }
    out
}

/// Interns group keys in first-seen order, then renumbers them in sorted order.
#[derive(Default)]
struct Builder {
    index: HashMap<Vec<u8>, u32>,
    keys: Vec<Vec<u8>>,
    values: Vec<Observation>,
}

impl Builder {
    /// Adds one observation to the group of `key`.
    fn push(&mut self, key: &[u8], day: Option<Day>, value_ms: f64) {
        let group = self.intern(key);
        self.values.push(Observation {
            group,
            day,
            value_ms,
        });
    }

    fn intern(&mut self, key: &[u8]) -> u32 {
        if let Some(&g) = self.index.get(key) {
            return g;
        }
        let g = self.keys.len() as u32;
        self.keys.push(key.to_vec());
        self.index.insert(key.to_vec(), g);
        g
    }

    fn finish(self, group_columns: Vec<String>, diagnostics: Diagnostics) -> Observations {
        let keys: Vec<Vec<String>> = self.keys.iter().map(|k| split_key(k)).collect();
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| compare_keys(&keys[a], &keys[b]));
        let mut new_index = vec![0u32; keys.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new as u32;
        }
        let mut keys: Vec<Option<Vec<String>>> = keys.into_iter().map(Some).collect();
        let groups = order
            .iter()
            .map(|&old| keys[old].take().unwrap_or_default())
            .collect();
        let mut values = self.values;
        for v in &mut values {
            v.group = new_index[v.group as usize];
        }
        Observations {
            group_columns,
            groups,
            values,
            diagnostics,
        }
    }
}

/// Key order: field by field; a field that parses as a number sorts before one that does not,
/// numbers numerically, text byte-wise; ties broken by the text itself (a total order).
fn compare_keys(a: &[String], b: &[String]) -> std::cmp::Ordering {
    fn rank(s: &str) -> (u8, f64) {
        match s.parse::<f64>() {
            Ok(v) if !v.is_nan() => (0, v),
            _ => (1, 0.0),
        }
    }
    for (x, y) in a.iter().zip(b) {
        let (rx, vx) = rank(x);
        let (ry, vy) = rank(y);
        let o = rx
            .cmp(&ry)
            .then(vx.total_cmp(&vy))
            .then_with(|| x.as_bytes().cmp(y.as_bytes()));
        if o.is_ne() {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Positions in the header of the columns a mapping names, and how many fields a row needs.
struct MappedColumns {
    value: usize,
    groups: Vec<usize>,
    time: Option<usize>,
    filters: Vec<(usize, Vec<Vec<u8>>)>,
    needed: usize,
}

impl MappedColumns {
    /// Finds the mapped columns (value, groups, time, filters, in this order); a missing one
    /// is an error that lists the header's columns.
    fn locate(header: &[String], mapping: &ColumnMapping, path: &Path) -> InputResult<Self> {
        let col = |name: &str| -> InputResult<usize> {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| missing_column(header, name, path))
        };
        let value = col(&mapping.value)?;
        let groups: Vec<usize> = mapping
            .groups
            .iter()
            .map(|g| col(g))
            .collect::<InputResult<_>>()?;
        let time = mapping.time.as_deref().map(col).transpose()?;
        let filters: Vec<(usize, Vec<Vec<u8>>)> = mapping
            .filters
            .iter()
            .map(|(c, vs)| Ok((col(c)?, vs.iter().map(|v| v.as_bytes().to_vec()).collect())))
            .collect::<InputResult<_>>()?;
        let needed = groups
            .iter()
            .chain(time.iter())
            .chain(filters.iter().map(|(i, _)| i))
            .fold(value, |m, &i| m.max(i))
            + 1;
        Ok(MappedColumns {
            value,
            groups,
            time,
            filters,
            needed,
        })
    }
}

/// What one data row gives.
enum RowOutcome {
    /// A value in ms, with its day when the mapping names a time column.
    Value(f64, Option<Day>),
    /// The row fails a filter.
    Ignored,
    /// The row is skipped, for this reason.
    Warning(String),
}

/// Reads a CSV through `mapping`. Errors: no header; a mapped column that is not in the
/// header (the message lists the columns). A row that is too short, or whose value or date
/// does not parse (or whose value is negative, NaN or infinite), is a warning and skipped;
/// rows that fail a filter are `ignored`. `records + ignored + warnings == rows_read`.
pub fn read_generic(
    bytes: &[u8],
    path: &Path,
    mapping: &ColumnMapping,
) -> InputResult<Observations> {
    let mut rdr = csv_reader(bytes);
    let header = csv_header(&mut rdr, path)?;
    let cols = MappedColumns::locate(&header, mapping, path)?;
    let mut b = Builder::default();
    let mut d = Diagnostics::default();
    let mut rec = csv::ByteRecord::new();
    let mut key = Vec::with_capacity(64);
    let mut row = 0u64;
    while next_record(&mut rdr, &mut rec, row + 1, path)? {
        row += 1;
        d.rows_read += 1;
        let (value_ms, day) = match mapped_row(&rec, &header, mapping, &cols) {
            RowOutcome::Value(v, day) => (v, day),
            RowOutcome::Ignored => {
                d.ignored += 1;
                continue;
            }
            RowOutcome::Warning(msg) => {
                d.warn(row, msg);
                continue;
            }
        };
        key.clear();
        for &i in &cols.groups {
            push_key_part(&mut key, rec.get(i).unwrap_or_default().trim_ascii());
        }
        b.push(&key, day, value_ms);
        d.records += 1;
    }
    Ok(b.finish(mapping.groups.clone(), d))
}

/// One data row through the mapping: long enough, passing the filters, with a value and (if
/// mapped) a date that parse.
fn mapped_row(
    rec: &csv::ByteRecord,
    header: &[String],
    mapping: &ColumnMapping,
    cols: &MappedColumns,
) -> RowOutcome {
    let needed = cols.needed;
    if rec.len() < needed {
        return RowOutcome::Warning(format!(
            "row has {} fields, at least {needed} needed",
            rec.len()
        ));
    }
    let field = |i: usize| rec.get(i).unwrap_or_default().trim_ascii();
    if !cols
        .filters
        .iter()
        .all(|(i, vs)| vs.iter().any(|v| v.as_slice() == field(*i)))
    {
        return RowOutcome::Ignored;
    }
    let value_ms = match super::parse_nonneg(field(cols.value)) {
        Ok(v) => v * mapping.value_unit.ms_per_unit(),
        Err(e) => return RowOutcome::Warning(format!("{} {e}", mapping.value)),
    };
    let Some(i) = cols.time else {
        return RowOutcome::Value(value_ms, None);
    };
    let f = field(i);
    match std::str::from_utf8(f).ok().and_then(Day::parse_prefix) {
        Some(day) => RowOutcome::Value(value_ms, Some(day)),
        None => RowOutcome::Warning(format!(
            "{} `{}` does not start with a date YYYY-MM-DD",
            header[i],
            clip(&String::from_utf8_lossy(f))
        )),
    }
}

/// [`read_generic`] of the file at `path`.
pub fn read_generic_file(path: &Path, mapping: &ColumnMapping) -> InputResult<Observations> {
    read_generic(&read_all(path)?, path, mapping)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_syntax() {
        let m = ColumnMapping::parse(
            "import_time_us",
            "packaging, python_version",
            Some("date"),
            &["arch=x86_64,arm64".to_string()],
        )
        .unwrap();
        assert_eq!(m.value_unit, ValueUnit::Us);
        assert_eq!(m.groups, ["packaging", "python_version"]);
        assert_eq!(
            m.filters,
            [(
                "arch".to_string(),
                vec!["x86_64".to_string(), "arm64".to_string()]
            )]
        );
        assert_eq!(
            ColumnMapping::parse("x:s", "", None, &[])
                .unwrap()
                .value_unit,
            ValueUnit::S
        );
        for (v, g, f) in [
            ("x:min", "", ""),
            ("", "", ""),
            ("x", "a,,b", ""),
            ("x", "a,a", ""),
            ("x", "", "arch"),
            ("x", "", "=a"),
            ("x", "", "arch=a,"),
        ] {
            let fs: Vec<String> = if f.is_empty() {
                vec![]
            } else {
                vec![f.to_string()]
            };
            assert!(
                ColumnMapping::parse(v, g, None, &fs).is_err(),
                "{v} {g} {f}"
            );
        }
    }

    #[test]
    fn keys_sort_numbers_numerically() {
        let k = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut v = vec![
            k(&["zip", "1024"]),
            k(&["zip", "128"]),
            k(&["image", "512"]),
            k(&["zip", "x"]),
        ];
        v.sort_by(|a, b| compare_keys(a, b));
        assert_eq!(
            v,
            vec![
                k(&["image", "512"]),
                k(&["zip", "128"]),
                k(&["zip", "1024"]),
                k(&["zip", "x"])
            ]
        );
        let mut key = Vec::new();
        push_key_part(&mut key, b"a,b");
        push_key_part(&mut key, b"");
        assert_eq!(split_key(&key), ["a,b", ""]);
    }
}
