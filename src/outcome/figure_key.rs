//! Figure keys, typed: every figure a run reports is named here once, as a constant the
//! figure builder ([`super::figures`]) and every exporter (table, JSON, CSV, Markdown,
//! compare, the objective parser) use instead of spelling the string. A key's unit, its
//! human label and how its values are formatted follow from its name by the rules below
//! (the `_ms`, `_usd`, `fraction`/`rate` suffixes of the output contract, DESIGN.md
//! "Output"), so they too are defined once.

/// A figure's dotted key path in the JSON/CSV output (`latency_ms.p99`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FigureKey(pub &'static str);

impl FigureKey {
    /// The key as written in the outputs.
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// The figure's unit.
    pub fn unit(self) -> Unit {
        Unit::of(self.0)
    }

    /// Human name (`latency p99`).
    pub fn label(self) -> String {
        label(self.0)
    }
}

impl AsRef<str> for FigureKey {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// The figures of one histogram: `NAME.mean`, `.p50`, `.p90`, `.p95`, `.p99`, `.p999` and
/// `.max`, in ms (see [`crate::stats::figures::push_histogram`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistogramKey {
    /// Key prefix.
    pub name: &'static str,
    /// Mean.
    pub mean: FigureKey,
    /// Median.
    pub p50: FigureKey,
    /// 90th percentile.
    pub p90: FigureKey,
    /// 95th percentile.
    pub p95: FigureKey,
    /// 99th percentile.
    pub p99: FigureKey,
    /// 99.9th percentile.
    pub p999: FigureKey,
    /// Maximum.
    pub max: FigureKey,
}

impl HistogramKey {
    /// Every figure of the histogram, in output order.
    pub const fn all(&self) -> [FigureKey; 7] {
        [
            self.mean, self.p50, self.p90, self.p95, self.p99, self.p999, self.max,
        ]
    }
}

macro_rules! histogram_key {
    ($name:literal) => {
        HistogramKey {
            name: $name,
            mean: FigureKey(concat!($name, ".mean")),
            p50: FigureKey(concat!($name, ".p50")),
            p90: FigureKey(concat!($name, ".p90")),
            p95: FigureKey(concat!($name, ".p95")),
            p99: FigureKey(concat!($name, ".p99")),
            p999: FigureKey(concat!($name, ".p999")),
            max: FigureKey(concat!($name, ".max")),
        }
    };
}

