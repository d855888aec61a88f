//! Values of a CloudFormation template given by intrinsic functions, resolved where the
//! template alone decides them: `Ref` to a parameter with a `Default`, `Fn::Sub` over such
//! parameters, `Fn::FindInMap` with literal keys, `Fn::Join`, `Fn::Select`, and `Fn::If`
//! whose branches agree. Anything else (a parameter without a default, `Fn::GetAtt`, a
//! pseudo parameter, an import) cannot be known offline and is reported as such.

use super::yaml::{Kind, Node};

/// A resolved scalar and, when an intrinsic gave it, how.
pub type Resolved = Result<(String, Option<String>), String>;

/// The parts of a template that intrinsics read.
pub struct Scope<'a> {
    /// `Parameters`.
    pub parameters: Option<&'a Node>,
    /// `Mappings`.
    pub mappings: Option<&'a Node>,
}

impl Scope<'_> {
    /// The scalar value of `n`: `Ok((value, how))` or `Err(why it cannot be known)`.
    pub fn resolve(&self, n: &Node) -> Resolved {
        match &n.kind {
            Kind::Scalar(s) => Ok((s.clone(), None)),
            Kind::Seq(_) => Err("a list where one value was expected".to_string()),
            Kind::Map(e) if e.len() == 1 => self.intrinsic(&e[0].0, &e[0].1),
            Kind::Map(_) => Err("a mapping where one value was expected".to_string()),
        }
    }

    fn intrinsic(&self, name: &str, arg: &Node) -> Resolved {
        let short = name.strip_prefix("Fn::").unwrap_or(name);
        match name {
            "Ref" => self.reference(arg.scalar().unwrap_or_default()),
            "Fn::Sub" => self.sub(arg),
            "Fn::FindInMap" => self.find_in_map(arg),
            "Fn::Join" => self.join(arg),
            "Fn::Select" => self.select(arg),
            "Fn::If" => self.branches(arg),
            _ => Err(format!("!{short} cannot be resolved offline")),
        }
    }

    /// `!Ref p`: the parameter's default.
    fn reference(&self, p: &str) -> Resolved {
        let param = self.parameters.and_then(|ps| ps.get(p));
        match param.and_then(|n| n.get("Default")) {
            Some(d) => match d.scalar() {
                Some(v) => Ok((
                    v.to_string(),
                    Some(format!("!Ref {p}: its Default (line {})", d.line)),
                )),
                None => Err(format!("!Ref {p}: its Default is not one value")),
            },
            None if param.is_some() => Err(format!("!Ref {p}: a parameter without a Default")),
            None => Err(format!("!Ref {p}: not a parameter of the template")),
        }
    }

    /// `!Sub "text ${p}"` with every `${p}` a parameter with a default.
    fn sub(&self, arg: &Node) -> Resolved {
        let text = arg
            .scalar()
            .ok_or("!Sub with a variable map cannot be resolved offline")?;
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find('}').ok_or("!Sub: an unclosed ${")? + i;
            let (v, _) = self.reference(&rest[i + 2..end])?;
            out.push_str(&v);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok((out, Some(format!("!Sub \"{text}\""))))
    }

    fn find_in_map(&self, arg: &Node) -> Resolved {
        let keys: Vec<String> = arg
            .items()
            .iter()
            .map(|k| self.resolve(k).map(|(v, _)| v))
            .collect::<Result<_, _>>()?;
        let [m, a, b] = keys.as_slice() else {
            return Err("!FindInMap needs three keys".to_string());
        };
        let found = self
            .mappings
            .and_then(|ms| ms.get(m))
            .and_then(|n| n.get(a))
            .and_then(|n| n.get(b))
            .ok_or_else(|| format!("!FindInMap [{m}, {a}, {b}]: no such entry"))?;
        let (v, _) = self.resolve(found)?;
        Ok((
            v,
            Some(format!("!FindInMap [{m}, {a}, {b}] (line {})", found.line)),
        ))
    }

    fn join(&self, arg: &Node) -> Resolved {
        let [sep, list] = arg.items() else {
            return Err("!Join needs a separator and a list".to_string());
        };
        let sep = sep.scalar().unwrap_or_default();
        let parts: Vec<String> = list
            .items()
            .iter()
            .map(|p| self.resolve(p).map(|(v, _)| v))
            .collect::<Result<_, _>>()?;
        Ok((parts.join(sep), Some("!Join".to_string())))
    }

    fn select(&self, arg: &Node) -> Resolved {
        let [i, list] = arg.items() else {
            return Err("!Select needs an index and a list".to_string());
        };
        let (i, _) = self.resolve(i)?;
        let item = i
            .parse::<usize>()
            .ok()
            .and_then(|i| list.items().get(i))
            .ok_or("!Select: index out of the list")?;
        let (v, _) = self.resolve(item)?;
        Ok((v, Some(format!("!Select {i}"))))
    }

    /// `!If [cond, a, b]`: known only when both branches give the same value.
    fn branches(&self, arg: &Node) -> Resolved {
        let [cond, a, b] = arg.items() else {
            return Err("!If needs a condition and two values".to_string());
        };
        let cond = cond.scalar().unwrap_or_default();
        match (self.resolve(a), self.resolve(b)) {
            (Ok((x, _)), Ok((y, _))) if x == y => {
                Ok((x, Some(format!("!If {cond}: both branches"))))
            }
            (Ok((x, _)), Ok((y, _))) => {
                Err(format!("!If {cond}: {x} or {y} depending on a condition"))
            }
            _ => Err(format!("!If {cond}: its branches cannot be resolved")),
        }
    }
}

