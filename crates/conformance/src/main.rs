//! `conformance FILE...`: runs vector files and prints each mismatch, then `N passed, N failed`.
//! Exits 1 if anything failed, 2 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!(
            "usage: conformance FILE...\n  runs hubcap against vector files recorded from JupyterHub 6.1.1"
        );
        return ExitCode::from(2);
    }
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let report = conformance::run_path(file);
        for m in &report.failures {
            println!("MISMATCH {}#{} fn={}", file.display(), m.index, m.function);
            println!("  input:    {}", m.input);
            println!("  expected: {}", m.expected);
            println!("  got:      {}", m.got);
        }
        eprintln!(
            "{}: {} passed, {} failed",
            file.display(),
            report.passed,
            report.failed()
        );
        passed += report.passed;
        failed += report.failed();
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
