#!/usr/bin/env bash
# The spawn overhead hubcap adds (benches/spawn/overhead.py): builds the release hub, makes
# sure .venv has jupyterhub-singleuser, and prints the medians recorded in docs/performance.md.
# SPAWN_BENCH_ROUNDS (default 5) sets the rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup-oracle
cargo build --release --quiet -p hub-bin
exec .venv/bin/python benches/spawn/overhead.py
