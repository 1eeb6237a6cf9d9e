//! The conformance runner: replays vector files recorded from the real JupyterHub 6.1.1
//! (format: `shared/conformance/FORMAT.md`) against hubcap and reports every mismatch.
//!
//! A file is a transcript: its vectors run in order against one state (the scope table that
//! custom scopes extend). A vector passes when hubcap's normalised output is JSON-equal to the
//! recorded one and, where warnings were recorded, hubcap emitted the same warnings. A vector
//! whose `fn` the runner does not know fails; nothing is skipped.

mod compare;
mod domain_fns;
mod error;
mod normalize;
mod scope_fns;
mod share_fns;
mod world;

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

pub use error::RunError;
use scope_fns::{Call, State};
pub use world::World;

/// The JupyterHub version that every vector file must have been recorded from.
pub const JUPYTERHUB_VERSION: &str = "6.1.1";

/// A vector file (FORMAT.md §1).
#[derive(Debug, Deserialize)]
pub struct VectorFile {
    /// `jupyterhub.__version__` of the generator's reference.
    pub jupyterhub_version: String,
    /// The fixture.
    #[serde(default)]
    pub world: World,
    /// The vectors, in execution order.
    pub vectors: Vec<Vector>,
}

/// One recorded call.
#[derive(Debug, Deserialize)]
pub struct Vector {
    /// Which JupyterHub function.
    #[serde(rename = "fn")]
    pub function: String,
    /// Its arguments.
    #[serde(default)]
    pub input: Value,
    /// The world owner passed, if any.
    #[serde(default)]
    pub owner: Value,
    /// The recorded, normalised result.
    pub output: Value,
    /// The OAuth client passed, if any.
    #[serde(default)]
    pub oauth_client: Value,
    /// Whether the database session was passed.
    #[serde(default)]
    pub db: bool,
    /// Recorded Python warnings, if any.
    pub warnings: Option<Vec<String>>,
}

/// One vector that did not pass.
#[derive(Debug)]
pub struct Mismatch {
    /// Position in the file (0-based).
    pub index: usize,
    /// The vector's `fn`.
    pub function: String,
    /// Its input.
    pub input: Value,
    /// The recorded output (and warnings, if any).
    pub expected: Value,
    /// hubcap's output (and warnings), or why it could not run.
    pub got: Value,
}

/// The result of running one file.
#[derive(Debug, Default)]
pub struct Report {
    /// Vectors that passed.
    pub passed: usize,
    /// Vectors (or, for a file-level problem, files) that failed.
    pub failures: Vec<Mismatch>,
}

impl Report {
    /// How many failed.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }
}

/// Reads and runs a vector file.
pub fn run_path(path: &Path) -> Report {
    let failure = |why: String| Report {
        passed: 0,
        failures: vec![Mismatch {
            index: 0,
            function: "(file)".to_owned(),
            input: Value::from(path.display().to_string()),
            expected: Value::from("a readable vector file"),
            got: Value::from(why),
        }],
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return failure(format!("cannot read: {e}")),
    };
    match serde_json::from_str::<VectorFile>(&text) {
        Ok(file) => run_file(&file),
        Err(e) => failure(format!("not a vector file: {e}")),
    }
}

/// Runs every vector of a file, in order, against one hubcap state.
pub fn run_file(file: &VectorFile) -> Report {
    let mut report = Report::default();
    if file.jupyterhub_version != JUPYTERHUB_VERSION {
        report.failures.push(Mismatch {
            index: 0,
            function: "(file)".to_owned(),
            input: Value::Null,
            expected: Value::from(format!("jupyterhub_version {JUPYTERHUB_VERSION}")),
            got: Value::from(file.jupyterhub_version.clone()),
        });
        return report;
    }
    let mut state = State {
        world: &file.world,
        table: scopes::ScopeTable::jupyterhub(),
        domain: domain_fns::Domain::from_world(&file.world),
    };
    for (index, vector) in file.vectors.iter().enumerate() {
        let call = Call {
            input: &vector.input,
            owner: &vector.owner,
            oauth_client: &vector.oauth_client,
            db: vector.db,
        };
        let outcome = state
            .run(&vector.function, &call)
            .or_else(|| state.run_domain(&vector.function, &call))
            .unwrap_or_else(|| Err(RunError::UnknownFn(vector.function.clone())));
        let mismatch = match outcome {
            Err(error) => Some(Value::from(format!("cannot run: {error}"))),
            Ok(outcome) => {
                let output_ok =
                    compare::outputs_match(&vector.function, &vector.output, &outcome.output);
                let warnings_ok = vector
                    .warnings
                    .as_ref()
                    .is_none_or(|expected| compare::warnings_match(expected, &outcome.warnings));
                (!(output_ok && warnings_ok)).then(|| {
                    if vector.warnings.is_some() {
                        serde_json::json!({"output": outcome.output, "warnings": outcome.warnings})
                    } else {
                        outcome.output
                    }
                })
            }
        };
        match mismatch {
            None => report.passed += 1,
            Some(got) => report.failures.push(Mismatch {
                index,
                function: vector.function.clone(),
                input: vector.input.clone(),
                expected: match &vector.warnings {
                    Some(w) => serde_json::json!({"output": vector.output, "warnings": w}),
                    None => vector.output.clone(),
                },
                got,
            }),
        }
    }
    report
}
