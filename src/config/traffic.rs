//! `[[traffic]]` tables into [`TrafficSource`]s: which keys each `kind` takes, the range of
//! each rate, and the arrival process of each kind (DESIGN.md, "Traffic and events").

use super::file::TrafficSection;
use super::paths::resolve;
use super::scenario::{Ctx, Function, TrafficSource};
use super::units::parse_clock_time;
use crate::engine::{Dist, SimDuration, SimTime};
use crate::error::InputResult;
use crate::traffic::cron::Cron;
use crate::traffic::trace::{AzureSelector, DEFAULT_TIMESTAMP_COLUMN};
use crate::traffic::{
    ArrivalProcess, Azure2019Trace, Bursty, Diurnal, Poisson, Schedule, TimestampTrace,
};

/// Highest request rate accepted for one source, per second.
const MAX_RATE_PER_S: f64 = 1e6;

/// Keys each traffic kind accepts besides `function`, `kind` and `invocation`.
fn keys_for(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "poisson" => &["rate"],
        "bursty" => &[
            "base_rate",
            "burst_rate",
            "burst_size",
            "burst_length",
            "burst_every",
            "first_burst",
        ],
        "diurnal" => &["mean_rate", "peak_to_trough", "peak_at"],
        "trace" => &["file", "format", "column", "function_hash", "row"],
        "schedule" => &["every", "cron"],
        _ => return None,
    })
}

/// One `[[traffic]]` table (the `i`-th) of a scenario whose functions are `functions` and
/// whose run ends at `end`.
pub(crate) fn build_traffic(
    ctx: &Ctx,
    i: usize,
    t: &TrafficSection,
    functions: &[Function],
    end: SimTime,
) -> InputResult<TrafficSource> {
    let s = Source { ctx, i, t };
    let function = s.function(functions)?;
    s.check_keys()?;
    let process = match t.kind.as_str() {
        "poisson" => ArrivalProcess::Poisson(Poisson {
            rate_per_s: s.rate("rate", t.rate, true)?,
        }),
        "bursty" => ArrivalProcess::Bursty(s.bursty()?),
        "diurnal" => ArrivalProcess::Diurnal(s.diurnal()?),
        "schedule" => ArrivalProcess::Schedule(s.schedule()?),
        _ => s.trace(end)?,
    };
    let invocation = t.invocation.unwrap_or(functions[function].invocation);
    let delivery = super::event_source::build_delivery(ctx, i, t, invocation)?;
    Ok(TrafficSource {
        function,
        invocation,
        delivery,
        process,
    })
}

/// The table being built, for keys in messages.
struct Source<'a> {
    ctx: &'a Ctx<'a>,
    i: usize,
    t: &'a TrafficSection,
}