/// Requests that arrived after the warm-up.
pub const ARRIVALS: FigureKey = FigureKey("arrivals");
/// Requests that ran.
pub const INVOCATIONS: FigureKey = FigureKey("invocations");
/// Invocations that waited for a new sandbox.
pub const COLD_STARTS: FigureKey = FigureKey("cold_starts");
/// Invocations served by an idle sandbox.
pub const WARM_STARTS: FigureKey = FigureKey("warm_starts");
/// Sandbox inits of any kind.
pub const INITS: FigureKey = FigureKey("inits");
/// Synchronous requests throttled.
pub const THROTTLES: FigureKey = FigureKey("throttles");
/// Asynchronous requests that waited in the queue.
pub const QUEUED: FigureKey = FigureKey("queued");
/// Cold starts per invocation.
pub const COLD_FRACTION: FigureKey = FigureKey("cold_fraction");
/// `Init Duration` of cold starts.
pub const INIT_DURATION_MS: HistogramKey = histogram_key!("init_duration_ms");
/// Extra latency of cold starts.
pub const COLD_LATENCY_MS: HistogramKey = histogram_key!("cold_latency_ms");
/// End-to-end latency.
pub const LATENCY_MS: HistogramKey = histogram_key!("latency_ms");
/// The REPORT line's `Duration`: handler time of each invocation.
pub const DURATION_MS: HistogramKey = histogram_key!("duration_ms");
/// The REPORT line's `Billed Duration`: init (when billed) plus handler, rounded up to 1 ms.
pub const BILLED_DURATION_MS: HistogramKey = histogram_key!("billed_duration_ms");
/// Mean async queue wait per invocation.
pub const QUEUE_WAIT_MS_MEAN: FigureKey = FigureKey("queue_wait_ms.mean");
/// Prefix of the per-phase means (`phases_ms.<phase>`).
pub const PHASES_MS: &str = "phases_ms";
/// Prefix of the per-import means (`imports_ms.<module>`).
pub const IMPORTS_MS: &str = "imports_ms";
/// Chunk reads served by the worker cache.
pub const CACHE_WORKER: FigureKey = FigureKey("cache.worker");
/// Chunk reads served by the AZ cache.
pub const CACHE_AZ: FigureKey = FigureKey("cache.az");
/// Chunk reads served by the origin.
pub const CACHE_ORIGIN: FigureKey = FigureKey("cache.origin");
/// Share of chunk reads served by the worker.
pub const CACHE_WORKER_HIT_RATE: FigureKey = FigureKey("cache.worker_hit_rate");
/// Share of worker misses served by the AZ cache.
pub const CACHE_AZ_HIT_RATE: FigureKey = FigureKey("cache.az_hit_rate");
/// Chunk reads that waited for another sandbox's fetch.
pub const CACHE_COALESCED: FigureKey = FigureKey("cache.coalesced");
/// Time per init waiting for image chunks.
pub const CHUNK_IO_MS_MEAN: FigureKey = FigureKey("chunk_io_ms.mean");
/// Requests that imported modules lazily.
pub const LAZY_IMPORTS: FigureKey = FigureKey("lazy_imports");
/// What lazy imports added to their requests.
pub const LAZY_IMPORT_MS: HistogramKey = histogram_key!("lazy_import_ms");
/// SnapStart restores.
pub const RESTORES: FigureKey = FigureKey("restores");
/// SnapStart snapshot size.
pub const SNAPSHOT_MB: FigureKey = FigureKey("snapshot_mb");
/// SnapStart snapshots taken.
pub const SNAPSHOT_PUBLISHES: FigureKey = FigureKey("snapshot_publishes");
/// SnapStart `Restore Duration`.
pub const RESTORE_DURATION_MS: HistogramKey = histogram_key!("restore_duration_ms");
/// Inits retried after a crash or the init timeout.
pub const REINITS: FigureKey = FigureKey("reinits");
/// Mean init time a retry wasted.
pub const REINIT_WASTED_MS_MEAN: FigureKey = FigureKey("reinit_wasted_ms.mean");
/// The bill of the run.
pub const COST_USD: FigureKey = FigureKey("cost_usd");
/// Requests' share of the bill.
pub const COST_REQUESTS_USD: FigureKey = FigureKey("cost.requests_usd");
/// On-demand duration's share of the bill.
pub const COST_DURATION_USD: FigureKey = FigureKey("cost.duration_usd");
/// Billed INIT's share of the bill.
pub const COST_INIT_USD: FigureKey = FigureKey("cost.init_usd");
/// Pings' share of the bill.
pub const COST_PINGS_USD: FigureKey = FigureKey("cost.pings_usd");
/// Provisioned concurrency's share of the bill.
pub const COST_PROVISIONED_USD: FigureKey = FigureKey("cost.provisioned_usd");
/// SnapStart's share of the bill.
pub const COST_SNAPSTART_USD: FigureKey = FigureKey("cost.snapstart_usd");
/// The bill scaled to a 30-day month.
pub const COST_PER_MONTH_USD: FigureKey = FigureKey("cost.per_month_usd");
/// The bill per million user requests.
pub const COST_PER_MILLION_REQUESTS_USD: FigureKey = FigureKey("cost.per_million_requests_usd");
/// Sandboxes created.
pub const SANDBOXES_CREATED: FigureKey = FigureKey("sandboxes.created");
/// Sandboxes reclaimed after their keep-alive.
pub const SANDBOXES_RECLAIMED_KEEP_ALIVE: FigureKey = FigureKey("sandboxes.reclaimed_keep_alive");
/// Sandboxes retired at their maximum lifetime.
pub const SANDBOXES_RETIRED_LIFETIME: FigureKey = FigureKey("sandboxes.retired_lifetime");
/// Sandboxes alive at the end.
pub const SANDBOXES_ALIVE_AT_END: FigureKey = FigureKey("sandboxes.alive_at_end");
/// Sandboxes of an old version retired after a deploy.
pub const SANDBOXES_REPLACED_BY_DEPLOY: FigureKey = FigureKey("sandboxes.replaced_by_deploy");
/// Peak requests in flight.
pub const SANDBOXES_PEAK_IN_FLIGHT: FigureKey = FigureKey("sandboxes.peak_in_flight");
/// Time-average busy sandboxes.
pub const SANDBOXES_MEAN_BUSY: FigureKey = FigureKey("sandboxes.mean_busy");
/// Time-average live sandboxes (initialising, busy or idle) over the measured span.
pub const SANDBOXES_MEAN_LIVE: FigureKey = FigureKey("sandboxes.mean_live");
/// Idle sandbox memory-time ("wasted memory"): (live − busy) time × memory, GB-s.
pub const SANDBOXES_IDLE_GB_S: FigureKey = FigureKey("sandboxes.idle_gb_s");
/// Inits that replaced a sandbox about to retire (reported when replacement is on).
pub const REPLACEMENT_INITS: FigureKey = FigureKey("replacement_inits");
/// Provisioned-concurrency inits.
pub const PROVISIONED_INITS: FigureKey = FigureKey("provisioned_inits");
/// Proactive inits.
pub const PROACTIVE_INITS: FigureKey = FigureKey("proactive_inits");
/// Cold starts while no provisioned sandbox was idle.
pub const SPILLOVER_COLD_STARTS: FigureKey = FigureKey("spillover_cold_starts");
/// Warm-up pings.
pub const PINGS: FigureKey = FigureKey("pings");
/// Pings that cold-started a sandbox.
pub const PING_COLD_STARTS: FigureKey = FigureKey("ping_cold_starts");
/// Billed time of pings.
pub const PING_BILLED_MS: FigureKey = FigureKey("ping_billed_ms");
/// Configured provisioned sandbox-time.
pub const PROVISIONED_CONFIGURED_S: FigureKey = FigureKey("provisioned_configured_s");
/// Busy time on provisioned sandboxes.
pub const PROVISIONED_BUSY_S: FigureKey = FigureKey("provisioned_busy_s");
/// Billed time of invocations on provisioned sandboxes.
pub const PROVISIONED_BILLED_MS: FigureKey = FigureKey("provisioned_billed_ms");
/// Provisioned sandboxes recycled at their lifetime.
pub const PROVISIONED_RECYCLED: FigureKey = FigureKey("provisioned_recycled");
/// Provisioned sandboxes released.
pub const PROVISIONED_RELEASED: FigureKey = FigureKey("provisioned_released");
/// `Init Duration` of provisioned inits.
pub const PROVISIONED_INIT_DURATION_MS: HistogramKey =
    histogram_key!("provisioned_init_duration_ms");
