//! Benchmarks live in `benches/*.rs` (criterion); this empty library only gives the package a
//! target that `cargo build` and `cargo test` can see. See `scripts/perf-compare` (scopes) and
//! `scripts/perf-store` (the store) for the side-by-side runs against JupyterHub.
