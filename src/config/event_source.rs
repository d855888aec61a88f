//! The event-source keys of a `[[traffic]]` entry: `invocation` and its sub-table (`async`,
//! `sqs`, `stream`), checked against AWS's documented ranges and turned into a
//! [`Delivery`]. A sub-table that does not match `invocation` is an error.

use super::file::{AsyncSection, SqsSection, StreamSection, TrafficSection};
use super::scenario::Ctx;
use crate::engine::SimDuration;
use crate::error::InputResult;
use crate::lambda::Invocation;
use crate::platform::event_source::{
    ASYNC_DEFAULTS, AsyncParams, Delivery, SQS_DEFAULTS, STREAM_DEFAULTS, SqsParams, StreamParams,
};

/// Longest batching window of an event source mapping: 300 s
/// (MaximumBatchingWindowInSeconds 0..=300, AWS docs services-sqs-parameters.html and
/// services-kinesis-parameters.html).
const MAX_BATCHING_WINDOW: SimDuration = SimDuration::from_secs(300);

/// Largest batch: 10,000 (SQS standard queues and Kinesis; AWS docs, same pages).
const MAX_BATCH_SIZE: u32 = 10_000;

/// How the `i`-th traffic entry `t`, invoked as `invocation`, reaches its function.
pub(crate) fn build_delivery(
    ctx: &Ctx,
    i: usize,
    t: &TrafficSection,
    invocation: Invocation,
) -> InputResult<Delivery> {
    let key = |k: &str| format!("traffic[{i}].{k}");
    let set = [
        (Invocation::Async, "async", t.async_config.is_some()),
        (Invocation::Sqs, "sqs", t.sqs.is_some()),
        (Invocation::Stream, "stream", t.stream.is_some()),
    ];
    if let Some((_, name, _)) = set.iter().find(|(k, _, on)| *on && *k != invocation) {
        return Err(ctx.err(
            key(name),
            format!(
                "applies to invocation = \"{name}\" only (this entry's invocation is \"{}\")",
                invocation.as_str()
            ),
        ));
    }
    Ok(match invocation {
        Invocation::Sync => Delivery::Sync,
        Invocation::Async => Delivery::Async(async_params(ctx, &key("async"), t.async_config)?),
        Invocation::Sqs => Delivery::Sqs(sqs_params(ctx, &key("sqs"), t.sqs)?),
        Invocation::Stream => Delivery::Stream(stream_params(ctx, &key("stream"), t.stream)?),
    })
}

/// A count in `range`, or an error naming `key`.
fn in_range(
    ctx: &Ctx,
    key: &str,
    v: u32,
    range: std::ops::RangeInclusive<u32>,
) -> InputResult<u32> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(ctx.err(
            key,
            format!(
                "must be between {} and {}; got {v}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// A batching window of 0..=300 s.
fn window(ctx: &Ctx, key: &str, w: Option<super::dist::DurationValue>) -> InputResult<SimDuration> {
    let w = w.map_or(SimDuration::ZERO, |d| d.0);
    if w > MAX_BATCHING_WINDOW {
        return Err(ctx.err(key, format!("must be at most 300 s; got {w}")));
    }
    Ok(w)
}

fn async_params(ctx: &Ctx, key: &str, s: Option<AsyncSection>) -> InputResult<AsyncParams> {
    let d = ASYNC_DEFAULTS;
    let Some(s) = s else { return Ok(d) };
    let max_retries = in_range(
        ctx,
        &format!("{key}.max_retries"),
        s.max_retries.unwrap_or(d.max_retries),
        0..=2,
    )?;
    let age = s.max_event_age.map_or(d.max_event_age, |v| v.0);
    if !(SimDuration::from_secs(60)..=d.max_event_age).contains(&age) {
        return Err(ctx.err(
            format!("{key}.max_event_age"),
            format!("must be between 60 s and 6 h (AWS MaximumEventAgeInSeconds); got {age}"),
        ));
    }
    Ok(AsyncParams {
        max_retries,
        max_event_age: age,
        on_failure: s.on_failure.unwrap_or(d.on_failure),
    })
}

fn sqs_params(ctx: &Ctx, key: &str, s: Option<SqsSection>) -> InputResult<SqsParams> {
    let d = SQS_DEFAULTS;
    let Some(s) = s else { return Ok(d) };
    let k = |n: &str| format!("{key}.{n}");
    let batch_size = in_range(
        ctx,
        &k("batch_size"),
        s.batch_size.unwrap_or(d.batch_size),
        1..=MAX_BATCH_SIZE,
    )?;
    let batching_window = window(ctx, &k("batching_window"), s.batching_window)?;
    if batch_size > 10 && batching_window < SimDuration::from_secs(1) {
        // AWS refuses the mapping: "When you set BatchSize to a value greater than 10, you
        // must set MaximumBatchingWindowInSeconds to at least 1 second."
        return Err(ctx.err(
            k("batching_window"),
            format!("must be at least 1 s when batch_size > 10 (AWS rule); got {batching_window}"),
        ));
    }
    Ok(SqsParams {
        batch_size,
        batching_window,
        maximum_concurrency: in_range(
            ctx,
            &k("maximum_concurrency"),
            s.maximum_concurrency.unwrap_or(d.maximum_concurrency),
            2..=1_000,
        )?,
    })
}

fn stream_params(ctx: &Ctx, key: &str, s: Option<StreamSection>) -> InputResult<StreamParams> {
    let d = STREAM_DEFAULTS;
    let Some(s) = s else { return Ok(d) };
    let k = |n: &str| format!("{key}.{n}");
    Ok(StreamParams {
        // Up to 1,000 shards: above the default Kinesis shard quota (500 in the largest
        // Regions), and each lane is looked at on every completion.
        shards: in_range(ctx, &k("shards"), s.shards.unwrap_or(d.shards), 1..=1_000)?,
        parallelization_factor: in_range(
            ctx,
            &k("parallelization_factor"),
            s.parallelization_factor.unwrap_or(d.parallelization_factor),
            1..=10,
        )?,
        batch_size: in_range(
            ctx,
            &k("batch_size"),
            s.batch_size.unwrap_or(d.batch_size),
            1..=MAX_BATCH_SIZE,
        )?,
        batching_window: window(ctx, &k("batching_window"), s.batching_window)?,
    })
}
