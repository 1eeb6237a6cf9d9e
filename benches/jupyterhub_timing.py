#!/usr/bin/env python3
"""Python side of hubcap's speed comparison: time JupyterHub's own scope functions.

Usage (from the repository root, with the venv holding jupyterhub==6.1.1):

    .venv/bin/python benches/jupyterhub_timing.py --out target/perf/jupyterhub.json

Every operation has the same inputs and the same bench id (``<group>/<bench>``) as the
criterion benches in ``benches/`` (``cargo bench -p hubcap-benches --bench scopes``);
``scripts/perf_table.py`` puts both side by side.

Two JupyterHub paths are measured per operation:

warm
    The public, memoised function called again and again with the same arguments, so its
    caches are hot.  Timed in batches of ``BATCH`` back-to-back calls; per call =
    (batch time - time of an empty loop of the same length) / BATCH; the median over all
    batches is reported.

cold
    The same computation with JupyterHub's memo caches out of the way: the undecorated
    function (``fn.__wrapped__``, the body under ``lru_cache_key``) is called, and before
    *each* call every scope memo cache is emptied (``_expand_scope.cache_clear()``,
    ``_expand_self_scope.cache_clear()`` for the ``functools.lru_cache`` ones; the
    ``LRUCache`` closure cell behind ``parse_scopes``, ``unparse_scopes``,
    ``reduce_scopes``, ``has_scope``, ``expand_scopes``, ``_intersect_expanded_scopes``,
    ``identify_scopes``, ``access_scopes``, ``check_scope_filter``, ``describe_raw_scopes``
    for the ``lru_cache_key`` ones).  Only the call is timed: each iteration is
    ``clear(); t0 = perf_counter_ns(); call(); t1 = perf_counter_ns()``; the reported value
    is median(t1 - t0) - median(overhead), where the overhead is the same two
    ``perf_counter_ns`` calls around a call of an empty thunk (the operations are called
    through zero-argument thunks; the warm empty loop also calls an empty thunk, so only
    the body of each thunk -- the JupyterHub call -- is counted).
    ``needs_scope`` has no undecorated form that still checks scopes (its ``__wrapped__``
    is the bare handler method), so its cold path is the decorated method with all the
    caches above cleared before each call (the ``has_scope`` calls it makes then run cold).

cold, as called
    What a JupyterHub caller pays on a cache miss: the public, memoised function (the one
    JupyterHub's own code calls) with every scope memo cache emptied before each call, timed
    as ``cold``.  It adds the cost of building the cache key and storing the answer to the
    body's; for ``has_scope`` the key is a frozen copy of the whole held-scope dict, which is
    why its warm path is slower than its body.  Where ``cold`` already is the public function
    (``needs_scope``, ``get_scopes_for``) the two paths time the same call.

Both paths run with the garbage collector disabled (as ``timeit`` does) and JupyterHub's
``app_log`` (tornado.application) set to CRITICAL, so the needs_scope debug/warning lines
cost only their level check.  Python objects still cache their own hashes (str,
frozenset, FrozenDict._hash) across cold calls; that is not a JupyterHub cache and is not
undone.
"""

import argparse
import gc
import json
import logging
import os
import platform
import statistics
import sys
import time
import types
import warnings

EXPECTED_VERSION = "6.1.1"

import jupyterhub  # noqa: E402
from tornado import web  # noqa: E402
from tornado.log import app_log  # noqa: E402

from jupyterhub import orm, roles, scopes  # noqa: E402
from jupyterhub.scopes import needs_scope  # noqa: E402

perf_ns = time.perf_counter_ns

# ----------------------------------------------------------------------------------------
# reaching JupyterHub's memo caches
# ----------------------------------------------------------------------------------------

# functions decorated with jupyterhub._memoize.lru_cache_key: their LRUCache lives in the
# closure cell named "cache" of the wrapper (see _memoize.lru_cache_key.cache_func)
LRU_KEY_FUNCS = [
    "parse_scopes",
    "unparse_scopes",
    "reduce_scopes",
    "has_scope",
    "expand_scopes",
    "_intersect_expanded_scopes",
    "identify_scopes",
    "access_scopes",
    "check_scope_filter",
    "describe_raw_scopes",
]
# functions decorated with functools.lru_cache
FUNCTOOLS_FUNCS = ["_expand_scope", "_expand_self_scope"]


def lru_key_cache(fn):
    """The jupyterhub._memoize.LRUCache instance behind an @lru_cache_key function."""
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    cache = cells["cache"].cell_contents
    assert type(cache).__name__ == "LRUCache", (fn, cache)
    return cache


