//! SVG charts (filled in by the plotting work).
