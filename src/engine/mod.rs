//! The simulation engine: simulated time, the event queue, named random-number streams and
//! the random variates drawn from them. It knows nothing of Lambda.

pub mod dist;
pub mod heap;
pub mod queue;
pub mod rng;
pub mod tally;
pub mod time;
pub mod tournament;

pub use dist::Dist;
pub use heap::{EventKey, KeyedHeap};
pub use queue::EventQueue;
pub use rng::{Rng, RngStreams};
pub use tally::TimeTally;
pub use time::{SimDuration, SimTime};
