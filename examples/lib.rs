//! Examples live in `examples/*.rs`; run one with `cargo run -p hubcap-examples --example NAME`.