/// Event sources: age of events when taken by an invocation.
pub const EVENT_AGE_MS: HistogramKey = histogram_key!("event_age_ms");
/// Event sources: events lost after their last retry (dropped).
pub const DROPPED_EVENTS: FigureKey = FigureKey("dropped_events");
/// Event sources: events lost after their last retry, sent to the on-failure destination.
pub const DESTINATION_EVENTS: FigureKey = FigureKey("destination_events");
/// Event sources: events that reached their maximum age.
pub const EXPIRED_EVENTS: FigureKey = FigureKey("expired_events");
/// Event sources: failed attempts retried.
pub const EVENT_RETRIES: FigureKey = FigureKey("event_retries");
/// Event sources: attempts throttled.
pub const THROTTLED_ATTEMPTS: FigureKey = FigureKey("throttled_attempts");
/// Event sources: invocations carrying a batch.
pub const BATCHES: FigureKey = FigureKey("batches");
/// Event sources: mean events per batch.
pub const EVENTS_PER_BATCH: FigureKey = FigureKey("events_per_batch");

/// Every scalar figure above, in no particular order (the builder's output order is its own).
pub const SCALARS: &[FigureKey] = &[
    REPLACEMENT_INITS,
    ARRIVALS,
    INVOCATIONS,
    COLD_STARTS,
    WARM_STARTS,
    INITS,
    THROTTLES,
    QUEUED,
    COLD_FRACTION,
    QUEUE_WAIT_MS_MEAN,
    CACHE_WORKER,
    CACHE_AZ,
    CACHE_ORIGIN,
    CACHE_WORKER_HIT_RATE,
    CACHE_AZ_HIT_RATE,
    CACHE_COALESCED,
    CHUNK_IO_MS_MEAN,
    LAZY_IMPORTS,
    RESTORES,
    SNAPSHOT_MB,
    SNAPSHOT_PUBLISHES,
    REINITS,
    REINIT_WASTED_MS_MEAN,
    COST_USD,
    COST_REQUESTS_USD,
    COST_DURATION_USD,
    COST_INIT_USD,
    COST_PINGS_USD,
    COST_PROVISIONED_USD,
    COST_SNAPSTART_USD,
    COST_PER_MONTH_USD,
    COST_PER_MILLION_REQUESTS_USD,
    SANDBOXES_CREATED,
    SANDBOXES_RECLAIMED_KEEP_ALIVE,
    SANDBOXES_RETIRED_LIFETIME,
    SANDBOXES_ALIVE_AT_END,
    SANDBOXES_REPLACED_BY_DEPLOY,
    SANDBOXES_PEAK_IN_FLIGHT,
    SANDBOXES_MEAN_BUSY,
    SANDBOXES_MEAN_LIVE,
    SANDBOXES_IDLE_GB_S,
    PROVISIONED_INITS,
    PROACTIVE_INITS,
    SPILLOVER_COLD_STARTS,
    PINGS,
    PING_COLD_STARTS,
    PING_BILLED_MS,
    PROVISIONED_CONFIGURED_S,
    PROVISIONED_BUSY_S,
    PROVISIONED_BILLED_MS,
    PROVISIONED_RECYCLED,
    PROVISIONED_RELEASED,
    DROPPED_EVENTS,
    DESTINATION_EVENTS,
    EXPIRED_EVENTS,
    EVENT_RETRIES,
    THROTTLED_ATTEMPTS,
    BATCHES,
    EVENTS_PER_BATCH,
];

