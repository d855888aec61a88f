//! A YAML (or JSON) document as a tree of nodes that keep their line, for templates and
//! function configurations. CloudFormation's short-form intrinsics are YAML tags
//! (`!Ref Name`, `!GetAtt A.B`, `!Sub "..."`, `!If [...]`); each becomes the long form
//! `{ "Ref": .. }` / `{ "Fn::GetAtt": .. }`, so later code sees one representation
//! (AWS CloudFormation User Guide, "Intrinsic function reference"). Built from the events of
//! `yaml-rust2`'s parser, which reports tags and positions; JSON is read by the same parser.

use std::collections::HashMap;
use std::path::Path;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::Marker;

use crate::error::{InputError, InputResult};

/// One node and the line (from 1) it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Line in the file, from 1.
    pub line: usize,
    /// The value.
    pub kind: Kind,
}

/// A node's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A scalar as written (numbers and booleans stay text).
    Scalar(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order, keys as text.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A scalar's text.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A mapping's entries (empty for other nodes).
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.kind {
            Kind::Map(e) => e,
            _ => &[],
        }
    }

    /// A sequence's items (empty for other nodes).
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(v) => v,
            _ => &[],
        }
    }
}

/// Parses `text` read from `path`; a syntax error names the file and the line.
pub fn parse(text: &str, path: &Path) -> InputResult<Node> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, false).map_err(|e| {
        InputError::file(
            path,
            format!(
                "line {}: not valid YAML or JSON: {}",
                e.marker().line(),
                e.info()
            ),
        )
    })?;
    b.root
        .ok_or_else(|| InputError::file(path, "line 1: the file holds no document"))
}

/// An open collection while its events arrive.
#[derive(Debug)]
struct Frame {
    node: Node,
    anchor: usize,
    tag: Option<Tag>,
    /// A mapping's key waiting for its value, with the key's line.
    key: Option<(String, usize)>,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        match ev {
            Event::Scalar(text, _, anchor, tag) => {
                let node = Node {
                    line,
                    kind: Kind::Scalar(text),
                };
                self.finish(node, anchor, tag);
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(line, Kind::Seq(Vec::new()), anchor, tag)
            }
            Event::MappingStart(anchor, tag) => self.open(line, Kind::Map(Vec::new()), anchor, tag),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(f) = self.stack.pop() {
                    self.finish(f.node, f.anchor, f.tag);
                }
            }
            Event::Alias(id) => {
                if let Some(node) = self.anchors.get(&id).cloned() {
                    self.add(node);
                }
            }
            _ => {}
        }
    }
}

impl Builder {
    fn open(&mut self, line: usize, kind: Kind, anchor: usize, tag: Option<Tag>) {
        self.stack.push(Frame {
            node: Node { line, kind },
            anchor,
            tag,
            key: None,
        });
    }

    /// A complete node: its tag applied, its anchor kept, added to its parent.
    fn finish(&mut self, node: Node, anchor: usize, tag: Option<Tag>) {
        let node = apply_tag(node, tag);
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.add(node);
    }

    fn add(&mut self, node: Node) {
        let Some(top) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        match &mut top.node.kind {
            Kind::Seq(items) => items.push(node),
            Kind::Map(entries) => match top.key.take() {
                None => top.key = Some((node.scalar().unwrap_or_default().to_string(), node.line)),
                // A block collection starts on the line after its key: the key's line is
                // where the property is.
                Some((k, line)) => entries.push((
                    k,
                    Node {
                        line: line.min(node.line),
                        ..node
                    },
                )),
            },
            Kind::Scalar(_) => {}
        }
    }
}

/// A short-form intrinsic (`!Ref x`) as its long form (`{ "Ref": x }`); `!GetAtt A.B` as
/// `{ "Fn::GetAtt": [A, B] }`. Other tags (`!!str`) leave the node as it is.
fn apply_tag(node: Node, tag: Option<Tag>) -> Node {
    let Some(tag) = tag.filter(|t| t.handle == "!") else {
        return node;
    };
    let name = match tag.suffix.as_str() {
        "Ref" | "Condition" => tag.suffix.clone(),
        other => format!("Fn::{other}"),
    };
    let line = node.line;
    let inner = match (&node.kind, name.as_str()) {
        (Kind::Scalar(s), "Fn::GetAtt") => match s.split_once('.') {
            Some((a, b)) => Node {
                line,
                kind: Kind::Seq(vec![scalar(line, a), scalar(line, b)]),
            },
            None => node,
        },
        _ => node,
    };
    Node {
        line,
        kind: Kind::Map(vec![(name, inner)]),
    }
}

fn scalar(line: usize, s: &str) -> Node {
    Node {
        line,
        kind: Kind::Scalar(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_intrinsics_become_long_form_with_lines() {
        let text = "A:\n  B: !Ref Mem\n  C: !GetAtt Fn.Arn\n  D: [1, 2]\n";
        let root = parse(text, Path::new("t.yaml")).unwrap();
        let a = root.get("A").unwrap();
        let b = a.get("B").unwrap();
        assert_eq!(b.line, 2);
        assert_eq!(b.get("Ref").unwrap().scalar(), Some("Mem"));
        let c = a.get("C").unwrap().get("Fn::GetAtt").unwrap();
        assert_eq!(c.items()[1].scalar(), Some("Arn"));
        assert_eq!(a.get("D").unwrap().items().len(), 2);
    }

    #[test]
    fn json_parses_and_a_syntax_error_names_its_line() {
        let root = parse("{\n  \"MemorySize\": 512\n}\n", Path::new("c.json")).unwrap();
        assert_eq!(root.get("MemorySize").unwrap().line, 2);
        let err = parse("a: 1\nb: [1, 2\nc: 3\n", Path::new("bad.yaml")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("bad.yaml: line "), "{text}");
    }
}
