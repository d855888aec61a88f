//! The `--objective` of `coldsim sweep`:
//!
//! ```text
//! min|max FIGURE [where FIGURE OP VALUE[unit] [and FIGURE OP VALUE[unit]]...]
//! ```
//!
//! FIGURE is a figure key of the output contract (`cost_usd`, `latency_ms.p99`,
//! `cold_fraction`, ...). Short forms: `cost` = `cost_usd`, `latency.X` = `latency_ms.X`,
//! `init.X` / `init_duration.X` = `init_duration_ms.X`, `cold_latency.X` =
//! `cold_latency_ms.X`. OP is one of `<`, `<=`, `>`, `>=`. VALUE is a number in the figure's
//! unit; `_ms` figures also take a duration unit (`800ms`, `1.5s`, `500us`), fractions a
//! percentage (`5%`), dollar figures (`cost_usd`, `cost.*_usd`) a `$` prefix. Constraints are checked on the mean over
//! replications.

use crate::engine::SimDuration;
use crate::error::InputError;
use crate::outcome::FunctionStats;
use crate::outcome::figure_key::{self as K, Unit};
use crate::outcome::figures::figures;

/// Minimise or maximise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// Smaller is better.
    Min,
    /// Larger is better.
    Max,
}

/// A comparison operator of a constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    /// The operator as written.
    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// Whether `value OP limit` holds.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Lt => value < limit,
            Op::Le => value <= limit,
            Op::Gt => value > limit,
            Op::Ge => value >= limit,
        }
    }
}

/// `FIGURE OP VALUE`, with VALUE in the figure's unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    /// Full figure key.
    pub key: String,
    /// Operator.
    pub op: Op,
    /// Limit in the figure's unit.
    pub limit: f64,
    /// As written, for messages.
    pub text: String,
}

impl Constraint {
    /// Slack of `value` against the limit: positive when the constraint holds (how far it
    /// is from binding), negative when it fails, in the figure's unit.
    pub fn slack(&self, value: f64) -> f64 {
        match self.op {
            Op::Lt | Op::Le => self.limit - value,
            Op::Gt | Op::Ge => value - self.limit,
        }
    }
}

/// A parsed objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// Minimise or maximise.
    pub sense: Sense,
    /// Full figure key of the objective.
    pub key: String,
    /// Constraints, all of which must hold.
    pub constraints: Vec<Constraint>,
    /// As written.
    pub text: String,
}

impl Objective {
    /// Whether `a` is better than `b` under this objective.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.sense {
            Sense::Min => a < b,
            Sense::Max => a > b,
        }
    }
}

/// Every figure key a run reports (per function and in total), in output order.
fn figure_keys() -> Vec<String> {
    figures(
        &FunctionStats::default(),
        SimDuration::ZERO,
        &crate::cost::CostBreakdown::default(),
    )
    .into_iter()
    .map(|(k, _)| k)
    .collect()
}

/// The full key of `name` (short forms expanded); an error lists the keys when unknown.
fn resolve_key(name: &str) -> Result<String, String> {
    let full = match name {
        "cost" => K::COST_USD.name().to_string(),
        _ => {
            let (head, tail) = name.split_once('.').unwrap_or((name, ""));
            let head = match head {
                "latency" => K::LATENCY_MS.name,
                "init" | "init_duration" => K::INIT_DURATION_MS.name,
                "cold_latency" => K::COLD_LATENCY_MS.name,
                h => h,
            };
            if tail.is_empty() {
                head.to_string()
            } else {
                format!("{head}.{tail}")
            }
        }
    };
    let keys = figure_keys();
    if keys.contains(&full) {
        Ok(full)
    } else {
        Err(format!(
            "unknown figure \"{name}\" (figures: {}; short forms: cost, latency.p99, init.p99, \
             cold_latency.p99)",
            keys.join(", ")
        ))
    }
}

/// Parses `VALUE[unit]` for figure `key` into the figure's unit.
fn parse_limit(key: &str, text: &str) -> Result<f64, String> {
    let bad = |why: &str| format!("value \"{text}\" for {key}: {why}");
    let figure_unit = Unit::of(key);
    let is_ms = figure_unit == Unit::Ms;
    let num_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
        .unwrap_or(text.len());
    let (num, unit) = if let Some(rest) = text.strip_prefix('$') {
        if figure_unit != Unit::Usd {
            return Err(bad(
                "a $ amount fits only the dollar figures (cost_usd, cost.*_usd)",
            ));
        }
        (rest, "")
    } else {
        text.split_at(num_end)
    };
    let x: f64 = num
        .parse()
        .map_err(|_| bad("expected a number with an optional unit"))?;
    if !x.is_finite() {
        return Err(bad("must be finite"));
    }
    let scale = match unit {
        "" => 1.0,
        "%" if figure_unit == Unit::Fraction => 0.01,
        "us" if is_ms => 1e-3,
        "ms" if is_ms => 1.0,
        "s" if is_ms => 1e3,
        "m" | "min" if is_ms => 60e3,
        "h" if is_ms => 3_600e3,
        _ => {
            return Err(bad(if is_ms {
                "unit must be one of us, ms, s, m, h"
            } else {
                "this figure takes a plain number (or % for fractions, $ for cost)"
            }));
        }
    };
    Ok(x * scale)
}

