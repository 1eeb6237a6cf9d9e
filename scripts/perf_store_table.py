#!/usr/bin/env python3
"""Print the store table: hubcap's store vs JupyterHub's ORM (Markdown).

    python3 scripts/perf_store_table.py [--jupyterhub target/perf/jupyterhub_store.json]
                                        [--criterion-dir target/criterion] [--out table.md]

Reads the JSON written by benches/jupyterhub_store_timing.py and, for the same bench ids
(``store/<backend>/<op>``), criterion's median (found as scripts/perf_table.py finds it).
The issue's targets (SQLite, 100,000 users) are checked against hubcap's medians.
Missing data is printed as ``n/a`` and makes the exit status 1, except for the ids that
have no hubcap counterpart (``*_query_only``). A PostgreSQL run absent from the JupyterHub
JSON is one row ``not run`` (criterion data left from an earlier run is not shown).
Standard library only.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from perf_table import criterion_median, fmt_ratio, index_by_full_id, read_inputs  # noqa: E402

BACKENDS = ["sqlite", "postgres"]
OPS = ["token_lookup", "user_details", "users_page_200", "users_page_200_query_only"]
# the targets on SQLite, ns
TARGETS = {
    "store/sqlite/token_lookup": 50_000,
    "store/sqlite/user_details": 100_000,
    "store/sqlite/users_page_200": 5_000_000,
}
HUBCAP_LESS = {"users_page_200_query_only"}


def fmt_us(ns):
    if ns is None:
        return "n/a"
    us = ns / 1000
    if us < 10:
        return f"{us:.2f}"
    if us < 100:
        return f"{us:.1f}"
    return f"{us:,.0f}"


def main():
    ap = argparse.ArgumentParser(description="hubcap store vs JupyterHub ORM Markdown table")
    loaded = read_inputs(ap, "target/perf/jupyterhub_store.json", "perf_store_table")
    if loaded is None:
        return 1
    args, criterion_dir, jh = loaded
    ops = jh.get("operations", {})
    index = index_by_full_id(criterion_dir)
    lines = [
        "| operation | target | hubcap (µs) | JupyterHub ORM (µs) | JupyterHub / hubcap "
        "| target met |",
        "|---|---:|---:|---:|---:|---|",
    ]
    missing = []
    for backend in BACKENDS:
        rows = []
        for op in OPS:
            bench_id = f"store/{backend}/{op}"
            rust = None if op in HUBCAP_LESS else criterion_median(criterion_dir, bench_id, index)
            py = (ops.get(bench_id) or {}).get("median_ns")
            rows.append((bench_id, op, rust, py))
        if backend != "sqlite" and all(p is None for _, _, _, p in rows):
            # not timed in this run (criterion data left from another run is not shown)
            lines.append(f"| `store/{backend}/*` | | n/a | n/a | n/a | not run |")
            continue
        for bench_id, op, rust, py in rows:
            if rust is None and op not in HUBCAP_LESS:
                missing.append(f"criterion estimates for {bench_id} (under {criterion_dir})")
            if py is None:
                missing.append(f"JupyterHub timing for {bench_id} (in {args.jupyterhub})")
            target = TARGETS.get(bench_id)
            met = ""
            if target is not None:
                met = "n/a" if rust is None else ("yes" if rust <= target else "**no**")
            lines.append(
                f"| `{bench_id}` | {f'{target / 1000:,.0f} µs' if target else ''} "
                f"| {'—' if op in HUBCAP_LESS else fmt_us(rust)} | {fmt_us(py)} "
                f"| {'—' if op in HUBCAP_LESS else fmt_ratio(py, rust)} | {met} |"
            )
    lines.append("")
    lines.append(
        f"{jh.get('users', '?'):,} users, {jh.get('tokens', '?'):,} tokens. hubcap: criterion "
        f"median. JupyterHub {jh.get('jupyterhub_version', '?')} (SQLAlchemy "
        f"{jh.get('sqlalchemy_version', '?')}, Python {jh.get('python', '?')}): median per "
        "call through the ORM, transaction ended and identity map emptied before each call "
        "(not timed)."
    )
    table = "\n".join(lines) + "\n"
    sys.stdout.write(table)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(table)
    for m in missing:
        print(f"perf_store_table: missing {m}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
