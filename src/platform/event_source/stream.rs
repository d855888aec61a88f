//! Stream event sources (Kinesis, DynamoDB Streams): "Lambda processes records from each
//! shard in order", one batch at a time per shard; with a parallelization factor of N,
//! "Lambda processes up to N batches concurrently from each shard … while still
//! maintaining in-order processing at the partition-key level" (AWS docs
//! with-kinesis.html, "Polling and batching streams"; services-kinesis-parameters.html:
//! ParallelizationFactor 1..=10, default 1). So concurrency = shards × factor exactly.
//!
//! Modelled as shards × factor ordered lanes, one batch in flight per lane; records go to
//! lanes in turn (assumed: partition keys spread evenly over shards and over the factor's
//! sub-shard groups; medium confidence — a hot key would concentrate on one lane). A
//! throttled batch stays at the head of its lane, so order is kept.

/// The lanes of a stream and which lane the next record goes to.
#[derive(Clone, Debug)]
pub struct Lanes {
    count: u32,
    next: u32,
}

impl Lanes {
    /// `shards` × `factor` lanes (each at least 1).
    pub fn new(shards: u32, factor: u32) -> Self {
        Lanes {
            count: shards.max(1).saturating_mul(factor.max(1)),
            next: 0,
        }
    }

    /// Lanes: the stream's concurrency, shards × parallelization factor.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The lane of the next record (in turn).
    pub fn assign(&mut self) -> u32 {
        let lane = self.next;
        self.next = (self.next + 1) % self.count;
        lane
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact: 3 shards × factor 2 = 6 lanes, records dealt in turn.
    #[test]
    fn lanes_are_shards_times_factor_and_records_go_in_turn() {
        let mut l = Lanes::new(3, 2);
        assert_eq!(l.count(), 6);
        let got: Vec<u32> = (0..8).map(|_| l.assign()).collect();
        assert_eq!(got, [0, 1, 2, 3, 4, 5, 0, 1]);
    }
}