LRU_CACHES = [lru_key_cache(getattr(scopes, name)) for name in LRU_KEY_FUNCS]
# OrderedDict.clear of every LRUCache, then cache_clear of the functools caches
CLEARERS = [c._cache.clear for c in LRU_CACHES] + [
    getattr(scopes, name).cache_clear for name in FUNCTOOLS_FUNCS
]


def clear_caches():
    for clear in CLEARERS:
        clear()


def caches_empty():
    return all(len(c._cache) == 0 for c in LRU_CACHES) and all(
        getattr(scopes, name).cache_info().currsize == 0 for name in FUNCTOOLS_FUNCS
    )


# ----------------------------------------------------------------------------------------
# the world (same construction as oracle/generate.py's World, reduced to what is needed)
# ----------------------------------------------------------------------------------------


def build_world():
    db = orm.new_session_factory("sqlite:///:memory:")()
    for role in roles.get_default_roles():
        roles.create_role(db, role)
    users = {}
    for name, admin in [("alice", False), ("bob", False), ("carol", True)]:
        u = orm.User(name=name, admin=admin)
        db.add(u)
        users[name] = u
    db.commit()
    for u in users.values():
        roles.assign_default_roles(db, u)  # "user" role (+ "admin" for carol)
    db.add(orm.OAuthClient(identifier="jupyterhub"))  # the hub's own client, as app.py adds
    db.commit()
    return db, users


class StandInHandler:
    """Stand-in tornado handler for needs_scope (as in oracle/generate.py)."""

    def __init__(self, current_user, expanded):
        self.current_user = current_user
        self.expanded_scopes = set(expanded)
        self.parsed_scopes = scopes.parse_scopes(self.expanded_scopes)
        self.db = None
        self.request = types.SimpleNamespace(path="/hub/api/users/x")

    @needs_scope(
        "read:users",
        "read:users:name",
        "read:servers",
        "read:users:groups",
        "read:users:activity",
        "read:roles:users",
    )
    def get(self, user_name):
        return "ok"


# ----------------------------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------------------------

BATCH = 100  # calls per warm batch


def _noop():
    return None


def timer_overhead(n=20000):
    """Median ns of perf_counter_ns(); noop thunk(); perf_counter_ns() (cold overhead)."""
    samples = []
    noop = _noop
    gc.disable()
    try:
        for _ in range(n):
            t0 = perf_ns()
            noop()
            t1 = perf_ns()
            samples.append(t1 - t0)
    finally:
        gc.enable()
    return statistics.median(samples)


def empty_batch_ns(n=2000):
    """Median ns of a BATCH-long loop calling a noop thunk (warm overhead per batch)."""
    samples = []
    r = range(BATCH)
    noop = _noop
    gc.disable()
    try:
        for _ in range(n):
            t0 = perf_ns()
            for _ in r:
                noop()
            t1 = perf_ns()
            samples.append(t1 - t0)
    finally:
        gc.enable()
    return statistics.median(samples)


def time_cold(call, seconds, overhead, min_iter=200, max_iter=200000):
    """Median ns of call() with all memo caches cleared before each call (clearing untimed)."""
    samples = []
    deadline = perf_ns() + int(seconds * 1e9)
    gc.collect()
    gc.disable()
    try:
        while len(samples) < max_iter and (len(samples) < min_iter or perf_ns() < deadline):
            clear_caches()
            t0 = perf_ns()
            call()
            t1 = perf_ns()
            samples.append(t1 - t0)
    finally:
        gc.enable()
    return max(statistics.median(samples) - overhead, 0.0), len(samples)


def time_warm(call, seconds, empty_batch, min_batches=50, max_batches=100000):
    """Median ns per call of call() repeated BATCH times back to back (caches hot)."""
    call()  # fill the caches
    samples = []
    r = range(BATCH)
    deadline = perf_ns() + int(seconds * 1e9)
    gc.collect()
    gc.disable()
    try:
        while len(samples) < max_batches and (
            len(samples) < min_batches or perf_ns() < deadline
        ):
            t0 = perf_ns()
            for _ in r:
                call()
            t1 = perf_ns()
            samples.append(t1 - t0)
    finally:
        gc.enable()
    per_call = (statistics.median(samples) - empty_batch) / BATCH
    return max(per_call, 0.0), len(samples) * BATCH


# ----------------------------------------------------------------------------------------
# operations
# ----------------------------------------------------------------------------------------


def expect_404(method, *args):
    """Call a needs_scope-protected method that must refuse with 404; return the status."""
    try:
        method(*args)
    except web.HTTPError as e:
        return e.status_code
    return None


