//! The per-invocation CSV, written as a stream while the simulation runs (one row per
//! counted invocation, never held in memory).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{InputError, InputResult};
use crate::sim::{InvocationRecord, InvocationSink};

/// Writes invocation rows to a CSV file.
pub struct InvocationCsv {
    out: BufWriter<File>,
    function_names: Vec<String>,
}

/// Column names, in order.
pub const HEADER: &str = "replication,function,sandbox,arrival_s,start_s,end_s,cold,queue_wait_ms,cold_latency_ms,init_duration_ms,handler_ms,latency_ms";

impl InvocationCsv {
    /// Creates `path` and writes the header.
    pub fn create(path: &Path, function_names: Vec<String>) -> InputResult<Self> {
        let file = File::create(path).map_err(|e| InputError::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        writeln!(out, "{HEADER}").map_err(|e| InputError::io(path, e))?;
        Ok(InvocationCsv {
            out,
            function_names,
        })
    }

    /// Flushes what is buffered.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl InvocationSink for InvocationCsv {
    fn record(&mut self, replication: u32, rec: &InvocationRecord) -> std::io::Result<()> {
        let r = &rec.request;
        let name = self
            .function_names
            .get(rec.function as usize)
            .map_or("?", String::as_str);
        writeln!(
            self.out,
            "{},{},{},{:.6},{:.6},{:.6},{},{:.3},{:.3},{:.3},{:.3},{:.3}",
            replication,
            name,
            rec.sandbox,
            r.arrival.as_secs_f64(),
            r.start.as_secs_f64(),
            rec.end.as_secs_f64(),
            r.cold as u8,
            (r.start - r.arrival).as_ms_f64(),
            r.cold_latency.as_ms_f64(),
            r.init.as_ms_f64(),
            r.handler.as_ms_f64(),
            (rec.end - r.arrival).as_ms_f64(),
        )
    }
}
