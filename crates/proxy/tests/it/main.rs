//! Integration tests of the embedded proxy.
fn main() {}
