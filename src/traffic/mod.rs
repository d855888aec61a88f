//! Arrival processes. Each traffic source keeps only its next arrival: arrivals are made
//! lazily, one at a time, so memory does not grow with the length of the run.

pub mod bursty;
pub mod cron;
pub mod diurnal;
pub mod poisson;
pub mod schedule;
pub mod trace;

use crate::engine::{Rng, SimTime};
use crate::error::InputResult;

pub use bursty::Bursty;
pub use diurnal::Diurnal;
pub use poisson::Poisson;
pub use schedule::Schedule;
pub use trace::{Azure2019Cursor, Azure2019Trace, TimestampCursor, TimestampTrace};

/// An arrival process as configured.
#[derive(Clone, Debug)]
pub enum ArrivalProcess {
    /// Homogeneous Poisson.
    Poisson(Poisson),
    /// Base rate plus bursts.
    Bursty(Bursty),
    /// Rate following a daily cosine curve.
    Diurnal(Diurnal),
    /// Per-request timestamps from CSV.
    Timestamps(TimestampTrace),
    /// Per-minute counts, Azure Functions 2019 layout.
    Azure2019(Azure2019Trace),
    /// One invocation per firing of a rate or cron schedule.
    Schedule(Schedule),
}

impl ArrivalProcess {
    /// Expected number of arrivals in `[0, horizon)`, for sanity checks on a scenario's size.
    pub fn expected_arrivals(&self, horizon: SimTime) -> f64 {
        let s = horizon.as_secs_f64();
        match self {
            ArrivalProcess::Poisson(p) => p.rate_per_s * s,
            ArrivalProcess::Bursty(b) => b.expected_rate_per_s() * s,
            ArrivalProcess::Diurnal(d) => d.mean_rate_per_s * s,
            ArrivalProcess::Timestamps(t) => t.len() as f64,
            ArrivalProcess::Azure2019(a) => a.total_invocations() as f64,
            ArrivalProcess::Schedule(s) => s.count_before(horizon) as f64,
        }
    }
}

impl ArrivalProcess {
    /// The first arrival of a trace replay (the start of its first minute with invocations
    /// for Azure 2019 counts); `None` for generated processes, which start at time zero.
    pub fn trace_start(&self) -> Option<SimTime> {
        match self {
            ArrivalProcess::Timestamps(t) => Some(t.first()),
            ArrivalProcess::Azure2019(a) => {
                let minute = a.per_minute().iter().position(|&n| n > 0)?;
                Some(SimTime(minute as u64 * crate::engine::time::US_PER_MIN))
            }
            _ => None,
        }
    }
}

/// The running state of one source: the generator, its random stream and the next
/// arrival, made one step ahead.
///
/// Making each arrival one call early keeps the random draw and floating-point work off the
/// critical path: the time returned now was computed at the previous call, so the event
/// queue can sift it at once while the next one is being computed. The stream's private
/// random numbers are drawn in the same order and give the same times; the only difference
/// is one extra, unobserved step after the last arrival used.
///
/// One cache line per source (the processes with more state than Poisson keep it boxed): the
/// event loop steps a different source at almost every arrival.
#[repr(align(64))]
pub struct ArrivalStream {
    state: StreamState,
    rng: Rng,
    /// The next arrival; [`SimTime::NEVER`] once the process has ended (no run reaches it:
    /// durations are bounded far below).
    ahead: SimTime,
}

enum StreamState {
    Poisson(poisson::PoissonState),
    Bursty(Box<bursty::BurstyState>),
    Diurnal(Box<diurnal::DiurnalState>),
    /// Boxed: the CSV reader is large and would make every source's state as large.
    Timestamps(Box<TimestampCursor>),
    Azure2019(Box<Azure2019Cursor>),
    Schedule(Box<schedule::ScheduleState>),
}