/// Every histogram above.
pub const HISTOGRAMS: &[HistogramKey] = &[
    INIT_DURATION_MS,
    COLD_LATENCY_MS,
    LATENCY_MS,
    DURATION_MS,
    BILLED_DURATION_MS,
    LAZY_IMPORT_MS,
    RESTORE_DURATION_MS,
    PROVISIONED_INIT_DURATION_MS,
    EVENT_AGE_MS,
];

/// A figure's unit, from its key: `…fraction` and `…rate` are fractions, a first segment
/// ending in `_ms` is milliseconds, `…_usd` is US dollars, anything else a plain number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A share in [0, 1], shown in percent (differences in percentage points).
    Fraction,
    /// Milliseconds.
    Ms,
    /// US dollars.
    Usd,
    /// A count or another plain number.
    Plain,
}

impl Unit {
    /// The unit of figure `key`.
    pub fn of(key: &str) -> Unit {
        if key.ends_with("fraction") || key.ends_with("rate") {
            Unit::Fraction
        } else if key.split('.').next().is_some_and(|h| h.ends_with("_ms")) {
            Unit::Ms
        } else if key.ends_with("_usd") {
            Unit::Usd
        } else {
            Unit::Plain
        }
    }
}

/// Human name of a figure key (`latency_ms.p99` → `latency p99`).
pub fn label(key: &str) -> String {
    match key {
        "cold_fraction" => "cold fraction".into(),
        "cold_starts" => "cold starts".into(),
        "cost_usd" => "cost".into(),
        // The unit goes with the value (`$`), not the name: `cost.per_month_usd` → `cost per month`.
        _ => key
            .strip_suffix("_usd")
            .unwrap_or(key)
            .replace("_ms.", " ")
            .replace("_duration", "")
            .replace(['_', '.'], " "),
    }
}

/// A value of figure `key` with its unit: `12.3%`, `412.5 ms`, `$0.0123`, `1,234`.
pub fn fmt_value(key: &str, x: f64) -> String {
    match Unit::of(key) {
        Unit::Fraction => format!("{}%", sig(x * 100.0)),
        Unit::Ms => format!("{} ms", sig(x)),
        Unit::Usd => format!("${}", sig(x)),
        Unit::Plain => sig(x),
    }
}

/// A difference of figure `key` (signed, same units; fractions in percentage points).
pub fn fmt_diff(key: &str, x: f64) -> String {
    let sign = if x > 0.0 {
        "+"
    } else if x < 0.0 {
        "-"
    } else {
        "±"
    };
    let a = x.abs();
    if Unit::of(key) == Unit::Fraction {
        format!("{sign}{} pp", sig(a * 100.0))
    } else {
        format!("{sign}{}", fmt_value(key, a))
    }
}

/// Half-width of an interval of figure `key`, without sign (`±35 ms`).
pub fn fmt_ci(key: &str, h: f64) -> String {
    if Unit::of(key) == Unit::Fraction {
        format!("±{} pp", sig(h * 100.0))
    } else {
        format!("±{}", fmt_value(key, h))
    }
}

/// A number with about three significant digits (one decimal from 100 up, integers as
/// integers).
fn sig(x: f64) -> String {
    let a = x.abs();
    if x == x.trunc() && a < 1e15 {
        format!("{}", x as i64)
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        let digits = (2 - a.log10().floor() as i32).clamp(2, 12) as usize;
        format!("{x:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: the macro spells the histogram figures the way the builder does.
    #[test]
    fn histogram_keys_are_prefix_dot_statistic() {
        let names: Vec<&str> = LATENCY_MS.all().iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            [
                "latency_ms.mean",
                "latency_ms.p50",
                "latency_ms.p90",
                "latency_ms.p95",
                "latency_ms.p99",
                "latency_ms.p999",
                "latency_ms.max"
            ]
        );
    }

    /// Exact: units and labels follow the suffix rules.
    #[test]
    fn units_and_labels_follow_the_key() {
        assert_eq!(COLD_FRACTION.unit(), Unit::Fraction);
        assert_eq!(CACHE_AZ_HIT_RATE.unit(), Unit::Fraction);
        assert_eq!(LATENCY_MS.p99.unit(), Unit::Ms);
        assert_eq!(COST_PER_MONTH_USD.unit(), Unit::Usd);
        assert_eq!(INVOCATIONS.unit(), Unit::Plain);
        assert_eq!(INIT_DURATION_MS.p99.label(), "init p99");
        assert_eq!(COST_PER_MONTH_USD.label(), "cost per month");
    }
}
