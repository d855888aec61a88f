//! Event sources: how events reach a function when something other than a caller invokes
//! it (AWS docs "Invoking Lambda functions", "Lambda event source mappings"). Each kind has
//! its documented rules, decided here and acted on by `sim::event_source`:
//! - `async` (S3, SNS, EventBridge): Lambda's internal event queue, read by pollers whose
//!   concurrency builds up over time ([`pollers`]); throttled and failed events are retried
//!   with backoff until their retries or their age run out ([`async_retry`]);
//! - `sqs` (event source mapping): batches of up to `batch_size` messages gathered for up
//!   to `batching_window`, read by pollers that start at five concurrent batches and scale
//!   up to `maximum_concurrency` ([`pollers`], [`batch`]);
//! - `stream` (Kinesis, DynamoDB Streams): one ordered lane per shard and parallelization
//!   factor, one batch at a time per lane ([`stream`], [`batch`]).

pub mod async_retry;
pub mod batch;
pub mod pollers;
pub mod stream;

use crate::engine::SimDuration;

/// What a function's traffic does when its `invocation` is `async`: AWS's
/// `EventInvokeConfig` (docs "Configuring error handling settings for Lambda asynchronous
/// invocations").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsyncParams {
    /// Retries after a function error, 0..=2 (AWS default 2).
    pub max_retries: u32,
    /// Longest an event stays in the queue, 60 s..=6 h (AWS default 6 h).
    pub max_event_age: SimDuration,
    /// Where an event goes that expires or exhausts its retries.
    pub on_failure: OnFailure,
}

/// AWS defaults of [`AsyncParams`]: 2 retries, 6 h ("Retry attempts – … between 0 and 2";
/// "Maximum age of event – … up to 6 hours", docs invocation-async-configuring.html; both
/// defaults in invocation-async-error-handling.html). High confidence.
pub const ASYNC_DEFAULTS: AsyncParams = AsyncParams {
    max_retries: 2,
    max_event_age: SimDuration::from_secs(6 * 3600),
    on_failure: OnFailure::Drop,
};

/// Where a failed async event goes: dropped, or an on-failure destination (or DLQ). Either
/// way it is lost to the function; they are counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Discarded (no destination configured).
    #[default]
    Drop,
    /// Sent to an on-failure destination.
    Destination,
}

/// An SQS event source mapping (docs "Lambda parameters for Amazon SQS event source
/// mappings").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqsParams {
    /// Messages per batch, 1..=10,000 (default 10).
    pub batch_size: u32,
    /// Longest the poller gathers messages before invoking, 0..=300 s (default 0 s; at least
    /// 1 s when `batch_size` > 10).
    pub batching_window: SimDuration,
    /// Most concurrent batches, 2..=1,000 (default: the mapping's own maximum, 1,000).
    pub maximum_concurrency: u32,
}

/// AWS defaults of [`SqsParams`]: BatchSize 10, MaximumBatchingWindowInSeconds 0 (docs
/// services-sqs-parameters.html), and without `ScalingConfig` the mapping's own limit of
/// 1,000 concurrent batches (docs services-sqs-scaling.html). High confidence.
pub const SQS_DEFAULTS: SqsParams = SqsParams {
    batch_size: 10,
    batching_window: SimDuration::ZERO,
    maximum_concurrency: 1_000,
};

/// A Kinesis or DynamoDB stream event source mapping (docs "Lambda parameters for Amazon
/// Kinesis Data Streams event source mappings").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamParams {
    /// Shards of the stream, 1..=1,000.
    pub shards: u32,
    /// Concurrent batches per shard, 1..=10 (default 1).
    pub parallelization_factor: u32,
    /// Records per batch, 1..=10,000 (default 100).
    pub batch_size: u32,
    /// Longest the poller gathers records before invoking, 0..=300 s (default 0 s).
    pub batching_window: SimDuration,
}

/// AWS defaults of [`StreamParams`]: ParallelizationFactor 1, BatchSize 100,
/// MaximumBatchingWindowInSeconds 0 (docs services-kinesis-parameters.html); one shard
/// (assumed: the smallest stream). High confidence except the shard count.
pub const STREAM_DEFAULTS: StreamParams = StreamParams {
    shards: 1,
    parallelization_factor: 1,
    batch_size: 100,
    batching_window: SimDuration::ZERO,
};

/// How a traffic source's requests reach its function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Synchronous: each request invokes at once, throttled over a limit.
    #[default]
    Sync,
    /// Asynchronous through Lambda's event queue and its pollers (or, with the platform's
    /// `async_delivery = "immediate"`, started at once up to the limits and the rest queued
    /// first come first served, as coldsim did before event sources).
    Async(AsyncParams),
    /// An SQS event source mapping.
    Sqs(SqsParams),
    /// A Kinesis or DynamoDB stream.
    Stream(StreamParams),
}

impl Delivery {
    /// Whether requests go through an event source (a queue read by pollers).
    pub fn is_event_source(&self) -> bool {
        matches!(
            self,
            Delivery::Async(_) | Delivery::Sqs(_) | Delivery::Stream(_)
        )
    }
}
