#!/usr/bin/env bash
# wrk through configurable-http-proxy 5.3.0 and through hubcap's embedded proxy (release
# build of `examples/chp.rs`), one after the other, same upstream (`examples/hello_upstream.rs`),
# same route (`/user/bench` -> upstream), same load. Prints req/s, p50, p99 and the peak
# RSS of each proxy process under load.
#
#   crates/proxy/bench.sh                      # 10 s, 50 connections, 2 wrk threads
#   DURATION=30s CONNECTIONS=100 crates/proxy/bench.sh
#
# Loopback only; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${DURATION:-10s}
connections=${CONNECTIONS:-50}
threads=${THREADS:-2}
token=bench-token

scripts/setup-chp >/dev/null
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
cargo build --quiet --release -p proxy --example chp --example hello_upstream

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on port $1" >&2; return 1
}
# Peak resident set of a process while it runs (kB), sampled every 100 ms into a file.
sample_rss() {
  local pid=$1 out=$2 peak=0 rss
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" >"$out"
    sleep 0.1
  done
}

upstream_port=$(free_port)
target/release/examples/hello_upstream "127.0.0.1:$upstream_port" 2>/dev/null &
pids+=($!)
wait_port "$upstream_port"

printf '%-10s %12s %10s %10s %12s %12s\n' proxy 'req/s' p50 p99 'RSS idle' 'RSS peak'
run() {
  local name=$1; shift
  local port api
  port=$(free_port); api=$(free_port)
  CONFIGPROXY_AUTH_TOKEN=$token "$@" --ip 127.0.0.1 --port "$port" --api-ip 127.0.0.1 --api-port "$api" >/dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port "$port"; wait_port "$api"
  curl -sf -X POST -H "Authorization: token $token" \
    -d "{\"target\":\"http://127.0.0.1:$upstream_port\"}" "http://127.0.0.1:$api/api/routes/user/bench" >/dev/null
  local url="http://127.0.0.1:$port/user/bench/api/status"
  curl -sf "$url" >/dev/null
  wrk -t"$threads" -c"$connections" -d2s "$url" >/dev/null  # warm-up
  local idle
  idle=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  local rss_file
  rss_file=$(mktemp)
  echo "$idle" >"$rss_file"
  sample_rss "$pid" "$rss_file" &
  local sampler=$!
  local report
  report=$(wrk --latency -t"$threads" -c"$connections" -d"$duration" "$url")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  local rps p50 p99 peak
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$report")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
  peak=$(cat "$rss_file"); rm -f "$rss_file"
  if grep -q 'Non-2xx' <<<"$report"; then echo "bench: $name answered errors: $(grep Non-2xx <<<"$report")" >&2; fi
  printf '%-10s %12s %10s %10s %9s MiB %9s MiB\n' "$name" "$rps" "$p50" "$p99" "$((idle / 1024))" "$((peak / 1024))"
}
run chp .chp/node_modules/.bin/configurable-http-proxy --log-level error
run embedded target/release/examples/chp
echo "($connections connections, $threads wrk threads, $duration, upstream hello_upstream on one thread)"
