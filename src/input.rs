//! Reading input files with bounds: every file coldsim reads (scenario and model TOML,
//! empirical distributions, traces, calibration data) goes through here, so a hostile path
//! (`/dev/zero`, a directory, a pipe, a file with no line breaks) is refused with a message
//! naming the file instead of reading until memory runs out.
//!
//! A path ending in `.gz` is decompressed while it is read (gzip, as `gzip` and log exports
//! write it), and the bounds apply to the decompressed bytes, so a small compressed file
//! cannot expand past them.
//!
//! The bounds are per kind of file ([`InputKind`]): TOML files are hand-written and small
//! (the largest shipped model is a few KiB), so 4 MiB is generous; measurement data and
//! traces are large (a day of Azure 2019 counts is ~100 MB), so they get 1 GiB when held in
//! memory and 4 GiB when streamed. Every kind also bounds a line, which bounds the memory of
//! one CSV record and of one TOML line.

use std::fs::File;
use std::io::{self, BufReader, Read};

use flate2::read::MultiGzDecoder;
use std::path::Path;

use crate::error::{InputError, InputResult};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// What a file is for, which sets how much of it coldsim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A configuration file: a scenario, platform, workload, overrides or recipe TOML file,
    /// and what `import` reads beside them (a template, a function configuration, a
    /// Dockerfile).
    Toml,
    /// Measurement data for `calibrate` or an empirical distribution, held in memory.
    Data,
    /// A trace replayed by the simulator, streamed once to validate and once per replication.
    Trace,
}

impl InputKind {
    /// The largest file accepted, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            InputKind::Toml => 4 * MIB,
            InputKind::Data => GIB,
            InputKind::Trace => 4 * GIB,
        }
    }

    /// The longest line accepted, in bytes (an Azure 2019 row of 1,444 fields is ~10 KB).
    pub fn max_line_bytes(self) -> u64 {
        MIB
    }

    /// The kind, for messages.
    fn noun(self) -> &'static str {
        match self {
            InputKind::Toml => "a configuration file (scenario, model, template)",
            InputKind::Data => "a measurement file",
            InputKind::Trace => "a trace",
        }
    }
}

/// The most columns accepted in a CSV header (an Azure 2019 file has 1,444).
pub const MAX_CSV_COLUMNS: usize = 10_000;

/// Human-readable size for limits (`4 MiB`, `1 GiB`).
fn size_text(bytes: u64) -> String {
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else {
        format!("{} MiB", bytes / MIB)
    }
}

/// What a path is when it is not a regular file or a pipe, or `None` for those two.
fn special_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        Some("a directory")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

/// Why `path` cannot be read as `kind`, or `None` when it can (a regular file, or a pipe for
/// kinds read once). Does not read the file; a path that does not exist is left to `open`.
pub fn refusal(path: &Path, kind: InputKind) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if let Some(what) = special_kind(&meta) {
        return Some(format!("is {what}, not a file"));
    }
    use std::os::unix::fs::FileTypeExt;
    if kind == InputKind::Trace && meta.file_type().is_fifo() {
        return Some(
            "is a named pipe; a trace is read once to check it and again by every \
             replication, so it must be a regular file"
                .into(),
        );
    }
    None
}

/// The bytes of an input file: as stored, or decompressed on the fly when its name ends in
/// `.gz`.
#[derive(Debug)]
pub enum Source {
    /// A plain file.
    Plain(File),
    /// A gzip file (one or more members), decompressed while it is read.
    Gzip(Box<MultiGzDecoder<BufReader<File>>>),
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(f) => f.read(buf),
            Source::Gzip(g) => g.read(buf),
        }
    }
}

