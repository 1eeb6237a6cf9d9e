"""Differential tests: the real JupyterHub 6.1.1 and hubcap's hub, side by side.

    .venv/bin/python -m tests.differential.run --hubcap target/debug/hub
    .venv/bin/python -m tests.differential.run --against-jupyterhub      # self-check
    .venv/bin/python -m tests.differential.run --list

Starts both hubs on loopback, builds the same world through both REST APIs, sends every case
to both in sequence and compares status, the headers that matter and the normalised JSON
body. Exit 0 when nothing differs (besides cases allowed by --known), 1 otherwise, 2 when
the run itself failed (a hub did not start, JupyterHub refused a build step, time ran out).
See tests/differential/README.md.
"""

import argparse
import fnmatch
import html
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urlsplit

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    __package__ = "tests.differential"

import requests  # noqa: E402

from tests.differential import build, cases, hubs, world  # noqa: E402
from tests.differential.case import dig, fill, prepare  # noqa: E402
from tests.differential.normalize import normalize, without_explanation  # noqa: E402

GROUPS = ("hub", "identity", "users", "groups", "services", "tokens", "shares", "proxy", "servers",
          "oauth")


class Aborted(Exception):
    pass


def _session():
    s = requests.Session()
    s.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    s.trust_env = False  # no proxies from the environment: loopback only
    return s


class Unsendable(Exception):
    """A case needs a value this hub never produced (an earlier request of it failed)."""


class Side:
    """One hub as the runner sees it: the process, an HTTP session and its variables."""

    def __init__(self, hub):
        self.hub = hub
        self.session = _session()
        self.vars = {}

    def send(self, case):
        try:
            method, url, headers, data = prepare(case, self.vars)
        except KeyError as e:
            return Unsendable(e.args[0])
        return self.session.request(
            method, self.hub.base + url, headers=headers, data=data,
            allow_redirects=False, timeout=30,
        )


def capture_special(r, keypath):
    """Captures from a response other than its JSON body: `("@cookie", NAME)` (a Set-Cookie
    value), `("@location-param", NAME)` (a query argument of Location), `("@inputs", NAME)`
    (the hidden inputs NAME of an HTML page, as form pairs)."""
    kind, name = keypath
    if kind == "@cookie":
        return r.cookies.get(name)
    if kind == "@location-param":
        query = urlsplit(r.headers.get("location", "")).query
        values = parse_qs(query).get(name)
        return values[0] if values else None
    if kind == "@inputs":
        values = re.findall(r'name="%s" value="([^"]*)"' % re.escape(name), r.text)
        return urlencode([(name, html.unescape(v)) for v in values])
    return None


def load_known(path):
    known = {}
    if not path:
        return known
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            known[parts[0]] = parts[1] if len(parts) > 1 else "(no reason given)"
    return known


def show(norm):
    status, headers, body = norm
    b = json.dumps(body, sort_keys=True, indent=None) if not isinstance(body, str) else repr(body)
    if len(b) > 4000:
        b = b[:4000] + f"... ({len(b)} chars)"
    return f"{status} {json.dumps(headers, sort_keys=True)}\n      {b}"


