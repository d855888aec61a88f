//! The per-invocation CSV, written as a stream while the simulation runs (one row per
//! counted invocation, never held in memory). The rows go to a temporary file that replaces
//! the target only when the run completes ([`AtomicFile`]): a killed or failed run leaves
//! the previous file or none, never a truncated one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::outcome::invocation::{InvocationRecord, InvocationSink};
use crate::output::{AtomicFile, OutputError};

/// Writes invocation rows to a CSV file.
pub struct InvocationCsv {
    out: AtomicFile,
    path: PathBuf,
    function_names: Vec<String>,
}

/// Column names, in order.
pub const HEADER: &str = "replication,function,sandbox,arrival_s,start_s,end_s,cold,queue_wait_ms,cold_latency_ms,init_duration_ms,handler_ms,latency_ms";

impl InvocationCsv {
    /// Starts the file for `path` (a temporary file beside it) and writes the header.
    /// Function names are quoted as CSV fields once here (the csv crate: a name with a
    /// comma, a quote or a line break is quoted), not per row.
    pub fn create(path: &Path, function_names: Vec<String>) -> Result<Self, OutputError> {
        let function_names = function_names.iter().map(|n| csv_field(n)).collect();
        let mut out = AtomicFile::create(path)?;
        writeln!(out, "{HEADER}").map_err(|e| OutputError::io(path, "writing", e))?;
        Ok(InvocationCsv {
            out,
            path: path.to_path_buf(),
            function_names,
        })
    }

    /// Flushes what is buffered and puts the complete file in place.
    pub fn finish(self) -> Result<(), OutputError> {
        self.out.commit()
    }

    /// An I/O error of a row, carrying an [`OutputError`] that names the path, so the
    /// message says which file failed however far up the simulation passes it.
    fn named(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), OutputError::io(&self.path, "writing", e))
    }
}

/// `text` as one CSV field, quoted if it needs to be.
pub fn csv_field(text: &str) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail; a lone empty field is written as `""`.
    let _ = w.write_record([text]);
    let mut s = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    s.pop();
    s
}

impl InvocationSink for InvocationCsv {
    fn record(&mut self, replication: u32, rec: &InvocationRecord) -> io::Result<()> {
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
        .map_err(|e| self.named(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact (RFC 4180 quoting).
    #[test]
    fn names_with_commas_or_quotes_are_quoted() {
        assert_eq!(csv_field("api"), "api");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
