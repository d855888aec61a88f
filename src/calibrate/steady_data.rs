//! The CSV of `coldsim validate --protocol steady`: one row per steady-traffic experiment.
//!
//! Columns (header required, any order, no others):
//! - `rate_per_s`: the Poisson arrival rate, requests per second (> 0);
//! - `handler_mean_ms`: the mean handler duration measured, ms (>= 0);
//! - `cold_fraction`: the measured share of requests that were cold starts (0..1);
//! - `cold_fraction_se`: its standard error (>= 0);
//! - `mean_live` (optional): the measured time-average number of live sandboxes (>= 0);
//! - `mean_live_se` (optional, with `mean_live`): its standard error (>= 0).
//!
//! A cell may be left empty only in the optional columns (that row has no live-sandbox
//! measurement).

use std::path::Path;

use crate::error::InputError;

/// The required columns, in the documented order.
pub const REQUIRED: [&str; 4] = [
    "rate_per_s",
    "handler_mean_ms",
    "cold_fraction",
    "cold_fraction_se",
];
/// The optional columns.
pub const OPTIONAL: [&str; 2] = ["mean_live", "mean_live_se"];

/// One steady-traffic measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SteadyRow {
    /// Poisson arrival rate, requests per second.
    pub rate_per_s: f64,
    /// Mean handler duration, ms.
    pub handler_mean_ms: f64,
    /// Measured cold fraction.
    pub cold_fraction: f64,
    /// Its standard error.
    pub cold_fraction_se: f64,
    /// Measured time-average live sandboxes, if given.
    pub mean_live: Option<f64>,
    /// Its standard error, if given.
    pub mean_live_se: Option<f64>,
}

/// Reads and checks the CSV at `path`; errors name the file, the row (data rows from 1) and
/// the column.
pub fn read_steady_csv(path: &Path) -> Result<Vec<SteadyRow>, InputError> {
    let bytes = crate::input::read_bytes(path, crate::input::InputKind::Data)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(&bytes[..]);
    let headers = reader
        .headers()
        .map_err(|e| InputError::file(path, format!("cannot read the header: {e}")))?
        .clone();
    let columns = column_indices(path, &headers)?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 1;
        let record = record.map_err(|e| InputError::row(path, row, e.to_string()))?;
        rows.push(parse_row(path, row, &record, &columns)?);
    }
    if rows.is_empty() {
        return Err(InputError::file(path, "no data rows"));
    }
    Ok(rows)
}

/// Index of each required column, then of each optional one if present.
struct Columns {
    required: [usize; 4],
    optional: [Option<usize>; 2],
}

fn column_indices(path: &Path, headers: &csv::StringRecord) -> Result<Columns, InputError> {
    let expected = format!(
        "expected columns {},{}[,{}]",
        REQUIRED.join(","),
        OPTIONAL[0],
        OPTIONAL[1]
    );
    if let Some(extra) = headers
        .iter()
        .find(|h| !REQUIRED.contains(h) && !OPTIONAL.contains(h))
    {
        return Err(InputError::file(
            path,
            format!("unknown column \"{extra}\"; {expected}"),
        ));
    }
    let find = |name: &str| headers.iter().position(|h| h == name);
    let mut required = [0; 4];
    for (slot, name) in required.iter_mut().zip(REQUIRED) {
        *slot = find(name)
            .ok_or_else(|| InputError::file(path, format!("missing column {name}; {expected}")))?;
    }
    let optional = [find(OPTIONAL[0]), find(OPTIONAL[1])];
    if optional[1].is_some() && optional[0].is_none() {
        return Err(InputError::file(
            path,
            "column mean_live_se needs a mean_live column",
        ));
    }
    Ok(Columns { required, optional })
}

