//! Text tables for a terminal (`comfy-table`): each column as wide as its widest cell,
//! columns two spaces apart, the first left-aligned and the rest right-aligned, no wrapping
//! or truncation at any width, so long names and huge numbers never run into each other.

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

/// `rows` (the first is the header) as lines, each prefixed with `indent` and without
/// trailing spaces.
pub fn render(rows: &[Vec<String>], indent: &str) -> String {
    render_aligned(rows, indent, 1)
}

/// [`render`] with the first `left` columns left-aligned (text), the rest right-aligned
/// (numbers).
pub fn render_aligned(rows: &[Vec<String>], indent: &str, left: usize) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    let mut it = rows.iter();
    if let Some(h) = it.next() {
        table.set_header(h.clone());
    }
    for r in it {
        table.add_row(r.clone());
    }
    for (i, col) in table.column_iter_mut().enumerate() {
        col.set_padding((if i == 0 { 0 } else { 2 }, 0));
        col.set_cell_alignment(if i < left {
            CellAlignment::Left
        } else {
            CellAlignment::Right
        });
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(indent);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance: exact. A 200-character name and a 30-digit number keep two spaces to
    /// their neighbours; every line of a column ends at the same place.
    #[test]
    fn long_cells_never_overflow_into_the_next_column() {
        let name = "f".repeat(200);
        let huge = "123,456,789,012,345,678,901,234,567,890.5 ± 9,999,999,999,999.9".to_string();
        let rows = vec![
            vec!["figure".into(), "a".into(), "b".into()],
            vec![name.clone(), huge.clone(), "1".into()],
            vec!["x".into(), "2".into(), huge.clone()],
        ];
        let text = render(&rows, "  ");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with(&format!("  {name}  {huge}  ")));
        assert!(lines[2].ends_with(&format!("  {huge}")));
        let w = 2 + name.len() + 2 + huge.chars().count() + 2 + huge.chars().count();
        for l in &lines {
            assert_eq!(l.chars().count(), w, "{l}");
        }
    }
}
