//! The import graph of a workload (DESIGN.md, "Imports"): modules by name, each importing
//! its dependencies first and each imported once per process (Python semantics: a module in
//! `sys.modules` is not imported again), and the handler module's top-level import list in
//! order. The cost of the init imports is the sum over the modules reached of their CPU
//! time at one vCPU: running the top-level code, plus compiling the source when the package
//! ships without bytecode (`.pyc`).

use std::collections::HashMap;

/// One module as a workload model defines it (`[[module]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleDef {
    /// Dotted module name, e.g. `pyarrow.parquet`.
    pub name: String,
    /// Running its top-level code, ms at one full vCPU (workload model file).
    pub cpu_ms: f64,
    /// Compiling its source to bytecode, ms at one full vCPU; paid only without bytecode.
    pub compile_ms: f64,
    /// Whether the package ships compiled bytecode (then `compile_ms` is not paid).
    pub bytecode: bool,
    /// Bytes of files read while importing it (for image chunk reads; not used yet).
    pub read_bytes: u64,
    /// Files opened while importing it (not used yet).
    pub files: u64,
    /// Modules it imports, in order.
    pub imports: Vec<String>,
}

impl ModuleDef {
    /// Its own CPU cost at one vCPU, ms: `cpu_ms`, plus `compile_ms` without bytecode.
    pub fn cost_ms(&self) -> f64 {
        self.cpu_ms + if self.bytecode { 0.0 } else { self.compile_ms }
    }
}

/// Why a set of module definitions is not a valid import graph. Indices are into the
/// definitions as given, so the caller can name the key (`module[i]...`).
#[derive(Clone, Debug, PartialEq)]
pub enum GraphError {
    /// Two modules with the same name: the second one's index.
    Duplicate {
        /// Index of the repeated definition.
        index: usize,
        /// The name.
        name: String,
    },
    /// A module imports a name that no `[[module]]` defines; `importer` is `None` for the
    /// handler's top-level import list.
    Undefined {
        /// Index of the importing module, or `None` for the top-level list.
        importer: Option<usize>,
        /// The missing name.
        name: String,
    },
    /// An import cycle, reached from module `index`; `cycle` lists it, first name repeated
    /// at the end (`a -> b -> a`).
    Cycle {
        /// A module on the cycle.
        index: usize,
        /// The names along the cycle.
        cycle: Vec<String>,
    },
    /// A cost that is negative or not finite.
    BadCost {
        /// Index of the module.
        index: usize,
        /// `cpu_ms` or `compile_ms`.
        field: &'static str,
        /// The value.
        value: f64,
    },
}

/// A checked import graph.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportGraph {
    modules: Vec<ModuleDef>,
    deps: Vec<Vec<usize>>,
    top: Vec<usize>,
}

