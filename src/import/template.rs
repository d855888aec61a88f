//! `coldsim import template`: SAM and CloudFormation templates (YAML with short-form
//! intrinsics, or JSON). Each `AWS::Serverless::Function` and `AWS::Lambda::Function`
//! becomes a `[[function]]` (SAM's `Globals.Function` filling what a function leaves out,
//! then AWS's defaults), and its events `[[traffic]]` tables ([`super::events`]).

use std::path::{Component, Path, PathBuf};

use super::Imported;
use super::draft::{Draft, Origin, Table, lit};
use super::events;
use super::function::{Fact, FunctionFacts, function_table, placeholder_handler, runtime_warning};
use super::intrinsic::{Scope, refers_to};
use super::runtime_hint;
use super::yaml::{self, Node};
use crate::error::{InputError, InputResult};
use crate::input::InputKind;

/// The types of function resources read.
const FUNCTION_TYPES: [&str; 2] = ["AWS::Serverless::Function", "AWS::Lambda::Function"];

/// A parsed template and the names used in comments and errors.
pub struct Template<'a> {
    /// The file as named on the command line.
    pub file: String,
    /// Its path, for errors.
    pub path: &'a Path,
    /// `Resources`.
    pub resources: &'a Node,
    /// `Globals.Function` (SAM).
    pub globals: Option<&'a Node>,
    /// What intrinsics read.
    pub scope: Scope<'a>,
}

/// One function resource.
pub struct Func<'a> {
    /// Logical id.
    pub id: &'a str,
    /// The resource node.
    pub node: &'a Node,
    /// `Properties` (may be absent).
    pub props: Option<&'a Node>,
    /// A SAM function (Globals and Events apply).
    pub sam: bool,
}

impl Func<'_> {
    /// The line of the resource.
    pub fn line(&self) -> usize {
        self.node.line
    }
}

/// Reads the template at `path` and writes the scenario.
pub fn import_template(path: &Path) -> InputResult<Imported> {
    let text = crate::input::read_text(path, InputKind::Toml)?;
    let root = yaml::parse(&text, path)?;
    let resources = root.get("Resources").ok_or_else(|| {
        InputError::file(
            path,
            "line 1: no Resources section: not a CloudFormation or SAM template",
        )
    })?;
    let t = Template {
        file: path.display().to_string(),
        path,
        resources,
        globals: root.get("Globals").and_then(|g| g.get("Function")),
        scope: Scope {
            parameters: root.get("Parameters"),
            mappings: root.get("Mappings"),
        },
    };
    let funcs = t.functions();
    if funcs.is_empty() {
        return Err(InputError::file(
            path,
            format!(
                "line {}: no {} or {} resource",
                resources.line, FUNCTION_TYPES[0], FUNCTION_TYPES[1]
            ),
        ));
    }
    let mut draft = Draft {
        notes: super::header_notes(&format!("coldsim import template {}", t.file)),
        tables: vec![super::run_table("24h", "a day, so daily schedules show")],
    };
    let mut warnings = Vec::new();
    let mut traffic = Vec::new();
    for f in &funcs {
        let facts = t.facts(f)?;
        let table = function_table(&facts, placeholder_handler());
        warnings.extend(runtime_warning(&table, f.id));
        draft.tables.push(table);
        let (tables, warns) = events::traffic_tables(&t, f);
        traffic.extend(tables);
        warnings.extend(warns);
    }
    draft.tables.extend(traffic);
    draft
        .notes
        .extend(warnings.iter().map(|w| format!("warning: {w}")));
    Ok(Imported {
        scenario: draft.render(),
        side_files: Vec::new(),
        warnings,
    })
}

