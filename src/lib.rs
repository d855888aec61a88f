//! coldsim: an offline discrete-event simulator of AWS Lambda cold starts. It predicts the
//! distribution of cold starts (how many, how long, which phase costs what, what it costs)
//! for a function and a traffic pattern. See DESIGN.md of the project for the model.

pub mod calibrate;
pub mod cli;
pub mod coldstart;
pub mod config;
pub mod cost;
pub mod engine;
pub mod error;
pub mod import;
pub mod input;
pub mod lambda;
pub mod outcome;
pub mod output;
pub mod platform;
pub mod report;
pub mod runner;
pub mod runtimes;
pub mod sim;
pub mod stats;
pub mod storage;
pub mod traffic;
pub mod units;
pub mod whatif;