impl ImportGraph {
    /// Checks the definitions (unique names, every import defined, no cycles, costs
    /// non-negative) and builds the graph with the handler's top-level imports `top`.
    pub fn new(modules: Vec<ModuleDef>, top: &[String]) -> Result<Self, GraphError> {
        let mut by_name = HashMap::new();
        for (i, m) in modules.iter().enumerate() {
            for (field, value) in [("cpu_ms", m.cpu_ms), ("compile_ms", m.compile_ms)] {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(GraphError::BadCost {
                        index: i,
                        field,
                        value,
                    });
                }
            }
            if by_name.insert(m.name.as_str(), i).is_some() {
                return Err(GraphError::Duplicate {
                    index: i,
                    name: m.name.clone(),
                });
            }
        }
        let lookup = |importer: Option<usize>, name: &String| {
            by_name
                .get(name.as_str())
                .copied()
                .ok_or_else(|| GraphError::Undefined {
                    importer,
                    name: name.clone(),
                })
        };
        let deps = modules
            .iter()
            .enumerate()
            .map(|(i, m)| m.imports.iter().map(|n| lookup(Some(i), n)).collect())
            .collect::<Result<Vec<Vec<usize>>, _>>()?;
        let top = top
            .iter()
            .map(|n| lookup(None, n))
            .collect::<Result<Vec<_>, _>>()?;
        let g = ImportGraph { modules, deps, top };
        g.check_acyclic()?;
        Ok(g)
    }

    /// Depth-first search over every module; a grey node met again closes a cycle.
    fn check_acyclic(&self) -> Result<(), GraphError> {
        // 0 white, 1 grey (on the stack), 2 black.
        let mut colour = vec![0u8; self.modules.len()];
        let mut path: Vec<usize> = Vec::new();
        fn visit(
            g: &ImportGraph,
            i: usize,
            colour: &mut [u8],
            path: &mut Vec<usize>,
        ) -> Result<(), GraphError> {
            colour[i] = 1;
            path.push(i);
            for &d in &g.deps[i] {
                match colour[d] {
                    0 => visit(g, d, colour, path)?,
                    1 => {
                        let start = path.iter().position(|&p| p == d).unwrap_or(0);
                        let mut cycle: Vec<String> = path[start..]
                            .iter()
                            .map(|&p| g.modules[p].name.clone())
                            .collect();
                        cycle.push(g.modules[d].name.clone());
                        return Err(GraphError::Cycle { index: d, cycle });
                    }
                    _ => {}
                }
            }
            path.pop();
            colour[i] = 2;
            Ok(())
        }
        for i in 0..self.modules.len() {
            if colour[i] == 0 {
                visit(self, i, &mut colour, &mut path)?;
            }
        }
        Ok(())
    }

    /// The modules, as defined.
    pub fn modules(&self) -> &[ModuleDef] {
        &self.modules
    }

    /// No top-level imports: the import phase costs nothing.
    pub fn is_empty(&self) -> bool {
        self.top.is_empty()
    }

    /// For each top-level import in order: its name and the modules it loads that were not
    /// loaded before (dependencies first, in Python's order), as indices.
    pub fn load_order(&self) -> Vec<(String, Vec<usize>)> {
        let mut loaded = vec![false; self.modules.len()];
        self.top
            .iter()
            .map(|&t| {
                let first = self.load_from(&[t], &mut loaded);
                (self.modules[t].name.clone(), first)
            })
            .collect()
    }

    /// The index of the module named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.modules.iter().position(|m| m.name == name)
    }

    /// The modules importing `roots` in order loads, dependencies first, each once, skipping
    /// (and then marking) those already in `loaded`.
    pub fn load_from(&self, roots: &[usize], loaded: &mut [bool]) -> Vec<usize> {
        fn load(g: &ImportGraph, i: usize, loaded: &mut [bool], out: &mut Vec<usize>) {
            if loaded[i] {
                return;
            }
            // Python puts a module in sys.modules before running its body; the graph has
            // no cycles, so marking it here or after its imports is the same.
            loaded[i] = true;
            for &d in &g.deps[i] {
                load(g, d, loaded, out);
            }
            out.push(i);
        }
        let mut out = Vec::new();
        for &r in roots {
            load(self, r, loaded, &mut out);
        }
        out
    }

    /// Each top-level import's cost at one vCPU, ms: the modules it loads first.
    pub fn per_top_level_ms(&self) -> Vec<(String, f64)> {
        self.load_order()
            .into_iter()
            .map(|(name, ms)| (name, ms.iter().map(|&i| self.modules[i].cost_ms()).sum()))
            .collect()
    }

    /// The whole init import at one vCPU, ms: Σ over the modules reached, each once.
    pub fn total_ms(&self) -> f64 {
        self.per_top_level_ms().iter().map(|(_, ms)| ms).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, cpu_ms: f64, compile_ms: f64, imports: &[&str]) -> ModuleDef {
        ModuleDef {
            name: name.into(),
            cpu_ms,
            compile_ms,
            bytecode: false,
            read_bytes: 0,
            files: 0,
            imports: imports.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn diamond_counts_the_shared_dependency_once() {
        // A imports B and C; both import D. By hand: D 8 + 2, B 4 + 1, C 16, A 1 + 0.5
        // = 32.5 ms, not 42.5 ms as it would be with D counted twice.
        let defs = vec![
            m("A", 1.0, 0.5, &["B", "C"]),
            m("B", 4.0, 1.0, &["D"]),
            m("C", 16.0, 0.0, &["D"]),
            m("D", 8.0, 2.0, &[]),
        ];
        let g = ImportGraph::new(defs, &names(&["A"])).unwrap();
        assert_eq!(g.total_ms(), 32.5);
        let order = g.load_order();
        let loaded: Vec<&str> = order[0]
            .1
            .iter()
            .map(|&i| g.modules()[i].name.as_str())
            .collect();
        assert_eq!(loaded, ["D", "B", "C", "A"]);
    }

    #[test]
    fn bytecode_removes_the_compile_cost() {
        let mut d = m("D", 8.0, 2.0, &[]);
        d.bytecode = true;
        let g = ImportGraph::new(vec![d], &names(&["D"])).unwrap();
        assert_eq!(g.total_ms(), 8.0);
    }

    #[test]
    fn total_does_not_depend_on_import_order_but_attribution_does() {
        let defs = || {
            vec![
                m("A", 1.0, 0.0, &["D"]),
                m("B", 2.0, 0.0, &["D"]),
                m("D", 10.0, 0.0, &[]),
            ]
        };
        let ab = ImportGraph::new(defs(), &names(&["A", "B"])).unwrap();
        let ba = ImportGraph::new(defs(), &names(&["B", "A"])).unwrap();
        assert_eq!(ab.total_ms(), 13.0);
        assert_eq!(ba.total_ms(), 13.0);
        // Whoever imports D first pays for it.
        assert_eq!(
            ab.per_top_level_ms(),
            vec![("A".into(), 11.0), ("B".into(), 2.0)]
        );
        assert_eq!(
            ba.per_top_level_ms(),
            vec![("B".into(), 12.0), ("A".into(), 1.0)]
        );
    }

    #[test]
    fn modules_not_reached_cost_nothing() {
        let defs = vec![m("A", 1.0, 0.0, &[]), m("unused", 100.0, 0.0, &[])];
        let g = ImportGraph::new(defs, &names(&["A"])).unwrap();
        assert_eq!(g.total_ms(), 1.0);
    }

    #[test]
    fn errors_name_the_culprit() {
        let cyc = ImportGraph::new(
            vec![
                m("a", 1.0, 0.0, &["b"]),
                m("b", 1.0, 0.0, &["c"]),
                m("c", 1.0, 0.0, &["a"]),
            ],
            &names(&["a"]),
        )
        .unwrap_err();
        assert_eq!(
            cyc,
            GraphError::Cycle {
                index: 0,
                cycle: names(&["a", "b", "c", "a"])
            }
        );
        let undef = ImportGraph::new(vec![m("a", 1.0, 0.0, &["zzz"])], &names(&["a"])).unwrap_err();
        assert_eq!(
            undef,
            GraphError::Undefined {
                importer: Some(0),
                name: "zzz".into()
            }
        );
        let top = ImportGraph::new(vec![m("a", 1.0, 0.0, &[])], &names(&["b"])).unwrap_err();
        assert_eq!(
            top,
            GraphError::Undefined {
                importer: None,
                name: "b".into()
            }
        );
        let dup =
            ImportGraph::new(vec![m("a", 1.0, 0.0, &[]), m("a", 2.0, 0.0, &[])], &[]).unwrap_err();
        assert_eq!(
            dup,
            GraphError::Duplicate {
                index: 1,
                name: "a".into()
            }
        );
        let neg = ImportGraph::new(vec![m("a", 1.0, -1.0, &[])], &[]).unwrap_err();
        assert!(matches!(
            neg,
            GraphError::BadCost {
                index: 0,
                field: "compile_ms",
                ..
            }
        ));
    }
}