def build_operations(users):
    alice, bob, carol = users["alice"], users["bob"], users["carol"]

    # raw scopes as stored in the database
    alice_raw = sorted({s for r in alice.roles for s in r.scopes})
    assert alice_raw == ["self"], alice_raw
    admin_raw = next(r["scopes"] for r in roles.get_default_roles() if r["name"] == "admin")
    assert len(admin_raw) == 16, admin_raw
    assert {r.name for r in carol.roles} == {"user", "admin"}, carol.roles
    assert bob is not None

    self_expansion = scopes.expand_scopes(["self"], owner=alice)
    assert len(self_expansion) == 15, sorted(self_expansion)
    admin_expansion = scopes.expand_scopes(admin_raw, owner=carol)
    alice_parsed = scopes.parse_scopes(self_expansion)
    admin_parsed = scopes.parse_scopes(admin_expansion)

    token_raw = [
        "read:users!user=alice",
        "read:servers!user=alice",
        "access:servers!server=alice/x",
        "users:activity!user=alice",
    ]
    inter_a = scopes.expand_scopes(token_raw, owner=alice) | scopes.identify_scopes(alice)
    inter_b = scopes.expand_scopes(["self"], owner=alice)
    # (JupyterHub 6.1.1's answer; the access:servers filters meet through server -> user)
    inter_expected = frozenset(
        {
            "access:servers!server=alice/x",
            "read:servers!user=alice",
            "read:users!user=alice",
            "read:users:activity!user=alice",
            "read:users:groups!user=alice",
            "read:users:name!user=alice",
            "users:activity!user=alice",
        }
    )

    # a token of alice's with scopes of its own (not `inherit`), so that its scopes are
    # expanded and met with alice's on every use
    token_stored = ["read:users!user", "servers!server=alice/x", "access:servers!server=alice/x"]
    db = orm.object_session(alice)
    alice_token = orm.APIToken.find(db, alice.new_api_token(scopes=token_stored, note="bench"))
    token_expected = frozenset(
        {
            "access:servers!server=alice/x",
            "delete:servers!server=alice/x",
            "read:servers!server=alice/x",
            "read:users!user=alice",
            "read:users:activity!user=alice",
            "read:users:groups!user=alice",
            "read:users:name!user=alice",
            "servers!server=alice/x",
            "start:servers!server=alice/x",
        }
    )
    get_scopes_for = scopes.get_scopes_for

    handler = StandInHandler(current_user=alice, expanded=self_expansion)
    get = handler.get  # bound decorated method

    # public (memoised) functions and their undecorated bodies, bound once so that the
    # thunks below only pay for the call itself
    parse, parse_w = scopes.parse_scopes, scopes.parse_scopes.__wrapped__
    expand, expand_w = scopes.expand_scopes, scopes.expand_scopes.__wrapped__
    inter = scopes._intersect_expanded_scopes
    inter_w = inter.__wrapped__
    has, has_w = scopes.has_scope, scopes.has_scope.__wrapped__

    # id -> (warm thunk, cold thunk, check(result) -> bool, expected description)
    ops = {
        "parse/self_expansion": (
            lambda: parse(self_expansion),
            lambda: parse_w(self_expansion),
            lambda r: r == alice_parsed and len(r) == 15,
            "15 bases, each {'user': {'alice'}}",
        ),
        "expand/admin_role": (
            lambda: expand(admin_raw, owner=carol),
            lambda: expand_w(admin_raw, owner=carol),
            lambda r: r == admin_expansion and "admin:users" in r,
            f"{len(admin_expansion)} scopes",
        ),
        "expand/self": (
            lambda: expand(["self"], owner=alice),
            lambda: expand_w(["self"], owner=alice),
            lambda r: r == self_expansion and len(r) == 15,
            "15 scopes",
        ),
        "intersect/token_owner": (
            lambda: inter(inter_a, inter_b, db=None),
            lambda: inter_w(inter_a, inter_b, db=None),
            lambda r: r == inter_expected,
            f"{len(inter_expected)} scopes",
        ),
        "has_scope/allowed_unfiltered": (
            lambda: has("read:users!user=bob", admin_parsed),
            lambda: has_w("read:users!user=bob", admin_parsed),
            lambda r: r is True,
            "True",
        ),
        "has_scope/denied": (
            lambda: has("delete:servers!server=bob/", alice_parsed),
            lambda: has_w("delete:servers!server=bob/", alice_parsed),
            lambda r: r is False,
            "False",
        ),
        "has_scope/via_filter": (
            lambda: has("read:servers!server=alice/x", alice_parsed),
            lambda: has_w("read:servers!server=alice/x", alice_parsed),
            lambda r: r is True,
            "True",
        ),
        "needs_scope/allowed": (
            lambda: get("alice"),
            lambda: get("alice"),  # decorated method, caches cleared before each call
            lambda r: r == "ok",
            "returns 'ok'",
        ),
        # get_scopes_for itself is not memoised: warm means its inner caches are hot
        "token/scopes_from_facts": (
            lambda: get_scopes_for(alice_token),
            lambda: get_scopes_for(alice_token),
            lambda r: frozenset(r) == token_expected,
            f"{len(token_expected)} scopes",
        ),
        "needs_scope/denied": (
            lambda: expect_404(get, "bob"),
            lambda: expect_404(get, "bob"),
            lambda r: r == 404,
            "HTTPError 404",
        ),
    }
    return ops