impl Source<'_> {
    fn key(&self, k: &str) -> String {
        format!("traffic[{}].{k}", self.i)
    }

    fn err(&self, k: &str, msg: impl Into<String>) -> crate::error::InputError {
        self.ctx.err(self.key(k), msg)
    }

    /// The index of the function the source calls.
    fn function(&self, functions: &[Function]) -> InputResult<usize> {
        let name = &self.t.function;
        functions
            .iter()
            .position(|f| &f.name == name)
            .ok_or_else(|| {
                let all: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
                self.err(
                    "function",
                    format!(
                        "no function named \"{name}\" (functions: {})",
                        all.join(", ")
                    ),
                )
            })
    }

    /// The kind is known and every key set applies to it.
    fn check_keys(&self) -> InputResult<()> {
        let kind = &self.t.kind;
        let allowed = keys_for(kind).ok_or_else(|| {
            self.err(
                "kind",
                format!(
                    "unknown kind \"{kind}\"; expected poisson, bursty, diurnal, trace or schedule"
                ),
            )
        })?;
        match self.t.keys_set().into_iter().find(|k| !allowed.contains(k)) {
            Some(extra) => Err(self.err(
                extra,
                format!(
                    "does not apply to kind = \"{kind}\" (it takes {})",
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// A rate in requests per second, 0 (or above 0 when `required`) to [`MAX_RATE_PER_S`].
    fn rate(&self, k: &str, v: Option<f64>, required: bool) -> InputResult<f64> {
        match v {
            None if required => Err(self.err(
                k,
                format!(
                    "kind = \"{}\" needs `{k}` (requests per second)",
                    self.t.kind
                ),
            )),
            None => Ok(0.0),
            Some(r)
                if r.is_finite()
                    && (0.0..=MAX_RATE_PER_S).contains(&r)
                    && (r > 0.0 || !required) =>
            {
                Ok(r)
            }
            Some(r) => Err(self.err(
                k,
                format!(
                    "must be a rate in requests per second, {} to {MAX_RATE_PER_S:.0e}; got {r}",
                    if required { "above 0" } else { "0" }
                ),
            )),
        }
    }

    fn bursty(&self) -> InputResult<Bursty> {
        let t = self.t;
        let burst_length = t
            .burst_length
            .ok_or_else(|| self.err("burst_length", "kind = \"bursty\" needs `burst_length`"))?
            .0;
        if burst_length.as_us() == 0 {
            return Err(self.err("burst_length", "must be longer than zero"));
        }
        let every = t
            .burst_every
            .as_ref()
            .ok_or_else(|| self.err("burst_every", "kind = \"bursty\" needs `burst_every`"))?;
        let burst_every = self.ctx.dist(&self.key("burst_every"), every)?;
        self.check_burst_every(&burst_every, burst_length)?;
        let b = Bursty {
            base_rate_per_s: self.rate("base_rate", t.base_rate, false)?,
            burst_rate_per_s: self.rate("burst_rate", t.burst_rate, false)?,
            burst_size: t.burst_size.unwrap_or(0),
            burst_length,
            burst_every,
            first_burst: t.first_burst.map(|d| d.0).unwrap_or_default(),
        };
        if b.burst_rate_per_s == 0.0 && b.burst_size == 0 {
            return Err(self.err(
                "burst_rate",
                "a burst needs `burst_rate` > 0 or `burst_size` > 0",
            ));
        }
        Ok(b)
    }

    /// Burst starts are `burst_every` apart, start to start: a constant gap shorter than the
    /// burst (or zero) would be stretched to the burst's length, so it is refused; a random
    /// gap needs a mean above zero.
    fn check_burst_every(&self, every: &Dist, burst_length: SimDuration) -> InputResult<()> {
        match every {
            Dist::Constant(d) if *d < burst_length => Err(self.err(
                "burst_every",
                format!(
                    "must be at least burst_length ({burst_length}), since bursts are counted \
                     start to start; got {d}"
                ),
            )),
            _ if every.mean_us() < 1.0 => {
                Err(self.err("burst_every", "must have a mean above zero"))
            }
            _ => Ok(()),
        }
    }

    fn diurnal(&self) -> InputResult<Diurnal> {
        let t = self.t;
        let ratio = t.peak_to_trough.ok_or_else(|| {
            self.err(
                "peak_to_trough",
                "kind = \"diurnal\" needs `peak_to_trough` (>= 1)",
            )
        })?;
        if !ratio.is_finite() || ratio < 1.0 {
            return Err(self.err(
                "peak_to_trough",
                format!("must be a number >= 1; got {ratio}"),
            ));
        }
        Ok(Diurnal {
            mean_rate_per_s: self.rate("mean_rate", t.mean_rate, true)?,
            peak_to_trough: ratio,
            peak_at: parse_clock_time(t.peak_at.as_deref().unwrap_or("14:00"))
                .map_err(|m| self.err("peak_at", m))?,
        })
    }

    /// A rate or cron schedule: exactly one of `every` (above zero) or `cron`.
    fn schedule(&self) -> InputResult<Schedule> {
        match (self.t.every, self.t.cron.as_deref()) {
            (Some(every), None) if every.0.as_us() > 0 => Ok(Schedule::Every {
                period_us: every.0.as_us(),
            }),
            (Some(_), None) => Err(self.err("every", "must be longer than zero")),
            (None, Some(c)) => Cron::parse(c)
                .map(Schedule::Cron)
                .map_err(|m| self.err("cron", m)),
            _ => Err(self.err(
                "every",
                "kind = \"schedule\" needs exactly one of `every` (a period, \"5m\") or `cron` \
                 (six AWS cron fields, UTC, \"0 12 * * ? *\")",
            )),
        }
    }

    /// A trace replay; a trace whose first arrival is at or after `end` is an error, since
    /// the run would see no traffic from it.
    fn trace(&self, end: SimTime) -> InputResult<ArrivalProcess> {
        let t = self.t;
        let name = t
            .file
            .as_deref()
            .ok_or_else(|| self.err("file", "kind = \"trace\" needs `file`"))?;
        let path = resolve(self.ctx.file, &self.key("file"), name)?;
        if let Some(why) = crate::input::refusal(&path, crate::input::InputKind::Trace) {
            return Err(self.err("file", format!("{}: {why}", path.display())));
        }
        let process = match t.format.as_deref() {
            Some("timestamps") => {
                if t.function_hash.is_some() || t.row.is_some() {
                    return Err(self.err("function_hash", "applies to format = \"azure2019\" only"));
                }
                let column = t.column.as_deref().unwrap_or(DEFAULT_TIMESTAMP_COLUMN);
                ArrivalProcess::Timestamps(TimestampTrace::open(&path, column)?)
            }
            Some("azure2019") => {
                if t.column.is_some() {
                    return Err(self.err("column", "applies to format = \"timestamps\" only"));
                }
                ArrivalProcess::Azure2019(Azure2019Trace::open(&path, &self.azure_selector()?)?)
            }
            other => return Err(self.err("format", format_message(other))),
        };
        self.check_starts_before(&process, end)?;
        Ok(process)
    }

    fn azure_selector(&self) -> InputResult<AzureSelector> {
        match (&self.t.function_hash, self.t.row) {
            (Some(h), None) => Ok(AzureSelector::Function(h.clone())),
            (None, Some(r)) => Ok(AzureSelector::Row(r)),
            _ => Err(self.err(
                "function_hash",
                "format = \"azure2019\" needs exactly one of `function_hash` or `row`",
            )),
        }
    }

    fn check_starts_before(&self, process: &ArrivalProcess, end: SimTime) -> InputResult<()> {
        match process.trace_start() {
            Some(first) if first >= end => Err(self.err(
                "file",
                format!(
                    "the trace's first arrival is at {} s, at or after the end of the run \
                     (run.duration = {} s): the run would see none of it",
                    first.as_secs_f64(),
                    end.as_secs_f64()
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// The message for a missing or unknown trace `format`.
fn format_message(format: Option<&str>) -> String {
    match format {
        Some(f) => format!("expected \"timestamps\" or \"azure2019\"; got \"{f}\""),
        None => "missing: give format = \"timestamps\" or \"azure2019\"".to_string(),
    }
}
