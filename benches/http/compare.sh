#!/usr/bin/env bash
# The hub's HTTP speed side by side with the real JupyterHub 6.1.1 (benches/http/compare.py):
# builds the release hub, makes sure the venv, CHP and wrk are there, and prints the table
# recorded in docs/performance.md. HTTP_BENCH_DURATION (default 10s) and
# HTTP_BENCH_CONNECTIONS (default 16) tune the wrk load.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup-oracle
scripts/setup-chp
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
cargo build --release --quiet -p hub-bin
exec .venv/bin/python benches/http/compare.py
