//! Configuration problems: each names the key, what is wrong and what would be right.

use std::fmt;

/// One problem in the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}{}", help_suffix(.help))]
pub struct ConfigProblem {
    /// Where: `JupyterHub.load_roles[2].scopes[0]`, or `line 3, column 7` for syntax.
    pub path: String,
    /// What is wrong.
    pub problem: String,
    /// What would be right, when something can be suggested.
    pub help: Option<String>,
}

fn help_suffix(help: &Option<String>) -> String {
    match help {
        Some(help) => format!(" ({help})"),
        None => String::new(),
    }
}

impl ConfigProblem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            path: path.into(),
            problem: problem.into(),
            help: None,
        }
    }

    /// The same problem with a suggestion.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> ConfigProblem {
        self.help = Some(help.into());
        self
    }
}

/// Every problem found in one configuration, in file order as far as it is known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    /// The configuration's name (its file path, or `defaults`).
    pub origin: String,
    /// The problems.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "{}: {count} configuration {noun}", self.origin)?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}