/// Whether `path` is read as gzip (its name ends in `.gz`).
pub fn is_gzip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Opens `path` for reading as `kind`, refusing directories, devices and sockets (and pipes for
/// traces), with reads bounded by the kind's byte and line limits; a `.gz` file is
/// decompressed and bounded on its decompressed bytes.
pub fn open(path: &Path, kind: InputKind) -> InputResult<Bounded<Source>> {
    if let Some(why) = refusal(path, kind) {
        return Err(InputError::file(path, why));
    }
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let source = if is_gzip(path) {
        Source::Gzip(Box::new(MultiGzDecoder::new(BufReader::new(file))))
    } else {
        Source::Plain(file)
    };
    Ok(Bounded::new(source, kind))
}

/// Reads all of `path` (at most the kind's byte limit) into memory; a pipe is read once.
/// A built-in model's path ([`crate::config::builtin`]) reads the text compiled into the
/// binary.
pub fn read_bytes(path: &Path, kind: InputKind) -> InputResult<Vec<u8>> {
    if let Some(text) = crate::config::builtin::text_of_path(path) {
        return Ok(text.as_bytes().to_vec());
    }
    let reader = open(path, kind)?;
    read_all(reader, path)
}

/// Reads all of `reader`, which should be [`Bounded`]; an I/O error or a broken bound names
/// `path`.
pub fn read_all(mut reader: impl Read, path: &Path) -> InputResult<Vec<u8>> {
    let mut buf = Vec::new();
    reader
        .read_to_end(&mut buf)
        .map_err(|e| InputError::io(path, e))?;
    Ok(buf)
}

/// Reads `path` as UTF-8 text; an invalid byte is an error naming its line.
pub fn read_text(path: &Path, kind: InputKind) -> InputResult<String> {
    let bytes = read_bytes(path, kind)?;
    utf8(bytes, path)
}

/// `bytes` as a `String`, or an error naming the 1-based line of the first invalid byte.
pub fn utf8(bytes: Vec<u8>, path: &Path) -> InputResult<String> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let column = valid - bytes[..valid].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        InputError::file(
            path,
            format!(
                "line {line}, column {}: not valid UTF-8 (byte offset {valid}); expected UTF-8 text",
                column + 1
            ),
        )
    })
}

/// A reader that fails once more than the kind's bytes, or a line longer than its line limit,
/// have been read; the failure is an [`io::ErrorKind::InvalidData`] error saying which bound
/// and where.
#[derive(Debug)]
pub struct Bounded<R> {
    inner: R,
    kind: InputKind,
    /// Bytes read so far.
    total_bytes: u64,
    /// Bytes since the last line break.
    line_bytes: u64,
    /// Line breaks seen so far.
    lines: u64,
}

impl<R: Read> Bounded<R> {
    /// Wraps `inner` with the bounds of `kind`.
    pub fn new(inner: R, kind: InputKind) -> Self {
        Bounded {
            inner,
            kind,
            total_bytes: 0,
            line_bytes: 0,
            lines: 0,
        }
    }

    fn check(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.total_bytes += chunk.len() as u64;
        if self.total_bytes > self.kind.max_bytes() {
            return Err(limit_error(format!(
                "is larger than {}, the limit for {}",
                size_text(self.kind.max_bytes()),
                self.kind.noun()
            )));
        }
        match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                let before = self.line_bytes;
                let mut start = 0;
                for (i, &b) in chunk.iter().enumerate() {
                    if b == b'\n' {
                        let len = if start == 0 { before } else { 0 } + (i - start) as u64;
                        self.too_long(len)?;
                        self.lines += 1;
                        start = i + 1;
                    }
                }
                self.line_bytes = (chunk.len() - last - 1) as u64;
            }
            None => self.line_bytes += chunk.len() as u64,
        }
        self.too_long(self.line_bytes)
    }

    fn too_long(&self, len: u64) -> io::Result<()> {
        if len > self.kind.max_line_bytes() {
            return Err(limit_error(format!(
                "line {} is longer than {}, the limit for a line of {}",
                self.lines + 1,
                size_text(self.kind.max_line_bytes()),
                self.kind.noun()
            )));
        }
        Ok(())
    }
}

fn limit_error(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.check(&buf[..n])?;
        Ok(n)
    }
}

