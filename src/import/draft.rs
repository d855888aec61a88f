//! A scenario being written by an importer: tables of `key = value` entries, each with the
//! place it came from, rendered as TOML with a `# from: <file>:<line> <property>` comment on
//! every value, so a reader can check each number against its source.

use std::fmt::Write as _;

/// Where a value came from: a file and line, and what was read there (or why a default).
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    /// The input file as named on the command line, or a description (`coldsim default`).
    pub file: String,
    /// The line in `file`, from 1, when known.
    pub line: Option<usize>,
    /// The property read, and how the value followed from it.
    pub what: String,
}

impl Origin {
    /// A value read at `file:line`.
    pub fn at(file: &str, line: usize, what: impl Into<String>) -> Origin {
        Origin {
            file: file.to_string(),
            line: Some(line),
            what: what.into(),
        }
    }

    /// A value chosen by the importer, not read from an input.
    pub fn importer(what: impl Into<String>) -> Origin {
        Origin {
            file: "coldsim import".to_string(),
            line: None,
            what: what.into(),
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l} {}", self.file, self.what),
            None => write!(f, "{}: {}", self.file, self.what),
        }
    }
}

/// One `key = value` line; `value` is TOML text ([`lit`], [`inline`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The scenario key.
    pub key: String,
    /// The value as TOML.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

/// A table of the scenario (`[run]`, `[[function]]`, `[[traffic]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The header line, `[[function]]`.
    pub header: String,
    /// Comment lines written above the header (without `# `).
    pub notes: Vec<String>,
    /// The entries, in order.
    pub entries: Vec<Entry>,
}

impl Table {
    /// An empty table with `header`.
    pub fn new(header: &str) -> Table {
        Table {
            header: header.to_string(),
            notes: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Adds `key = value` from `origin`.
    pub fn set(&mut self, key: &str, value: String, origin: Origin) {
        self.entries.push(Entry {
            key: key.to_string(),
            value,
            origin,
        });
    }
}

/// A whole scenario: comments at the top, then its tables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Draft {
    /// Comment lines at the top of the file (without `# `).
    pub notes: Vec<String>,
    /// Tables in order.
    pub tables: Vec<Table>,
}

impl Draft {
    /// The scenario as TOML text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for n in &self.notes {
            comment(&mut out, n);
        }
        for t in &self.tables {
            out.push('\n');
            for n in &t.notes {
                comment(&mut out, n);
            }
            let _ = writeln!(out, "{}", t.header);
            for e in &t.entries {
                let _ = writeln!(out, "{} = {}  # from: {}", e.key, e.value, e.origin);
            }
        }
        out
    }
}

/// `# text`, one comment line per line of `text`.
fn comment(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "# {line}").map(|_| ());
    }
    if text.is_empty() {
        out.push_str("#\n");
    }
}

/// A TOML literal of a string, an integer or a float.
pub fn lit(v: impl Into<toml::Value>) -> String {
    v.into().to_string()
}

/// An inline table `{ k = v, ... }` of TOML literals.
pub fn inline(pairs: &[(&str, String)]) -> String {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", body.join(", "))
}

/// A duration in the scenario's units from seconds: whole hours, minutes or seconds when
/// exact, else milliseconds.
pub fn duration_text(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    if ms > 0 && ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms > 0 && ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_carries_its_origin() {
        let mut t = Table::new("[[function]]");
        t.set(
            "memory_mb",
            lit(512),
            Origin::at("t.yaml", 7, "Fn.MemorySize"),
        );
        t.set("name", lit("a\"b"), Origin::importer("the logical id"));
        let d = Draft {
            notes: vec!["top".into()],
            tables: vec![t],
        };
        assert_eq!(
            d.render(),
            "# top\n\n[[function]]\nmemory_mb = 512  # from: t.yaml:7 Fn.MemorySize\n\
             name = 'a\"b'  # from: coldsim import: the logical id\n"
        );
    }

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(duration_text(300.0), "5m");
        assert_eq!(duration_text(7200.0), "2h");
        assert_eq!(duration_text(90.0), "90s");
        assert_eq!(duration_text(0.25), "250ms");
    }
}
