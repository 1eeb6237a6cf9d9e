//! Benchmarks live in `benches/*.rs` (criterion); this empty library only gives the package a
//! target that `cargo build` and `cargo test` can see. See `scripts/perf-compare` for the
//! side-by-side run against JupyterHub.