/// An error when a CSV header has more than [`MAX_CSV_COLUMNS`] columns.
pub fn check_columns(path: &Path, columns: usize) -> InputResult<()> {
    if columns > MAX_CSV_COLUMNS {
        return Err(InputError::file(
            path,
            format!("the CSV header has {columns} columns; at most {MAX_CSV_COLUMNS} are accepted"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// Exact: the decompressed bytes of a `.gz` file are the bytes that were compressed, and
    /// two concatenated gzip members read as one stream (as `cat a.gz b.gz` makes).
    #[test]
    fn a_gz_file_reads_as_its_decompressed_bytes_members_concatenated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv.gz");
        let mut both = gzip(b"timestamp\n1\n");
        both.extend(gzip(b"2\n3\n"));
        std::fs::write(&path, both).unwrap();
        assert_eq!(
            read_text(&path, InputKind::Data).unwrap(),
            "timestamp\n1\n2\n3\n"
        );
    }

    /// The bound applies to the decompressed bytes: 5 MiB of zeros compress to a few KiB but
    /// are over the 4 MiB TOML bound.
    #[test]
    fn a_small_gz_that_expands_past_the_bound_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.toml.gz");
        let mut text = vec![b'#'; 5 << 20];
        for i in (1000..text.len()).step_by(1000) {
            text[i] = b'\n';
        }
        let packed = gzip(&text);
        assert!(packed.len() < 64 << 10, "{} bytes", packed.len());
        std::fs::write(&path, packed).unwrap();
        let err = read_text(&path, InputKind::Toml).unwrap_err().to_string();
        assert!(err.contains("larger than 4 MiB"), "{err}");
    }

    /// A corrupt gzip file is an error naming the file, not a panic or garbage text.
    #[test]
    fn a_corrupt_gz_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv.gz");
        let mut packed = gzip(b"a,b\n1,2\n");
        let n = packed.len();
        packed[n / 2] ^= 0xff;
        packed.truncate(n - 4);
        std::fs::write(&path, packed).unwrap();
        let err = read_bytes(&path, InputKind::Data).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
    }

    fn read(bytes: &[u8], kind: InputKind) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Bounded::new(bytes, kind).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_line_one_byte_over_the_limit_fails_and_one_at_it_passes() {
        let limit = InputKind::Toml.max_line_bytes() as usize;
        let mut ok = vec![b'a'; limit];
        ok.push(b'\n');
        ok.extend_from_slice(b"x\n");
        assert_eq!(read(&ok, InputKind::Toml).unwrap().len(), limit + 3);
        let mut bad = b"x\n".to_vec();
        bad.extend(vec![b'a'; limit + 1]);
        let err = read(&bad, InputKind::Toml).unwrap_err().to_string();
        assert!(err.starts_with("line 2 is longer than 1 MiB"), "{err}");
    }

    #[test]
    fn more_bytes_than_the_kind_allows_fail() {
        let lines = b"0123456789abcde\n".repeat((InputKind::Toml.max_bytes() / 16) as usize);
        assert!(read(&lines, InputKind::Toml).is_ok());
        let mut over = lines.clone();
        over.push(b'\n');
        let err = read(&over, InputKind::Toml).unwrap_err().to_string();
        assert!(err.contains("larger than 4 MiB"), "{err}");
    }

    #[test]
    fn invalid_utf8_names_its_line_and_column() {
        let err = utf8(b"a = 1\nb = \"\xff\"\n".to_vec(), Path::new("s.toml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "s.toml: line 2, column 6: not valid UTF-8 (byte offset 11); expected UTF-8 text"
        );
    }

    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        let err = read_bytes(Path::new("/dev/zero"), InputKind::Data).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/dev/zero: is a character device, not a file"
        );
        let err = read_bytes(Path::new("/"), InputKind::Toml).unwrap_err();
        assert_eq!(err.to_string(), "/: is a directory, not a file");
    }
}