/// Parses an objective; errors are usage errors (exit 2) quoting the objective.
pub fn parse(text: &str) -> Result<Objective, InputError> {
    let err = |m: String| InputError::Usage(format!("--objective \"{text}\": {m}"));
    let mut spaced = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' || c == '>' {
            spaced.push(' ');
            spaced.push(c);
            if chars.peek() == Some(&'=') {
                spaced.push('=');
                chars.next();
            }
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let sense = match tokens.first().map(|t| t.to_ascii_lowercase()) {
        Some(t) if t == "min" => Sense::Min,
        Some(t) if t == "max" => Sense::Max,
        _ => return Err(err("must start with min or max".into())),
    };
    let key = resolve_key(
        tokens
            .get(1)
            .ok_or_else(|| err("a figure must follow min/max".into()))?,
    )
    .map_err(err)?;
    let mut constraints = Vec::new();
    let mut rest = &tokens[2..];
    if !rest.is_empty() {
        if !rest[0].eq_ignore_ascii_case("where") {
            return Err(err(format!(
                "expected `where` after the figure, got `{}`",
                rest[0]
            )));
        }
        rest = &rest[1..];
        loop {
            let [fig, op, value, tail @ ..] = rest else {
                return Err(err(
                    "expected a constraint FIGURE OP VALUE (e.g. latency.p99 < 800ms)".into(),
                ));
            };
            let ckey = resolve_key(fig).map_err(err)?;
            let op = match *op {
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                ">=" => Op::Ge,
                o => return Err(err(format!("unknown operator `{o}` (use <, <=, >, >=)"))),
            };
            let limit = parse_limit(&ckey, value).map_err(err)?;
            constraints.push(Constraint {
                text: format!("{fig} {} {value}", op.symbol()),
                key: ckey,
                op,
                limit,
            });
            match tail {
                [] => break,
                [and, more @ ..] if and.eq_ignore_ascii_case("and") => rest = more,
                [other, ..] => {
                    return Err(err(format!(
                        "expected `and` between constraints, got `{other}`"
                    )));
                }
            }
        }
    }
    Ok(Objective {
        sense,
        key,
        constraints,
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_forms_units_and_several_constraints() {
        let o =
            parse("min cost where latency.p99 < 800ms and cold_fraction<=5% and init.p50 >= 0.1s")
                .unwrap();
        assert_eq!(o.sense, Sense::Min);
        assert_eq!(o.key, "cost_usd");
        assert_eq!(o.constraints.len(), 3);
        assert_eq!(o.constraints[0].key, "latency_ms.p99");
        assert_eq!(o.constraints[0].op, Op::Lt);
        assert_eq!(o.constraints[0].limit, 800.0);
        assert_eq!(o.constraints[1].op, Op::Le);
        assert!((o.constraints[1].limit - 0.05).abs() < 1e-15);
        assert_eq!(o.constraints[2].key, "init_duration_ms.p50");
        assert_eq!(o.constraints[2].limit, 100.0);
        assert_eq!(o.constraints[0].slack(700.0), 100.0);
        assert_eq!(o.constraints[2].slack(90.0), -10.0);
        // The cost components keep their full keys; `cost` alone is still the total.
        let o = parse("min cost.per_month_usd where cost.pings_usd <= $1.5 and cost < 2").unwrap();
        assert_eq!(o.key, "cost.per_month_usd");
        assert_eq!(o.constraints[0].key, "cost.pings_usd");
        assert_eq!(o.constraints[0].limit, 1.5);
        assert_eq!(o.constraints[1].key, "cost_usd");
        let o = parse("max cold_latency_ms.p50").unwrap();
        assert_eq!(o.sense, Sense::Max);
        assert!(o.constraints.is_empty());
    }

    #[test]
    fn rejects_bad_objectives_with_the_reason() {
        for (text, why) in [
            ("", "min or max"),
            ("best cost", "min or max"),
            ("min", "figure must follow"),
            ("min speed", "unknown figure \"speed\""),
            ("min cost if latency.p99 < 1s", "expected `where`"),
            ("min cost where latency.p99 < ", "expected a constraint"),
            ("min cost where latency.p99 = 1s", "unknown operator `=`"),
            ("min cost where latency.p99 < 1 parsec", "expected `and`"),
            ("min cost where latency.p99 < 1kg", "unit must be"),
            ("min cost where cold_starts < 5ms", "plain number"),
            ("min cost where latency.p99 < fast", "expected a number"),
            ("min cost where latency.p99 < $5", "a $ amount fits only"),
            ("min cost where cost < $", "expected a number"),
            ("min cost.bogus_usd", "unknown figure \"cost.bogus_usd\""),
            ("min cost.", "unknown figure"),
            ("min .", "unknown figure"),
            ("min cost where", "expected a constraint"),
            ("min cost where latency.p99 < 8µs", "unit must be"),
            ("min cost where latency.p99 < ５ms", "expected a number"),
            ("min côst", "unknown figure \"côst\""),
            ("min\u{3000}cost where <<1", "unknown figure \"<\""),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
