#!/usr/bin/env python3
"""Python side of hubcap's store comparison: the same reads through JupyterHub's ORM.

Usage (from the repository root, with the venv holding jupyterhub==6.1.1):

    .venv/bin/python benches/jupyterhub_store_timing.py --out target/perf/jupyterhub_store.json

Builds the same database as ``benches/store.rs`` (``cargo bench -p hubcap-benches --bench
store``), with ``orm.new_session_factory``: a SQLite file under ``target/store-bench/`` and,
when ``HUBCAP_TEST_PG_URL`` is set, a fresh schema ``jupyterhub_bench`` of that PostgreSQL
cluster (``postgresql+psycopg2://``). Sizes: ``HUBCAP_BENCH_USERS`` (default 100,000; two
tokens per user). For user ``i`` (named ``user{i:06}``): the ``user`` role; every 1,000th an
admin (flag and ``admin`` role); every 10th one of three custom roles and a default server;
user ``i`` in group ``i % 100``, ``group00`` holding a custom role; every 100th user receives
shares of the servers of users ``i+10``, ``i+20``, ``i+30``; ``group00`` a share of user 10's
server; two generated tokens per user (one hash round, JupyterHub's rule for generated
tokens), client ``jupyterhub``. Setup uses SQLAlchemy core bulk inserts and is not timed.

Timed, through the ORM as the hub does it, with bench ids ``store/<backend>/<op>``:

token_lookup
    ``orm.APIToken.find(db, token)`` with a secret of the timed user ``user{M:06}``, M = N/2 rounded
    down to a multiple of 1,000, plus 100 (not an admin; ``user`` and a custom role,
    ``group00``, a server, three direct shares and one through ``group00``).
user_details
    ``orm.User.find(db, name)``, then its ``roles``, ``groups``, ``_orm_spawners`` (servers)
    and ``all_shared_with_me`` (direct and group shares) -- what hubcap's ``user_details``
    returns.
users_page_200
    What ``GET /users?offset=N/2&limit=200`` does in ``apihandlers/users.py`` and what
    hubcap's ``list_users`` returns: ``db.query(orm.User).order_by(orm.User.id)
    .offset(N/2).limit(200).all()``, then each user's ``roles``, ``groups`` and
    ``_orm_spawners`` (``user_model`` reads them), and the total count.
users_page_200_query_only
    The bare page query above, without relationships or count (less work than hubcap's
    ``list_users`` does; no hubcap counterpart).

Before *each* call, untimed: ``db.rollback()`` (ends the transaction, as hubcap's
``Store::read`` ends its own) and ``db.expunge_all()`` (empties the identity map, so no
object is a cache hit). Reported value: median(t1 - t0) - median(empty timing overhead), ns.
The garbage collector is disabled while timing, as ``timeit`` does.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import urllib.parse

import jupyterhub
import sqlalchemy
from jupyterhub import orm
from jupyterhub.utils import hash_token, new_token

EXPECTED_VERSION = "6.1.1"
GROUPS = 100
CUSTOM_ROLES = ["course-staff", "grader", "viewer"]
PAGE = 200

perf_ns = time.perf_counter_ns


def user_name(i):
    return f"user{i:06}"


def default_roles():
    # the four default roles' names and scopes, as in jupyterhub.roles.get_default_roles;
    # their scopes do not matter to the reads timed here
    from jupyterhub.roles import get_default_roles

    return [(r["name"], r.get("description"), r["scopes"]) for r in get_default_roles()]


def build(url, n, log):
    started = time.monotonic()
    session_factory = orm.new_session_factory(url)
    db = session_factory()
    db.add(orm.OAuthClient(identifier="jupyterhub"))
    role_ids = {}
    for name, description, scopes in default_roles() + [
        (name, "a custom role", ["read:users", "list:users", "read:servers"])
        for name in CUSTOM_ROLES
    ]:
        role = orm.Role(name=name, description=description, scopes=scopes)
        db.add(role)
        db.flush()
        role_ids[name] = role.id
    group_ids = []
    for g in range(GROUPS):
        group = orm.Group(name=f"group{g:02}", properties={})
        db.add(group)
        db.flush()
        group_ids.append(group.id)
    db.execute(
        orm.Base.metadata.tables["group_role_map"].insert(),
        [{"group_id": group_ids[0], "role_id": role_ids[CUSTOM_ROLES[0]]}],
    )
    db.commit()

    user_id = lambda i: i + 1  # noqa: E731  explicit ids, so maps need no lookups
    users, user_roles, user_groups, spawners, tokens = [], [], [], [], []
    spawner_ids = {}
    # not an admin, in group00, a custom role, a server, three shares and one via group00
    timed = n // 2 // 1000 * 1000 + 100
    timed_token = None
    for i in range(n):
        admin = i % 1000 == 0
        uid = user_id(i)
        users.append({"id": uid, "name": user_name(i), "admin": admin, "cookie_id": new_token()})
        user_roles.append({"user_id": uid, "role_id": role_ids["user"]})
        if admin:
            user_roles.append({"user_id": uid, "role_id": role_ids["admin"]})
        if i % 10 == 0:
            user_roles.append({"user_id": uid, "role_id": role_ids[CUSTOM_ROLES[(i // 10) % 3]]})
            spawner_ids[i] = len(spawners) + 1
            spawners.append({"id": spawner_ids[i], "user_id": uid, "name": ""})
        user_groups.append({"user_id": uid, "group_id": group_ids[i % GROUPS]})
        for _ in range(2):
            token = new_token()
            tokens.append(
                {
                    "user_id": uid,
                    "hashed": hash_token(token, salt=8, rounds=1, algorithm="sha512"),
                    "prefix": token[: orm.APIToken.prefix_length],
                    "client_id": "jupyterhub",
                    "scopes": [],
                    "note": "",
                }
            )
            if i == timed:
                timed_token = token
    shares = []
    now = orm.utcnow()
    for i in range(0, n, 100):
        for owner in (i + 10, i + 20, i + 30):
            if owner < n:
                shares.append(
                    {
                        "owner_id": user_id(owner),
                        "spawner_id": spawner_ids[owner],
                        "user_id": user_id(i),
                        "group_id": None,
                        "created_at": now,
                        "scopes": [f"access:servers!server={user_name(owner)}/"],
                    }
                )
    shares.append(
        {
            "owner_id": user_id(10),
            "spawner_id": spawner_ids[10],
            "user_id": None,
            "group_id": group_ids[0],
            "created_at": now,
            "scopes": [f"access:servers!server={user_name(10)}/"],
        }
    )
    share_table = orm.Share.__table__
    scopes_key = [c.key for c in share_table.columns if c.name == "scopes"][0]
    for s in shares:
        s[scopes_key] = s.pop("scopes")
    for table, rows in [
        (orm.User.__table__, users),
        (orm.Base.metadata.tables["user_role_map"], user_roles),
        (orm.user_group_map, user_groups),
        (orm.Spawner.__table__, spawners),
        (orm.APIToken.__table__, tokens),
        (share_table, shares),
    ]:
        for start in range(0, len(rows), 20000):
            db.execute(table.insert(), rows[start : start + 20000])
    db.commit()
    if url.startswith("postgresql"):
        # explicit ids: move the sequences past them, as a hub inserting later would need
        for table in ("users", "spawners"):
            db.execute(
                sqlalchemy.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        db.commit()
    log(f"built {n} users, {len(tokens)} tokens in {time.monotonic() - started:.1f} s")
    return db, timed_token, user_name(timed), n // 2


def time_op(db, fn, seconds, min_iters=30, max_iters=200000):
    """median ns of fn() with the transaction ended and the identity map emptied before each"""
    samples = []
    overhead = []
    noop = lambda: None  # noqa: E731
    gc_was = gc.isenabled()
    gc.disable()
    try:
        deadline = time.monotonic() + seconds
        while (time.monotonic() < deadline or len(samples) < min_iters) and len(
            samples
        ) < max_iters:
            db.rollback()
            db.expunge_all()
            t0 = perf_ns()
            fn()
            t1 = perf_ns()
            samples.append(t1 - t0)
            t0 = perf_ns()
            noop()
            t1 = perf_ns()
            overhead.append(t1 - t0)
    finally:
        if gc_was:
            gc.enable()
    return max(statistics.median(samples) - statistics.median(overhead), 0.0), len(samples)


def bench_backend(backend, db, token, name, offset, seconds, log):
    # sanity: the fixture is what the benches say it is
    found = orm.APIToken.find(db, token)
    assert found is not None and found.user.name == name, found
    user = orm.User.find(db, name)
    assert len(user.roles) == 2 and [g.name for g in user.groups] == ["group00"]
    assert len(user._orm_spawners) == 1 and len(user.all_shared_with_me) == 4

    def token_lookup():
        t = orm.APIToken.find(db, token)
        assert t is not None

    def user_details():
        u = orm.User.find(db, name)
        roles = [r.name for r in u.roles]
        groups = [g.name for g in u.groups]
        servers = list(u._orm_spawners)
        shares = u.all_shared_with_me
        return u, roles, groups, servers, shares

    def users_page():
        query = db.query(orm.User)
        users = query.order_by(orm.User.id).offset(offset).limit(PAGE).all()
        page = [
            (u, [r.name for r in u.roles], [g.name for g in u.groups], list(u._orm_spawners))
            for u in users
        ]
        total = query.count()
        assert len(page) == PAGE and total > 0

    def users_page_query_only():
        users = db.query(orm.User).order_by(orm.User.id).offset(offset).limit(PAGE).all()
        assert len(users) == PAGE

    results = {}
    for op, fn in [
        ("token_lookup", token_lookup),
        ("user_details", user_details),
        ("users_page_200", users_page),
        ("users_page_200_query_only", users_page_query_only),
    ]:
        ns, iters = time_op(db, fn, seconds)
        bench_id = f"store/{backend}/{op}"
        results[bench_id] = {"median_ns": ns, "iterations": iters}
        log(f"{bench_id}: {ns:,.0f} ns (median of {iters})")
    return results


def sqlite_url(n):
    d = os.path.join(os.environ.get("CARGO_TARGET_DIR") or "target", "store-bench")
    os.makedirs(d, exist_ok=True)
    path = os.path.abspath(os.path.join(d, f"jupyterhub-{n}.sqlite"))
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
    return f"sqlite:///{path}"


def pg_url(base):
    import psycopg2

    conn = psycopg2.connect(base)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS jupyterhub_bench CASCADE")
        cur.execute("CREATE SCHEMA jupyterhub_bench")
    conn.close()
    parts = urllib.parse.urlsplit(base)
    query = urllib.parse.parse_qsl(parts.query)
    query.append(("options", "-csearch_path=jupyterhub_bench"))
    return urllib.parse.urlunsplit(
        ("postgresql+psycopg2", parts.netloc, parts.path, urllib.parse.urlencode(query), "")
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="target/perf/jupyterhub_store.json")
    ap.add_argument("--seconds", type=float, default=3.0, help="time budget per operation")
    args = ap.parse_args()
    if jupyterhub.__version__ != EXPECTED_VERSION:
        print(
            f"warning: jupyterhub {jupyterhub.__version__}, expected {EXPECTED_VERSION}",
            file=sys.stderr,
        )
    n = int(os.environ.get("HUBCAP_BENCH_USERS") or 100_000)
    if n < 1000:
        sys.exit("HUBCAP_BENCH_USERS must be at least 1000")

    def log(msg):
        print(f"jupyterhub_store_timing: {msg}", file=sys.stderr, flush=True)

    operations = {}
    backends = [("sqlite", sqlite_url(n))]
    base = os.environ.get("HUBCAP_TEST_PG_URL")
    if base:
        backends.append(("postgres", pg_url(base)))
    else:
        log("SKIPPING PostgreSQL: HUBCAP_TEST_PG_URL is not set")
    for backend, url in backends:
        db, token, name, offset = build(url, n, log)
        operations.update(bench_backend(backend, db, token, name, offset, args.seconds, log))
        db.close()
    out = {
        "jupyterhub_version": jupyterhub.__version__,
        "sqlalchemy_version": sqlalchemy.__version__,
        "python": platform.python_version(),
        "users": n,
        "tokens": 2 * n,
        "operations": operations,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