impl ArrivalStream {
    /// A stream of `process` drawing from `rng`, starting at time zero.
    pub fn new(process: &ArrivalProcess, rng: Rng) -> InputResult<Self> {
        let state = match process {
            ArrivalProcess::Poisson(p) => StreamState::Poisson(p.start()),
            ArrivalProcess::Bursty(b) => StreamState::Bursty(Box::new(b.start())),
            ArrivalProcess::Diurnal(d) => StreamState::Diurnal(Box::new(d.start())),
            ArrivalProcess::Timestamps(t) => StreamState::Timestamps(Box::new(t.cursor()?)),
            ArrivalProcess::Azure2019(a) => StreamState::Azure2019(Box::new(a.cursor())),
            ArrivalProcess::Schedule(s) => StreamState::Schedule(Box::new(s.start())),
        };
        let mut stream = ArrivalStream {
            state,
            rng,
            ahead: SimTime::NEVER,
        };
        stream.ahead = stream.make_next().unwrap_or(SimTime::NEVER);
        Ok(stream)
    }

    /// The next arrival time (non-decreasing), or `None` when the process has ended.
    #[inline(never)] // inlined into the event loop it costs more (register pressure)
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        let next = self.ahead;
        if next == SimTime::NEVER {
            return None;
        }
        // Poisson, the common process, steps inline; the others through `make_next`.
        self.ahead = match &mut self.state {
            StreamState::Poisson(s) => s.next(&mut self.rng),
            _ => self.make_next().unwrap_or(SimTime::NEVER),
        };
        Some(next)
    }

    /// Runs the process one step (`None`: it has ended).
    #[inline]
    fn make_next(&mut self) -> Option<SimTime> {
        match &mut self.state {
            StreamState::Poisson(s) => Some(s.next(&mut self.rng)),
            StreamState::Bursty(s) => Some(s.next(&mut self.rng)),
            StreamState::Diurnal(s) => Some(s.next(&mut self.rng)),
            StreamState::Timestamps(c) => c.next_arrival(),
            StreamState::Azure2019(c) => c.next_arrival(&mut self.rng),
            StreamState::Schedule(s) => s.next(),
        }
    }
}

/// Continuous time in microseconds as f64, rounded half up to the simulator's integer clock
/// (at most [`SimTime::NEVER`]). Keeping the running sum in f64 avoids accumulating a
/// rounding error per gap.
#[inline]
fn to_sim_time(t_us: f64) -> SimTime {
    SimTime(crate::engine::SimDuration::from_us_f64(t_us).as_us())
}

#[cfg(test)]
mod tests {
    use super::poisson::Poisson;
    use super::*;
    use rand::SeedableRng;

    /// A limit case: arrivals so rare (one per 10^300 s) that the first lies past the
    /// simulator's clock (it rounds to `SimTime::NEVER`) end the stream at once, and it stays
    /// ended; an ordinary rate yields increasing arrivals.
    #[test]
    fn a_stream_whose_next_arrival_is_past_the_clock_has_ended() {
        let rare = ArrivalProcess::Poisson(Poisson { rate_per_s: 1e-300 });
        let mut s = ArrivalStream::new(&rare, Rng::seed_from_u64(1)).unwrap();
        assert_eq!(s.next_arrival(), None);
        assert_eq!(s.next_arrival(), None);
        let common = ArrivalProcess::Poisson(Poisson { rate_per_s: 10.0 });
        let mut s = ArrivalStream::new(&common, Rng::seed_from_u64(1)).unwrap();
        let (a, b) = (s.next_arrival().unwrap(), s.next_arrival().unwrap());
        assert!(a <= b && b < SimTime::NEVER, "{a:?} {b:?}");
    }
}

#[cfg(test)]
mod layout_tests {
    /// One cache line per source: the state of the largest unboxed process (Poisson: two
    /// `f64`) and the enum's tag (8 + 16 bytes), the random stream (32) and the next
    /// arrival (8), counted by hand.
    #[test]
    fn a_source_fills_one_cache_line() {
        assert_eq!(std::mem::size_of::<super::ArrivalStream>(), 64);
        assert_eq!(std::mem::align_of::<super::ArrivalStream>(), 64);
    }
}
