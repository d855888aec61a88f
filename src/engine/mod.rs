//! The simulation engine: simulated time, the event queue, named random-number streams and
//! the random variates drawn from them. It knows nothing of Lambda.

pub mod dist;
pub mod queue;
pub mod rng;
pub mod time;

pub use dist::Dist;
pub use queue::EventQueue;
pub use rng::{Rng, RngStreams};
pub use time::{SimDuration, SimTime};
