#!/usr/bin/env python3
"""Print the hubcap-vs-JupyterHub speed table (Markdown).

    python3 scripts/perf_table.py [--jupyterhub target/perf/jupyterhub.json]
                                  [--criterion-dir target/criterion] [--out table.md]

Reads the JSON written by benches/jupyterhub_timing.py and, for the same bench ids
(``<group>/<bench>``), criterion's ``new/estimates.json`` (``median.point_estimate``, ns).
A criterion bench is found by the ``full_id`` recorded in its ``new/benchmark.json``;
failing that, at ``<group>/<bench>/new`` (benchmark_group layout) or ``<group>_<bench>/new``
(``bench_function("group/bench")`` layout: criterion turns '/' into '_').

Missing criterion (or JupyterHub) data is printed as ``n/a`` and makes the exit status 1.
Standard library only.
"""

import argparse
import json
import os
import sys

# table order; ids found only in the JupyterHub JSON are appended after these
IDS = [
    "parse/self_expansion",
    "expand/admin_role",
    "expand/self",
    "intersect/token_owner",
    "has_scope/allowed_unfiltered",
    "has_scope/denied",
    "has_scope/via_filter",
    "has_need/allowed_unfiltered",
    "has_need/denied",
    "has_need/via_filter",
    "needs_scope/allowed",
    "needs_scope/denied",
    "token/scopes_from_facts",
    "share_code/exchange_decision",
]

# hubcap rows timed against another JupyterHub row: JupyterHub has no split form of a
# required scope, so `has_need` (hubcap's requirement split once) is compared with the
# `has_scope` call a JupyterHub handler makes for the same check
JH_ROW = {
    "has_need/allowed_unfiltered": "has_scope/allowed_unfiltered",
    "has_need/denied": "has_scope/denied",
    "has_need/via_filter": "has_scope/via_filter",
}


def index_by_full_id(criterion_dir):
    """full_id -> directory holding new/estimates.json, from criterion's benchmark.json files."""
    found = {}
    if not os.path.isdir(criterion_dir):
        return found
    for root, dirs, files in os.walk(criterion_dir):
        if os.path.basename(root) == "new" and "benchmark.json" in files:
            try:
                with open(os.path.join(root, "benchmark.json")) as f:
                    full_id = json.load(f).get("full_id")
            except (OSError, ValueError):
                continue
            if full_id:
                found[full_id] = root
        dirs[:] = [d for d in dirs if d not in ("base", "change", "report")]
    return found


def criterion_median(criterion_dir, bench_id, index):
    """Median ns of a criterion bench, or None when it has no estimates."""
    group, _, bench = bench_id.partition("/")
    candidates = []
    if bench_id in index:
        candidates.append(index[bench_id])
    candidates.append(os.path.join(criterion_dir, group, bench, "new"))
    candidates.append(os.path.join(criterion_dir, f"{group}_{bench}", "new"))
    for d in candidates:
        path = os.path.join(d, "estimates.json")
        try:
            with open(path) as f:
                return float(json.load(f)["median"]["point_estimate"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def fmt_ns(v):
    if v is None:
        return "n/a"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:,.0f}"


def fmt_ratio(num, den):
    if num is None or den is None or den <= 0:
        return "n/a"
    r = num / den
    if r >= 10:
        return f"{r:,.0f}x"
    if r >= 1:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def read_inputs(ap, default_json, prog):
    """Parses the shared options (--jupyterhub, --criterion-dir, --out) and reads the
    JupyterHub timings: (args, criterion_dir, timings), or None after saying what failed."""
    ap.add_argument("--jupyterhub", default=default_json,
                    help="JSON written by the JupyterHub timing script")
    ap.add_argument("--criterion-dir", default=None,
                    help="criterion output directory (default: $CARGO_TARGET_DIR/criterion "
                         "or target/criterion)")
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    criterion_dir = args.criterion_dir or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or "target", "criterion")
    try:
        with open(args.jupyterhub) as f:
            return args, criterion_dir, json.load(f)
    except (OSError, ValueError) as e:
        print(f"{prog}: cannot read {args.jupyterhub}: {e}", file=sys.stderr)
        return None


def main():
    ap = argparse.ArgumentParser(description="hubcap vs JupyterHub Markdown speed table")
    loaded = read_inputs(ap, "target/perf/jupyterhub.json", "perf_table")
    if loaded is None:
        return 1
    args, criterion_dir, jh = loaded
    ops = jh.get("operations", {})
    ids = IDS + [i for i in ops if i not in IDS]
    index = index_by_full_id(criterion_dir)

    lines = [
        "| operation | hubcap (ns) | JupyterHub warm (ns) | JupyterHub cold, body (ns) "
        "| JupyterHub cold, as called (ns) | warm / hubcap | cold body / hubcap "
        "| cold as called / hubcap |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    missing = []
    for bench_id in ids:
        rust = criterion_median(criterion_dir, bench_id, index)
        op = ops.get(JH_ROW.get(bench_id, bench_id)) or {}
        warm, cold = op.get("warm_ns"), op.get("cold_ns")
        called = op.get("cold_called_ns")
        if rust is None:
            missing.append(f"criterion estimates for {bench_id} (under {criterion_dir})")
        if warm is None or cold is None or called is None:
            missing.append(f"JupyterHub timing for {bench_id} (in {args.jupyterhub})")
        lines.append(
            f"| `{bench_id}` | {fmt_ns(rust)} | {fmt_ns(warm)} | {fmt_ns(cold)} "
            f"| {fmt_ns(called)} | {fmt_ratio(warm, rust)} | {fmt_ratio(cold, rust)} "
            f"| {fmt_ratio(called, rust)} |"
        )
    lines.append("")
    lines.append(
        f"hubcap: criterion median (`median.point_estimate`). JupyterHub "
        f"{jh.get('jupyterhub_version', '?')} on {jh.get('python', '?')}: median ns per call; "
        "warm = public memoised function, caches hot; cold, body = undecorated function "
        "(`__wrapped__`; needs_scope: the decorated method) with every scopes memo cache "
        "cleared before each call, clearing not timed; cold, as called = the public "
        "memoised function (what JupyterHub's code calls) with the caches cleared the same "
        "way, so a miss also pays for its cache key. JupyterHub's app_log set to CRITICAL."
    )
    table = "\n".join(lines) + "\n"
    sys.stdout.write(table)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(table)
    if missing:
        for m in missing:
            print(f"perf_table: missing {m}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