def check_op(op_id, warm, cold, check, expected):
    """Assert both paths compute the expected result, warm and cold."""
    w1 = warm()
    w2 = warm()  # second call is served from the cache
    clear_caches()
    assert caches_empty(), "cache clearing did not empty every cache"
    c = cold()
    for label, r in (("warm", w1), ("warm (cached)", w2), ("cold", c)):
        if not check(r):
            raise AssertionError(f"{op_id} {label}: got {r!r}, expected {expected}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument(
        "--seconds",
        type=float,
        default=1.0,
        help="time budget per operation and path (default 1.0; 3 paths per op)",
    )
    ap.add_argument("--only", action="append", help="run only this bench id (repeatable)")
    args = ap.parse_args()

    if jupyterhub.__version__ != EXPECTED_VERSION:
        sys.exit(
            f"error: jupyterhub {jupyterhub.__version__} installed, need {EXPECTED_VERSION}"
        )

    logging.disable(logging.CRITICAL)  # quiet alembic while the database is set up
    _db, users = build_world()
    logging.disable(logging.NOTSET)
    # silence JupyterHub's app_log (needs_scope logs a debug line per scope checked and a
    # warning per refusal); the calls then cost only their isEnabledFor check
    app_log.setLevel(logging.CRITICAL)
    assert app_log.getEffectiveLevel() == logging.CRITICAL
    # scopes.py warns (UserWarning) about unexpandable filters / missing db; none is
    # expected on these inputs, so make one fail loudly rather than be timed
    warnings.simplefilter("error", UserWarning)
    ops = build_operations(users)
    if args.only:
        unknown = set(args.only) - set(ops)
        if unknown:
            sys.exit(f"error: unknown bench id(s): {sorted(unknown)}")
        ops = {k: v for k, v in ops.items() if k in args.only}

    overhead = timer_overhead()
    empty_batch = empty_batch_ns()
    print(
        f"jupyterhub {jupyterhub.__version__}, Python {platform.python_version()}; "
        f"app_log level CRITICAL (logging silenced); gc disabled while timing; "
        f"timer overhead {overhead:.0f} ns, empty {BATCH}-loop {empty_batch:.0f} ns",
        file=sys.stderr,
    )

    results = {}
    for op_id, (warm, cold, check, expected) in ops.items():
        check_op(op_id, warm, cold, check, expected)
        cold_ns, cold_n = time_cold(cold, args.seconds, overhead)
        # the public function on a miss: the warm thunk, with the caches emptied each time
        called_ns, called_n = time_cold(warm, args.seconds, overhead)
        warm_ns, warm_n = time_warm(warm, args.seconds, empty_batch)
        check_op(op_id, warm, cold, check, expected)  # still right after timing
        results[op_id] = {
            "cold_ns": round(cold_ns, 1),
            "cold_called_ns": round(called_ns, 1),
            "warm_ns": round(warm_ns, 1),
            "iterations": {"cold": cold_n, "cold_called": called_n, "warm": warm_n},
            "expected": expected,
        }
        print(
            f"  {op_id:30s} cold {cold_ns:12,.0f} ns  cold as called {called_ns:12,.0f} ns"
            f"  warm {warm_ns:10,.0f} ns  (n={cold_n}/{called_n}/{warm_n})",
            file=sys.stderr,
        )

    out = {
        "jupyterhub_version": jupyterhub.__version__,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "method": {
            "logging": "tornado app_log level CRITICAL (JupyterHub logging silenced)",
            "warm": f"public memoised function, caches hot; batches of {BATCH} calls, "
            "median over batches of (batch - empty loop) / {BATCH}".replace(
                "{BATCH}", str(BATCH)
            ),
            "cold": "fn.__wrapped__ (needs_scope: the decorated method) with every "
            "scopes memo cache (functools lru_cache + _memoize.LRUCache) cleared before "
            "each call; each call timed alone with perf_counter_ns, clearing untimed; "
            "median minus median timer overhead",
            "cold_called": "the public memoised function (what JupyterHub's code calls) "
            "with every scopes memo cache cleared before each call, timed as cold",
            "timer_overhead_ns": overhead,
            "empty_batch_ns": empty_batch,
            "gc": "disabled while timing",
            "seconds_per_path": args.seconds,
        },
        "operations": results,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