impl<'a> Template<'a> {
    /// The function resources in file order.
    fn functions(&self) -> Vec<Func<'a>> {
        self.resources
            .entries()
            .iter()
            .filter_map(|(id, node)| {
                let ty = node.get("Type")?.scalar()?;
                FUNCTION_TYPES.contains(&ty).then(|| Func {
                    id,
                    node,
                    props: node.get("Properties"),
                    sam: ty == FUNCTION_TYPES[0],
                })
            })
            .collect()
    }

    /// The resources of type `ty`, with their logical ids.
    pub fn resources_of(&self, ty: &str) -> impl Iterator<Item = (&'a str, &'a Node)> {
        let ty = ty.to_string();
        self.resources
            .entries()
            .iter()
            .filter_map(move |(id, n)| (n.get("Type")?.scalar()? == ty).then_some((id.as_str(), n)))
    }

    /// The type of the resource with logical id `id`.
    pub fn type_of(&self, id: &str) -> Option<&'a str> {
        self.resources.get(id)?.get("Type")?.scalar()
    }

    /// Property `key` of `f`, or of `Globals.Function` for a SAM function, with its label.
    pub fn prop(&self, f: &Func<'a>, key: &str) -> Option<(&'a Node, String)> {
        if let Some(n) = f.props.and_then(|p| p.get(key)) {
            return Some((n, format!("{}.Properties.{key}", f.id)));
        }
        let g = self.globals.filter(|_| f.sam)?.get(key)?;
        Some((g, format!("Globals.Function.{key}")))
    }

    /// A scalar property parsed by `parse`: from the function, Globals or AWS's `default`.
    /// An intrinsic that cannot be resolved gives the default, and the comment says so; a
    /// value that does not parse is an error naming the line.
    fn fact<T>(
        &self,
        f: &Func<'a>,
        key: &str,
        default: (T, &str),
        parse: impl Fn(&str) -> Option<T>,
    ) -> InputResult<Fact<T>> {
        let Some((node, label)) = self.prop(f, key) else {
            return Ok(Fact {
                value: default.0,
                origin: Origin::at(
                    &self.file,
                    f.line(),
                    format!("{}: no {key}, AWS default {}", f.id, default.1),
                ),
            });
        };
        let node = node.items().first().unwrap_or(node);
        self.value_at(node, &label, default, parse)
    }

    /// The value of `node` (labelled `label`) parsed by `parse`, or the default when an
    /// intrinsic cannot be resolved.
    pub fn value_at<T>(
        &self,
        node: &Node,
        label: &str,
        default: (T, &str),
        parse: impl Fn(&str) -> Option<T>,
    ) -> InputResult<Fact<T>> {
        match self.scope.resolve(node) {
            Ok((v, how)) => {
                let value = parse(&v).ok_or_else(|| {
                    InputError::file(
                        self.path,
                        format!("line {}: {label}: unexpected value \"{v}\"", node.line),
                    )
                })?;
                let what = match how {
                    Some(h) => format!("{label} = {h}"),
                    None => label.to_string(),
                };
                Ok(Fact {
                    value,
                    origin: Origin::at(&self.file, node.line, what),
                })
            }
            Err(why) => Ok(Fact {
                value: default.0,
                origin: Origin::at(
                    &self.file,
                    node.line,
                    format!("{label} = {why}; AWS default {}", default.1),
                ),
            }),
        }
    }

    /// Everything the `[[function]]` table needs about `f`.
    fn facts(&self, f: &Func<'a>) -> InputResult<FunctionFacts> {
        let memory = |s: &str| s.parse::<u32>().ok();
        let arch = |s: &str| matches!(s, "x86_64" | "arm64").then(|| s.to_string());
        let package = |s: &str| matches!(s, "Zip" | "Image").then(|| s.to_string());
        let package_type = self.fact(f, "PackageType", ("Zip".to_string(), "Zip"), package)?;
        let mut notes = Vec::new();
        let runtime = self.runtime(f, package_type.value == "Image", &mut notes)?;
        if let Some(t) = self.optional(f, "Timeout", |s| s.parse::<f64>().ok())? {
            notes.push(format!(
                "Timeout = {} s (from: {}): coldsim does not model timeouts; a handler longer than \
                 this fails in AWS",
                t.value, t.origin
            ));
        }
        Ok(FunctionFacts {
            name: Fact {
                value: f.id.to_string(),
                origin: Origin::at(
                    &self.file,
                    f.line(),
                    format!(
                        "the logical id ({})",
                        f.node.get("Type").and_then(Node::scalar).unwrap_or("")
                    ),
                ),
            },
            memory_mb: self.fact(f, "MemorySize", (128, "128 MB"), memory)?,
            arch: self.fact(f, "Architectures", ("x86_64".to_string(), "x86_64"), arch)?,
            package_type,
            runtime,
            layers: self.layers(f),
            snapstart: self.snapstart(f)?,
            reserved: self.optional(f, "ReservedConcurrentExecutions", |s| s.parse().ok())?,
            provisioned: self.provisioned(f)?,
            notes,
        })
    }

    /// The function's runtime: for an image, the AWS base image its Dockerfile starts from
    /// (SAM's `Metadata.Dockerfile`), else its `Runtime` read as the base's; for a custom
    /// runtime, the language its `Metadata.BuildMethod` names; else `Runtime`. What cannot
    /// be read goes to `notes`.
    fn runtime(
        &self,
        f: &Func<'a>,
        image: bool,
        notes: &mut Vec<String>,
    ) -> InputResult<Option<Fact<String>>> {
        let declared = match self.prop(f, "Runtime") {
            Some(_) => Some(self.fact(f, "Runtime", (String::new(), "none"), |s| {
                Some(s.to_string())
            })?),
            None => None,
        }
        .filter(|r| !r.value.is_empty());
        if image {
            if let Some(base) = self.image_base(f, notes) {
                return Ok(Some(base));
            }
            return Ok(declared.map(|r| Fact {
                origin: Origin {
                    what: format!(
                        "{} (Lambda takes no Runtime for an image: read as its base image's)",
                        r.origin.what
                    ),
                    ..r.origin
                },
                ..r
            }));
        }
        let method = f.node.get("Metadata").and_then(|m| m.get("BuildMethod"));
        let custom = declared.as_ref().and_then(|r| {
            let os = r.value.strip_prefix("provided.")?;
            let m = method?;
            let id = runtime_hint::custom_runtime_id(os, m.scalar()?)?;
            Some(Fact {
                value: id,
                origin: Origin {
                    what: format!(
                        "{} = {} with {}.Metadata.BuildMethod = {} (line {})",
                        r.origin.what,
                        r.value,
                        f.id,
                        m.scalar().unwrap_or(""),
                        m.line
                    ),
                    ..r.origin.clone()
                },
            })
        });
        Ok(custom.or(declared))
    }

    /// The runtime of the AWS base image that SAM's `Metadata.Dockerfile` (in
    /// `Metadata.DockerContext`, beside the template) starts from, with the Dockerfile's line.
    fn image_base(&self, f: &Func<'a>, notes: &mut Vec<String>) -> Option<Fact<String>> {
        let meta = f.node.get("Metadata")?;
        let dockerfile = meta.get("Dockerfile")?;
        let context = meta
            .get("DockerContext")
            .and_then(Node::scalar)
            .unwrap_or(".");
        let folder = self.path.parent().unwrap_or(Path::new(""));
        let context: PathBuf = Path::new(context)
            .components()
            .filter(|c| *c != Component::CurDir)
            .collect();
        let path = folder.join(context).join(dockerfile.scalar()?);
        let shown = path.display().to_string();
        // Bounded like every input (a device, a directory or a huge file is refused).
        let text = match crate::input::read_text(&path, InputKind::Toml) {
            Ok(text) => text,
            Err(e) => {
                notes.push(format!(
                    "{}.Metadata.Dockerfile (line {}): {shown} cannot be read ({e}), so its \
                     base image is unknown",
                    f.id, dockerfile.line
                ));
                return None;
            }
        };
        let (line, base) = match runtime_hint::dockerfile_base(&text) {
            Ok(found) => found,
            Err(why) => {
                notes.push(format!(
                    "{}.Metadata.Dockerfile (line {}): {shown}: {why}, so its base image is \
                     unknown",
                    f.id, dockerfile.line
                ));
                return None;
            }
        };
        match runtime_hint::runtime_of_base_image(&base) {
            Some(id) => Some(Fact {
                value: id,
                origin: Origin::at(
                    &shown,
                    line,
                    format!("FROM {base} ({}.Metadata.Dockerfile)", f.id),
                ),
            }),
            None => {
                notes.push(format!(
                    "{shown}:{line} FROM {base}: not an AWS base image with a version \
                     (public.ecr.aws/lambda/LANGUAGE:VERSION), so its runtime is unknown"
                ));
                None
            }
        }
    }

    /// A property that has no default worth writing: `None` when absent or unresolvable.
    fn optional<T>(
        &self,
        f: &Func<'a>,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> InputResult<Option<Fact<T>>> {
        let Some((node, label)) = self.prop(f, key) else {
            return Ok(None);
        };
        let parse = |s: &str| parse(s).map(Some);
        let fact = self.value_at(node, &label, (None, "none"), parse)?;
        Ok(fact.value.map(|value| Fact {
            value,
            origin: fact.origin,
        }))
    }

    fn layers(&self, f: &Func<'a>) -> Option<Fact<usize>> {
        let (node, label) = self.prop(f, "Layers")?;
        let (count, how) = match node.items().len() {
            0 => (1, " (given by an intrinsic: taken as one layer or more)"),
            n => (n, ""),
        };
        Some(Fact {
            value: count,
            origin: Origin::at(
                &self.file,
                node.line,
                format!("{label}: {count} layer(s){how}"),
            ),
        })
    }

    fn snapstart(&self, f: &Func<'a>) -> InputResult<Option<Fact<bool>>> {
        let Some((node, label)) = self.prop(f, "SnapStart") else {
            return Ok(None);
        };
        let Some(apply) = node.get("ApplyOn") else {
            return Ok(None);
        };
        let fact = self.value_at(apply, &format!("{label}.ApplyOn"), (false, "None"), |s| {
            Some(s == "PublishedVersions")
        })?;
        Ok(Some(fact))
    }

    /// SAM's `ProvisionedConcurrencyConfig`, or a CloudFormation `AWS::Lambda::Alias` or
    /// `AWS::Lambda::Version` of the function with one.
    fn provisioned(&self, f: &Func<'a>) -> InputResult<Option<Fact<u32>>> {
        let count = |s: &str| s.parse::<u32>().ok().map(Some);
        if let Some((node, label)) = self.prop(f, "ProvisionedConcurrencyConfig")
            && let Some(n) = node.get("ProvisionedConcurrentExecutions")
        {
            let mut label = format!("{label}.ProvisionedConcurrentExecutions");
            if self.prop(f, "AutoPublishAlias").is_none() {
                label.push_str(" (SAM applies it only with AutoPublishAlias, which is missing)");
            }
            let fact = self.value_at(n, &label, (None, "none"), count)?;
            return Ok(fact.value.map(|value| Fact {
                value,
                origin: fact.origin,
            }));
        }
        for ty in ["AWS::Lambda::Alias", "AWS::Lambda::Version"] {
            for (id, res) in self.resources_of(ty) {
                let props = res.get("Properties");
                if !self.points_at_function(props, f.id) {
                    continue;
                }
                let Some(n) = props
                    .and_then(|p| p.get("ProvisionedConcurrencyConfig"))
                    .and_then(|c| c.get("ProvisionedConcurrentExecutions"))
                else {
                    continue;
                };
                let label = format!(
                    "{id} ({ty}).ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions"
                );
                let fact = self.value_at(n, &label, (None, "none"), count)?;
                return Ok(fact.value.map(|value| Fact {
                    value,
                    origin: fact.origin,
                }));
            }
        }
        Ok(None)
    }

    /// Whether an alias's or version's properties name function `id` (directly, or through
    /// the version the alias points at).
    fn points_at_function(&self, props: Option<&Node>, id: &str) -> bool {
        let Some(p) = props else { return false };
        if p.get("FunctionName").and_then(refers_to) == Some(id) {
            return true;
        }
        let version = p.get("FunctionVersion").and_then(refers_to);
        version
            .and_then(|v| self.resources.get(v))
            .and_then(|v| v.get("Properties"))
            .and_then(|vp| vp.get("FunctionName"))
            .and_then(refers_to)
            == Some(id)
    }

    /// A `[[traffic]]` table for function `f` with `function` set from the event at `line`.
    pub fn traffic_table(&self, f: &Func<'a>, line: usize, what: &str) -> Table {
        let mut t = Table::new("[[traffic]]");
        t.set(
            "function",
            lit(f.id),
            Origin::at(&self.file, line, what.to_string()),
        );
        t
    }
}