def diff_paths(a, b, path="$", out=None, limit=8):
    """Where two normalised bodies differ (first few paths), to read a difference quickly."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}.{k}: only in hubcap side")
            elif k not in b:
                out.append(f"{path}.{k}: missing on hubcap side")
            else:
                diff_paths(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff_paths(x, y, f"{path}[{i}]", out, limit)
    elif a != b:
        out.append(f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hubcap", metavar="PATH", help="hubcap's hub binary (run as PATH --config FILE)")
    p.add_argument("--against-jupyterhub", action="store_true",
                   help="self-check: a second JupyterHub instead of hubcap (must show 0 differences)")
    p.add_argument("--groups", help=f"comma-separated endpoint groups to compare ({','.join(GROUPS)})")
    p.add_argument("--list", action="store_true", help="print the cases and exit")
    p.add_argument("--known", metavar="FILE", help="allowed differences: lines 'CASE-ID reason'")
    p.add_argument("--seed", type=int, default=20261123, help="seed of the random requester tokens")
    p.add_argument("--hashseeds", default=None,
                   help="PYTHONHASHSEED of the JupyterHub(s), e.g. 1,2 (default: random, printed)")
    p.add_argument("--start-timeout", type=float, default=90.0, help="seconds to wait for a hub")
    p.add_argument("--timeout", type=float, default=600.0, help="bound on the whole run, seconds")
    p.add_argument("--keep", action="store_true", help="keep the temporary directories (logs, dbs)")
    p.add_argument("--show", metavar="GLOB", action="append", default=[],
                   help="print both answers of the cases whose id matches (fnmatch; repeatable)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every case as it runs")
    args = p.parse_args(argv)

    groups = GROUPS
    if args.groups:
        groups = tuple(g.strip() for g in args.groups.split(",") if g.strip())
        bad = [g for g in groups if g not in GROUPS]
        if bad:
            p.error(f"unknown groups {bad}; known: {', '.join(GROUPS)}")

    build_steps = build.steps(args.seed)
    all_cases = cases.make(args.seed)
    ids = [c.id for c in build_steps + all_cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate case ids: {sorted(dupes)}")

    if args.list:
        for c in build_steps + all_cases:
            print(f"{c.group:9} {c.id:60} {c.describe()}")
        counts = OrderedDict((g, 0) for g in GROUPS)
        for c in build_steps + all_cases:
            counts[c.group] += 1
        print(", ".join(f"{g}: {n}" for g, n in counts.items()) + f"; total {sum(counts.values())}")
        return 0

    if not args.hubcap and not args.against_jupyterhub:
        p.error("give --hubcap PATH, or --against-jupyterhub for the self-check")
    if args.hubcap and not os.access(args.hubcap, os.X_OK):
        p.error(f"--hubcap {args.hubcap}: not an executable file")

    known = load_known(args.known)
    if args.hashseeds:
        seeds = [int(x) for x in args.hashseeds.split(",")]
    else:
        rng = random.SystemRandom()
        seeds = [rng.randrange(1, 2**32 - 1) for _ in range(2)]
        while seeds[1] == seeds[0]:
            seeds[1] = rng.randrange(1, 2**32 - 1)
    if len(seeds) == 1:
        seeds.append(seeds[0])

    deadline = time.monotonic() + args.timeout
    root = tempfile.mkdtemp(prefix="hubcap-difftest-")
    svc_tokens = {s["name"]: secrets.token_hex(16) for s in world.SERVICES}
    ref = hubs.Hub("jupyterhub", f"JupyterHub (PYTHONHASHSEED={seeds[0]})",
                   os.path.join(root, "jupyterhub"), world, svc_tokens, hashseed=seeds[0])
    if args.against_jupyterhub:
        cand = hubs.Hub("jupyterhub", f"JupyterHub #2 (PYTHONHASHSEED={seeds[1]})",
                        os.path.join(root, "jupyterhub-2"), world, svc_tokens, hashseed=seeds[1])
    else:
        cand = hubs.Hub("hubcap", f"hubcap ({args.hubcap})", os.path.join(root, "hubcap"),
                        world, svc_tokens, hubcap_bin=os.path.abspath(args.hubcap))
    both = [ref, cand]

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    t0 = time.monotonic()
    code = 2
    try:
        print(f"starting {ref.label} and {cand.label} in {root}", flush=True)
        hubs.start_all(both, min(args.start_timeout, deadline - time.monotonic()))
        print(f"both hubs answer ({time.monotonic() - t0:.1f}s)", flush=True)
        code = run_cases(args, groups, known, ref, cand, build_steps, all_cases, deadline, t0)
    except Aborted as e:
        print(f"\nABORTED: {e}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt as e:
        print(f"\ninterrupted ({e}); stopping the hubs", file=sys.stderr)
        code = 130
    except RuntimeError as e:
        print(f"\nERROR: {e}", file=sys.stderr)
        code = 2
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        hubs.stop_all(both)
        if args.keep or code == 2:
            print(f"logs and databases kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return code


def run_cases(args, groups, known, ref, cand, build_steps, all_cases, deadline, t0):
    sides = [Side(ref), Side(cand)]
    for s in sides:
        s.vars.update(cases.STATIC_VARS)
        for svc, tok in s.hub.tokens.items():
            s.vars[f"secret:svc:{svc}"] = tok
    pool = ThreadPoolExecutor(max_workers=2)
    stats = OrderedDict((g, {"cases": 0, "same": 0, "different": 0, "known": 0, "skipped": 0})
                        for g in GROUPS)
    differences = []
    warnings = []
    expiring_at = None
    refused = 0

    def both(case):
        futs = [pool.submit(s.send, case) for s in sides]
        out = []
        for f in futs:
            try:
                r = f.result()
            except requests.RequestException as e:
                r = e
            out.append(r)
        return out

    try:
        for phase, seq in (("build", build_steps), ("cases", all_cases)):
            if phase == "cases" and expiring_at is not None:
                wait = world.EXPIRY_WAIT - (time.monotonic() - expiring_at)
                if wait > 0:
                    time.sleep(wait)
            print(f"{phase}: {len(seq)} requests", flush=True)
            for case in seq:
                if time.monotonic() > deadline:
                    raise Aborted(f"--timeout {args.timeout}s reached at {case.id}")
                selected = case.group in groups
                if not selected and phase == "cases":
                    continue
                try:
                    prepare(case, sides[0].vars)
                except KeyError as e:
                    if phase == "build":
                        raise Aborted(f"{case.id}: {e}")
                    stats[case.group]["skipped"] += 1
                    warnings.append(f"{case.id}: skipped, {e.args[0]} (made by an unselected case?)")
                    continue
                resps = both(case)
                if case.id == "build.token.kim-expiring":
                    expiring_at = time.monotonic()
                r_ref, r_cand = resps
                if isinstance(r_ref, Exception):
                    if not ref.alive():
                        raise Aborted(f"{case.id}: {ref.label} died; log:\n{ref.log_tail()}")
                    raise Aborted(f"{case.id}: request to {ref.label} failed: {r_ref}")
                if case.expect is not None and r_ref.status_code != case.expect:
                    msg = (f"{case.id}: {ref.label} answered {r_ref.status_code}, not {case.expect}: "
                           f"{r_ref.text[:500]}")
                    if phase == "build":
                        raise Aborted(msg)
                    warnings.append(msg)
                if (phase == "build" and not isinstance(r_cand, Exception)
                        and r_cand.status_code != case.expect):
                    warnings.append(f"{case.id}: {cand.label} answered {r_cand.status_code}, not "
                                    f"{case.expect}: later cases that need what it makes will differ")
                # captures, per hub, from that hub's own answer
                for s, r in zip(sides, resps):
                    if case.capture and not isinstance(r, Exception):
                        for var, keypath in case.capture.items():
                            try:
                                if keypath[0] == "@header":
                                    if keypath[1] in r.headers:
                                        s.vars[var] = r.headers[keypath[1]]
                                elif keypath[0].startswith("@"):
                                    value = capture_special(r, keypath)
                                    if value is not None:
                                        s.vars[var] = value
                                else:
                                    s.vars[var] = dig(r.json(), keypath)
                            except (ValueError, KeyError, TypeError, IndexError):
                                pass
                if not selected:
                    continue
                st = stats[case.group]
                st["cases"] += 1
                n_ref = normalize(case, r_ref)
                if isinstance(r_cand, Unsendable):
                    n_cand = ("not sent", {}, f"needs {r_cand.args[0]}, which this hub never produced")
                elif isinstance(r_cand, Exception):
                    n_cand = (f"no answer: {type(r_cand).__name__}", {}, str(r_cand)[:300])
                else:
                    n_cand = without_explanation(n_ref, normalize(case, r_cand))
                if args.verbose:
                    print(f"  {case.id}: {n_ref[0]} / {n_cand[0]}", flush=True)
                if any(fnmatch.fnmatchcase(case.id, pat) for pat in args.show):
                    print(f"\nSHOW {case.id} [{case.group}]\n  request:    {case.describe()}\n"
                          f"  reference:  {show(n_ref)}\n  other:      {show(n_cand)}", flush=True)
                if n_ref == n_cand:
                    st["same"] += 1
                    continue
                if case.id in known:
                    st["known"] += 1
                    continue
                st["different"] += 1
                differences.append((case, n_ref, n_cand))
                if isinstance(r_cand, Exception) and not cand.alive():
                    raise Aborted(f"{case.id}: {cand.label} died; log:\n{cand.log_tail()}")
                if isinstance(r_cand, requests.ConnectionError):
                    refused += 1
                    if refused >= 20:
                        raise Aborted(f"{case.id}: {cand.label} stopped answering (20 cases in a "
                                      f"row); log:\n{cand.log_tail()}")
                else:
                    refused = 0
    except Aborted:
        report(args, groups, cand, stats, differences, warnings, t0)
        raise
    pool.shutdown()
    return report(args, groups, cand, stats, differences, warnings, t0)


def report(args, groups, cand, stats, differences, warnings, t0):
    for case, n_ref, n_cand in differences:
        print(f"\nDIFFERENT {case.id} [{case.group}]")
        print(f"  request:    {case.describe()}")
        print(f"  JupyterHub: {show(n_ref)}")
        print(f"  {'hubcap' if cand.kind == 'hubcap' else 'other'}:     {show(n_cand)}")
        if n_ref[0] == n_cand[0]:
            for d in diff_paths(n_ref[2], n_cand[2]) + diff_paths(n_ref[1], n_cand[1], "headers"):
                print(f"    at {d}")
    for w in warnings:
        print(f"warning: {w}")
    print()
    total = {"cases": 0, "same": 0, "different": 0, "known": 0, "skipped": 0}
    for g, st in stats.items():
        if g not in groups:
            continue
        for k in total:
            total[k] += st[k]
        print(summary(g, st))
    print(summary("total", total) + f" ({time.monotonic() - t0:.1f}s)")
    return 1 if total["different"] else 0


def summary(name, st):
    s = f"{name:9} {st['cases']} cases, {st['same']} same, {st['different']} different"
    if st["known"]:
        s += f", {st['known']} known"
    if st["skipped"]:
        s += f", {st['skipped']} skipped"
    return s


if __name__ == "__main__":
    sys.exit(main())