fn parse_row(
    path: &Path,
    row: u64,
    record: &csv::StringRecord,
    columns: &Columns,
) -> Result<SteadyRow, InputError> {
    let cell = |name: &str, i: usize| -> Result<Option<f64>, InputError> {
        let text = record.get(i).unwrap_or("");
        if text.is_empty() {
            return Ok(None);
        }
        let bad = || InputError::row(path, row, format!("{name}: not a number: \"{text}\""));
        let x: f64 = text.parse().map_err(|_| bad())?;
        if x.is_finite() {
            Ok(Some(x))
        } else {
            Err(bad())
        }
    };
    let need = |k: usize| -> Result<f64, InputError> {
        let name = REQUIRED[k];
        cell(name, columns.required[k])?
            .ok_or_else(|| InputError::row(path, row, format!("{name}: empty")))
    };
    let check = |name: &str, x: f64, ok: bool, rule: &str| -> Result<f64, InputError> {
        if ok {
            Ok(x)
        } else {
            Err(InputError::row(
                path,
                row,
                format!("{name}: must be {rule}; got {x}"),
            ))
        }
    };
    let rate = need(0)?;
    let rate_per_s = check(REQUIRED[0], rate, rate > 0.0, "greater than 0")?;
    let h = need(1)?;
    let handler_mean_ms = check(REQUIRED[1], h, h >= 0.0, "0 or more")?;
    let cf = need(2)?;
    let cold_fraction = check(
        REQUIRED[2],
        cf,
        (0.0..=1.0).contains(&cf),
        "between 0 and 1",
    )?;
    let se = need(3)?;
    let cold_fraction_se = check(REQUIRED[3], se, se >= 0.0, "0 or more")?;
    let mut optional = [None, None];
    for (k, slot) in optional.iter_mut().enumerate() {
        if let Some(i) = columns.optional[k] {
            *slot = match cell(OPTIONAL[k], i)? {
                Some(x) => Some(check(OPTIONAL[k], x, x >= 0.0, "0 or more")?),
                None => None,
            };
        }
    }
    if optional[1].is_some() && optional[0].is_none() {
        return Err(InputError::row(path, row, "mean_live_se without mean_live"));
    }
    Ok(SteadyRow {
        rate_per_s,
        handler_mean_ms,
        cold_fraction,
        cold_fraction_se,
        mean_live: optional[0],
        mean_live_se: optional[1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<SteadyRow>, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("steady.csv");
        std::fs::write(&p, text).unwrap();
        read_steady_csv(&p)
    }

    /// Exact: columns in any order, optional ones empty or present.
    #[test]
    fn rows_are_read_by_column_name() {
        let rows = read(
            "cold_fraction,rate_per_s,cold_fraction_se,handler_mean_ms,mean_live\n\
             0.5,0.01,0.02,2000,\n0.1,1,0.01,2000,3.5\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].rate_per_s, 0.01);
        assert_eq!(rows[0].mean_live, None);
        assert_eq!(rows[1].mean_live, Some(3.5));
        assert_eq!(rows[1].handler_mean_ms, 2000.0);
    }

    /// Exact messages: each bad input names its row and column.
    #[test]
    fn bad_rows_name_the_row_and_column() {
        let head = "rate_per_s,handler_mean_ms,cold_fraction,cold_fraction_se\n";
        let e = read(&format!("{head}0.1,10,0.5,0.1\n0.1,10,1.5,0.1\n")).unwrap_err();
        assert!(e.to_string().contains("row 2"), "{e}");
        assert!(
            e.to_string()
                .contains("cold_fraction: must be between 0 and 1"),
            "{e}"
        );
        let e = read(&format!("{head}0,10,0.5,0.1\n")).unwrap_err();
        assert!(
            e.to_string().contains("rate_per_s: must be greater than 0"),
            "{e}"
        );
        let e = read(&format!("{head}x,10,0.5,0.1\n")).unwrap_err();
        assert!(e.to_string().contains("rate_per_s: not a number"), "{e}");
        let e = read("rate_per_s,handler_mean_ms,cold_fraction\n1,1,1\n").unwrap_err();
        assert!(
            e.to_string().contains("missing column cold_fraction_se"),
            "{e}"
        );
        let e = read(head).unwrap_err();
        assert!(e.to_string().contains("no data rows"), "{e}");
        let e =
            read("rate_per_s,handler_mean_ms,cold_fraction,cold_fraction_se,note\n").unwrap_err();
        assert!(e.to_string().contains("unknown column \"note\""), "{e}");
    }
}