/// The logical id a node points at: `!Ref X`, `!GetAtt X.Arn`, `!Sub "${X}"` or
/// `!Sub "${X.Arn}"`.
pub fn refers_to(n: &Node) -> Option<&str> {
    let (name, arg) = n.entries().first().map(|(k, v)| (k.as_str(), v))?;
    match name {
        "Ref" => arg.scalar(),
        "Fn::GetAtt" => arg.items().first().and_then(Node::scalar),
        "Fn::Sub" => {
            let s = arg.scalar()?.strip_prefix("${")?.strip_suffix('}')?;
            Some(s.split('.').next().unwrap_or(s))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse;
    use super::*;
    use std::path::Path;

    #[test]
    fn parameter_defaults_subs_maps_and_agreeing_ifs_resolve() {
        let text = "Parameters:\n  Mem:\n    Default: 512\n  NoDef:\n    Type: String\n\
                    Mappings:\n  M:\n    prod:\n      size: 2048\n\
                    V:\n  a: !Ref Mem\n  b: !Sub \"py${Mem}\"\n  c: !FindInMap [M, prod, size]\n\
                    \x20 d: !If [C, 1, 1]\n  e: !If [C, 1, 2]\n  f: !Ref NoDef\n  g: !GetAtt X.Arn\n";
        let root = parse(text, Path::new("t.yaml")).unwrap();
        let s = Scope {
            parameters: root.get("Parameters"),
            mappings: root.get("Mappings"),
        };
        let v = root.get("V").unwrap();
        let r = |k: &str| s.resolve(v.get(k).unwrap());
        assert_eq!(r("a").unwrap().0, "512");
        assert!(r("a").unwrap().1.unwrap().contains("line 3"));
        assert_eq!(r("b").unwrap().0, "py512");
        assert_eq!(r("c").unwrap().0, "2048");
        assert_eq!(r("d").unwrap().0, "1");
        assert!(r("e").unwrap_err().contains("1 or 2"));
        assert!(r("f").unwrap_err().contains("without a Default"));
        assert!(r("g").unwrap_err().contains("!GetAtt"));
        assert_eq!(refers_to(v.get("g").unwrap()), Some("X"));
    }
}
