#!/usr/bin/env python3
"""hubcap oracle: conformance-vector generator for JupyterHub's *domain* functions
(roles, API tokens, sharing).

Runs the real ``jupyterhub`` 6.1.1 package in-process against an in-memory SQLite database
and writes one vector file in the format of /work/shared/conformance/FORMAT.md with the
``fn`` values of DOMAIN_FNS (FORMAT.md 5.2, 5.13, 5.16, 5.19-5.29). Its world is the
FORMAT.md section 2 example world plus a few entities (domain_lib.DomainWorld).

Usage (from the repository root):

    .venv/bin/python oracle/generate_domain.py --out crates/conformance/vectors/domain.json
    .venv/bin/python oracle/generate_domain.py --seed-check      # hash-seed independence

Deterministic like generate.py (whose machinery it imports): PYTHONHASHSEED is pinned to 0,
random cases come from random.Random(RANDOM_SEED), JSON keys are written sorted.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import domain_lib as L  # noqa: E402  (imports generate.py: version check, hash seed)
import domain_shares  # noqa: E402
from domain_lib import S, orm, roles, service_desc, user_desc  # noqa: E402

import jupyterhub  # noqa: E402

RANDOM_SEED = 20250602
GENERATOR_NAME = "hubcap oracle/generate_domain.py (domain vectors: roles, tokens, sharing)"

CONVENTIONS = """\
Normalisation (FORMAT.md section 3): sets and frozensets -> lists sorted by Unicode code point; \
lists and tuples keep their order; dicts -> JSON objects; Scope.ALL -> "ALL"; \
True/False/None -> true/false/null (a function returning None has output null). Exceptions -> \
{"error": type(exc).__name__, "message": exc.args[0] if it is a str, "" without args, \
repr(exc.args) otherwise}. Warnings: recorded under warnings.catch_warnings(record=True) + \
simplefilter("always"), every category except DeprecationWarning, as str(message) in emission \
order with ' at 0x...>' replaced by '>'; the key is present only when a warning was recorded. \
Every wrapper-recorded call started with all JupyterHub memoisation caches emptied, so \
recorded warnings are those of a cold process (calls whose warnings would differ from an \
unmemoised run were not recorded). owner: null or {"kind": "user"|"service", "name": N}. \
OAuth client descriptors: null (no client; in get_scopes_for(token): a hub-client token whose \
stored scopes were overwritten), {"spawner": "USER/SERVER"}, {"service": NAME}, \
{"identifier": ID}. Vectors ran in file order in one process against one database starting \
from `world`: Share.grant, Share.revoke and ShareCode.exchange change shares for the rest of \
the file; each ShareCode.new is redeemed by the ShareCode.exchange that follows it; tokens \
do not influence other vectors; roles.create_role ran with commits turned into flushes and \
was rolled back after each call (no later vector sees its roles). Share.revoke input.before = \
[] means no share existed. Keys note/output_format/input.note and top-level \
generator/conventions are informational."""


# --------------------------------------------------------------------------------------
# 5.2 / 5.13 / 5.16: roles
# --------------------------------------------------------------------------------------

ROLE_NAME_QUIRKS = [
    ("abc\n", "Python $ matches before a trailing newline: accepted"),
    ("abc\n\n", None),
    ("\nabc", None),
    ("ab", "too short (3-255)"),
    ("a1", None),
    ("a-1", None),
    ("a" * 255, "255 characters: longest accepted"),
    ("a" * 254 + "-", None),
    ("a" + "-" * 253 + "b", None),
    ("", None),
    ("a", None),
    ("abc-", None),
    ("abc.", None),
    ("a.b", None),
    ("a~b", None),
    ("a_b", None),
    ("a:b", None),
    ("a/b", None),
    ("a!b", None),
    ("a=b", None),
    ("a b", None),
    ("Abc", None),
    ("abC", None),
    ("1abc", None),
    ("-abc", None),
    ("_abc", None),
    ("abc1", None),
    ("ábc", "non-ASCII letter"),
    ("abç", None),
    ("user", "default role names are valid names"),
    ("admin", None),
    ("server", None),
    ("token", None),
    ("group-reader", None),
    ("svc-role", None),
    ("testing_scopes", None),
    ("abc\t", None),
    (" abc", None),
    ("abc ", None),
]


def random_role_name(rng):
    r = rng.random()
    lower = "abcdefghijklmnopqrstuvwxyz"
    middle = lower * 3 + "0123456789-_~."
    if r < 0.45:  # well-formed
        n = rng.choice([1, 1, 2, 3, 5, 8, 12])
        name = rng.choice(lower) + "".join(rng.choice(middle) for _ in range(n)) + rng.choice(lower + "0123456789")
    elif r < 0.85:  # well-formed with one mutation
        n = rng.choice([1, 2, 3, 5, 8])
        chars = list(rng.choice(lower) + "".join(rng.choice(middle) for _ in range(n)) + rng.choice(lower))
        pos = rng.randrange(len(chars))
        bad = rng.choice("ABZ -_~.09!/:=@é\n\t*")
        if rng.random() < 0.5:
            chars[pos] = bad
        else:
            chars.insert(pos, bad)
        name = "".join(chars)
    else:  # lengths around the limits
        length = rng.choice([2, 3, 253, 254, 255, 256, 257])
        name = "a" + "".join(rng.choice(middle) for _ in range(length - 2)) + rng.choice("a1-")
        name = name[:length]
    return name


def role_phase(g):
    rec, rng, db = g.rec, g.rng, g.db

    def default_roles(note=None):
        return rec.call("roles.get_default_roles", None, roles.get_default_roles, note=note, dedup=False)

    default_roles()

    def validate(name, note=None):
        def thunk():
            return roles._validate_role_name(name)

        return rec.call("roles._validate_role_name", name, thunk, note=note)

    validate("abc")
    for row in L.upstream_rows("test_roles.py", "test_valid_names"):
        validate(row["name"], "upstream test_roles.py::test_valid_names")
    for name, note in ROLE_NAME_QUIRKS:
        validate(name, note)
    n = 0
    while n < 140:
        if validate(random_role_name(rng), "random") is not None:
            n += 1

    # ---- create_role: commits become flushes; each call is rolled back -----------------
    def create(role_dict, note=None):
        def thunk():
            try:
                roles.create_role(db, L.copy.deepcopy(role_dict))
            finally:
                # each call starts from the world: a stored role such as scopes="" would
                # break the next create_role of that name (JSON decoding of the column)
                db.rollback()

        return rec.call("roles.create_role", L.keep_order(role_dict), thunk, note=note)

    db.commit = db.flush
    try:
        create({"scopes": ["users"]})
        for row in L.upstream_rows("test_roles.py", "test_creating_roles"):
            create(row["role_def"], f"upstream test_roles.py::test_creating_roles ({row['role']})")
        for row in L.upstream_rows("test_roles.py", "test_scope_existence"):
            create(row["role"], "upstream test_roles.py::test_scope_existence")
        for row in L.upstream_rows("test_roles.py", "test_get_expanded_scopes"):
            create({"name": "testing_scopes", "scopes": row["scopes"]}, "upstream test_roles.py::test_get_expanded_scopes")
        for test in ("test_manage_roles_disallows_role_assignment", "test_manage_roles_allows_using_load_roles"):
            for row in L.upstream_rows("test_roles.py", test):
                create(row["role_spec"], f"upstream test_roles.py::{test}")
        admin = roles.get_default_roles()[1]
        for role_dict, note in [
            ({"name": "user", "scopes": ["self", "shutdown"]}, "upstream test_roles.py::test_user_role_from_config"),
            ({"name": "admin"}, "upstream test_roles.py::test_admin_role_respects_config"),
            ({"name": "test-role", "managed_by_auth": True}, "upstream test_roles.py::test_reset_managed_roles_clears_managed_roles"),
            (
                {"name": "teacher", "description": "Access users information, servers and groups without create/delete privileges", "scopes": ["users", "groups"], "users": ["cyclops", "gandalf"]},
                "upstream test_roles.py::test_load_roles_users",
            ),
            ({"name": "server", "scopes": "inherit"}, "scopes given as a string: iterated per character"),
            ({"name": "server", "scopes": "self"}, None),
            ({"name": "server", "scopes": ""}, "empty string: no scopes, no check"),
            ({"name": "server", "scopes": "users"}, None),
            ({"name": "Server", "scopes": "inherit"}, "the name is checked before the scopes"),
            ({"name": "admin", "scopes": "inherit"}, "admin override is checked before the scopes"),
            ({"name": "admin", "scopes": list(admin["scopes"])}, "the exact default admin scopes: accepted"),
            ({"name": "admin", "scopes": list(reversed(admin["scopes"]))}, "same scopes in another order: an override"),
            ({"name": "admin", "scopes": list(admin["scopes"]) + ["read:hub"]}, None),
            ({"name": "admin", "description": admin["description"]}, None),
            ({"name": "admin", "description": None}, "description None differs from the default"),
            ({"name": "admin", "description": admin["description"], "scopes": admin["scopes"], "users": ["alice"]}, None),
            ({"name": "admin", "scopes": ["nope"]}, "admin check comes before the scope check"),
            ({"name": "admin", "description": "x", "scopes": ["admin:users"]}, "description is checked first"),
            ({"name": "user"}, "existing role, no scopes: reset to []"),
            ({"name": "token", "scopes": ["inherit", "self"]}, None),
            ({"name": "group-reader", "scopes": ["read:groups!group=g1", "list:groups!group"]}, "bare !group is not a valid filter"),
            ({"name": "new-role", "scopes": []}, None),
            ({"name": "new-role", "scopes": None}, None),
            ({"name": "new-role", "description": None}, None),
            ({"name": "new-role", "scopes": ["read:users!user", "read:users!service", "read:users!server"]}, "bare filters are valid in roles"),
            ({"name": "new-role", "scopes": ["read:users!user=", "read:users!group="]}, "empty filter values pass the existence check"),
            ({"name": "new-role", "scopes": ["read:users!"]}, None),
            ({"name": "new-role", "scopes": ["read:users!foo=bar"]}, None),
            ({"name": "new-role", "scopes": ["all"]}, "draft scope all"),
            ({"name": "new-role", "scopes": ["read:users", "nope", "also-nope"]}, "first offending scope"),
            ({"name": "new-role", "scopes": ["self", "inherit", "(no_scope)"]}, None),
            ({"name": "new-role", "scopes": ["custom:okay"]}, "custom scopes are not defined here"),
            ({"name": "ab", "scopes": ["nope"]}, "invalid name reported before unknown scopes"),
            ({"name": "new-role", "description": "x", "extra": {"a": 1}, "groups": ["g1"], "services": ["svc"]}, "extra keys are ignored"),
            ({"description": "no name", "scopes": ["nope"]}, None),
            ({}, None),
        ]:
            create(role_dict, note)
        default_roles("a constant: unaffected by the create_role calls above")
        n = 0
        while n < 160:
            if create(random_role_dict(g), "random") is not None:
                n += 1
    finally:
        del db.commit
        db.rollback()
    db.expire_all()
    assert g.w.describe() == g.world_obj, "create_role vectors were not rolled back"


def random_role_dict(g):
    rng = g.rng
    d = {}
    r = rng.random()
    if r < 0.08:
        pass  # no name
    elif r < 0.22:
        d["name"] = random_role_name(rng)
    elif r < 0.4:
        d["name"] = rng.choice(sorted(g.world_obj["roles"]))
    else:
        d["name"] = rng.choice(["new-role", "reader", "role-x", "poster.v2", "a~b", "tpl"]) + rng.choice(["", "", "1", "-z"])
    r = rng.random()
    if r < 0.2:
        pass
    elif r < 0.3:
        d["description"] = None
    else:
        d["description"] = rng.choice(["Some description", "", "Elevated privileges (can do anything)", "x"])
    r = rng.random()
    if r < 0.1:
        pass
    elif r < 0.14:
        d["scopes"] = None
    elif r < 0.2:
        d["scopes"] = []
    elif r < 0.3:
        d["scopes"] = rng.choice(["inherit", "self", "read:users", "users", "", "(no_scope)", "x"])
    else:
        sc = [L.rand_raw(rng, p_meta=0.1) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.25:
            sc.insert(rng.randint(0, len(sc)), rng.choice(L.BAD_SCOPES + ["users!goup=class-A", "read:users!group", "read:users!"]))
        d["scopes"] = sc
    for key, values in [
        ("users", [["alice"], [], ["nobody"]]),
        ("groups", [["g1"], []]),
        ("services", [["svc"]]),
        ("managed_by_auth", [True, False]),
        ("unknown-key", ["x"]),
    ]:
        if rng.random() < 0.06:
            d[key] = rng.choice(values)
    return d


# --------------------------------------------------------------------------------------
# 5.19 / 5.28 / 5.20 / 5.21: scopes of users, services and tokens
# --------------------------------------------------------------------------------------


def sweep(g, note=None):
    first = [user_desc("alice")] + [o for o in g.owners if o != user_desc("alice")]
    for owner in first:
        g.gsf(owner, note)


def random_request(g, owner, allow_bad=True):
    """A random list of raw scopes to request for a token of `owner`."""
    rng = g.rng
    held = g.owner_scopes(owner)
    r = rng.random()
    if r < 0.2 and held:
        req = rng.sample(held, min(len(held), rng.randint(1, 4)))
        label = "subset of owner scopes"
    elif r < 0.32 and held:
        req = rng.sample(held, min(len(held), rng.randint(1, 3))) + [L.rand_raw(rng) for _ in range(rng.randint(1, 2))]
        label = "owner scopes plus random"
    elif r < 0.42 and held:
        req = [L.narrow(rng, rng.choice(held)) for _ in range(rng.randint(1, 3))]
        label = "narrowed owner scopes"
    elif r < 0.52 and held:
        req = [L.widen(rng, rng.choice(held)) for _ in range(rng.randint(1, 2))]
        label = "widened owner scopes"
    elif r < 0.58:
        raw = g.w.raw_role_scopes(owner)
        req = rng.sample(raw, len(raw)) if raw else ["self"]
        label = "owner's raw role scopes"
    elif r < 0.65:
        req = ["inherit"] + [L.rand_raw(rng) for _ in range(rng.randint(0, 2))]
        label = "inherit and more"
    elif r < 0.68:
        req = []
        label = "empty"
    else:
        req = [L.rand_raw(rng, p_meta=0.12) for _ in range(rng.randint(1, 4))]
        label = "random raw scopes"
    if allow_bad and rng.random() < 0.08:
        req.insert(rng.randint(0, len(req)), rng.choice(L.BAD_SCOPES))
        label += " + one bad scope"
    out = []
    for s in req:
        if s not in out:
            out.append(s)
    return out, label


def pick_owner(g, weights=None):
    rng = g.rng
    if weights and rng.random() < 0.5:
        return user_desc(rng.choice(weights))
    return rng.choice(g.owners)


def pick_client(g):
    return g.rng.choice([None, None, None, {"identifier": "jupyterhub"}, {"spawner": "alice/x"}, {"spawner": "bob/"}, {"service": "svc"}])


def random_token_args(g, owner):
    rng = g.rng
    r = rng.random()
    if r < 0.72:
        req, label = random_request(g, owner)
        args = {"scopes": req}
    elif r < 0.86:
        names = sorted(g.world_obj["roles"]) + ["nope"]
        args = {"roles": rng.sample(names, rng.randint(0, 2))}
        label = "roles"
    elif r < 0.92:
        args, label = {}, "default"
    else:
        req, _ = random_request(g, owner, allow_bad=False)
        args = {"scopes": req, "roles": ["user"]}
        label = "scopes and roles"
    if rng.random() < 0.35:
        args["oauth_client"] = rng.choice([{"identifier": "jupyterhub"}, {"spawner": "alice/x"}, {"spawner": "bob/"}, {"service": "svc"}])
    if rng.random() < 0.08:
        args["expires_in"] = rng.choice([3600, 60, 1, 0, -5, 0.5, 31536000, 1.9])
    return args, "random: " + label


def token_phase(g, n_check, n_tokens, n_stored, weights=None, label=""):
    """Curated cases are run by the caller; this adds random ones."""
    rng = g.rng
    n = 0
    while n < n_check:
        owner = pick_owner(g, weights)
        req, what = random_request(g, owner)
        if g.check_token(req, owner, pick_client(g), note=f"random{label}: {what}", strict=False) is not None:
            n += 1
    n = 0
    while n < n_tokens:
        owner = pick_owner(g, weights)
        args, what = random_token_args(g, owner)
        if g.token(owner, args, what + label, strict=False) is not None:
            n += 1
    n = 0
    while n < n_stored:
        owner = pick_owner(g, weights)
        req, what = random_request(g, owner)
        if rng.random() < 0.5:
            req = req + [L.widen(rng, rng.choice(g.owner_scopes(owner) or ["read:users"]))]
        req = list(dict.fromkeys(req))
        if L.bad_scope_count(req) > 1:
            continue
        if g.stored_token(owner, req, f"random{label}: stored scopes overwritten ({what})", strict=False) is not None:
            n += 1


def curated_tokens_before_shares(g):
    alice, bob, carol, dave, erin = (user_desc(n) for n in ("alice", "bob", "carol", "dave", "erin"))
    frank, gina = user_desc("frank"), user_desc("gina")
    svc, svc2, svc3 = service_desc("svc"), service_desc("svc2"), service_desc("svc3")
    hub = {"identifier": "jupyterhub"}
    ax, bobc, svcc = {"spawner": "alice/x"}, {"spawner": "bob/"}, {"service": "svc"}

    # ---- _check_token_scopes ----------------------------------------------------------
    g.check_token(["read:users!user"], alice, None)
    for row in L.upstream_rows("test_roles.py", "test_get_new_token_via_api"):
        if row["scopes"] is not None:
            g.check_token(row["scopes"], alice, None, f"upstream test_roles.py::test_get_new_token_via_api (role {row['rolename']}), for alice")
    for row in L.upstream_rows("test_roles.py", "test_user_filter_expansion"):
        for owner in (alice, frank, user_desc("tp1")):
            g.check_token(row["scope_list"], owner, None, "upstream test_roles.py::test_user_filter_expansion (scope_list requested)")
    curated = [
        (["inherit"], alice, None, "inherit alone: nothing to check"),
        ([], erin, None, None),
        (["inherit", "read:hub"], alice, None, "inherit is discarded, the rest is checked"),
        (["inherit", "self"], svc, None, None),
        (["(no_scope)"], alice, None, "(no_scope) survives expansion and is not held"),
        (["self"], alice, None, None),
        (["self"], svc, None, "self for a service: dropped with a warning, nothing left to check"),
        (["self"], erin, None, "erin holds no role"),
        (["read:users!user"], svc, None, "bare !user for a service: dropped"),
        (["read:users:name!user"], erin, None, None),
        (["read:services:name!service"], svc, None, "a service does not hold its own identify scope"),
        (["access:services!service"], svc, None, None),
        (["access:services!service"], svc2, svcc, "the client's service wins over the owner"),
        (["access:services!service"], svc2, None, None),
        (["access:servers!server"], alice, ax, "!server from the spawner client"),
        (["access:servers!server"], bob, ax, None),
        (["access:servers!server"], alice, None, "no spawner client: dropped with a warning"),
        (["access:servers!server"], alice, hub, None),
        (["read:groups!group=g1"], alice, None, "held through group g1's role"),
        (["read:groups!group=g1"], bob, None, None),
        (["read:groups"], alice, None, None),
        (["read:groups!group=g2"], alice, None, None),
        (["read:users!user=dave"], alice, None, None),
        (["read:users!group=g1"], alice, None, None),
        (["admin:users"], carol, None, "admin"),
        (["admin:users!user=alice", "shutdown"], carol, None, None),
        (["admin:users"], alice, None, None),
        (["read:users:activity!user=dave"], svc, None, "svc has read:users:activity"),
        (["servers!user=alice"], svc3, None, "svc3 has servers!group=g1 (alice in g1)"),
        (["servers!server=dave/y"], svc3, None, None),
        (["servers!user=bob"], svc3, None, None),
        (["tokens!user=alice"], svc3, None, None),
        (["shares!server=bob/"], svc3, None, None),
        (["users:activity!user"], frank, None, "group role with bare !user resolves to the member"),
        (["access:services!service"], frank, None, "group role's bare !service: dropped for a user"),
        (["read:users:name!group=g4"], gina, None, None),
        (["read:users:name!user=frank"], gina, None, "group filter covers a member"),
        (["read:servers!server=gina/"], gina, None, None),
        (["read:servers!server=gina/x"], gina, None, None),
        (["nope"], alice, None, "no existence check here: KeyError from expansion"),
        (["read:users", "nope"], erin, None, None),
        (["read:users:name!group"], alice, None, "bare !group breaks parsing"),
        (["read:users:name!user="], alice, None, None),
        (["read:hub!foo=bar"], alice, None, None),
        (["read:users!user=alice"], alice, {"spawner": "bob/"}, None),
    ]
    for req, owner, client, note in curated:
        g.check_token(req, owner, client, note)
    for name, sc in g.w.tp_users:
        g.check_token(sc, user_desc(name), None, "upstream owner scopes (test_resolve_token_permissions)")

    # ---- tokens ---------------------------------------------------------------------
    default_note = "default (token role -> ['inherit'])"
    g.token(alice, {}, default_note)
    g.token(alice, {"scopes": ["read:hub"]}, None)
    for owner in g.owners:
        g.token(owner, {}, default_note)
    for row in L.upstream_rows("test_roles.py", "test_get_new_token_via_api"):
        if row["rolename"] is None:
            args = {}
        elif row["rolename"] == "non-existing":
            args = {"roles": [row["rolename"]]}
        else:
            args = {"scopes": row["scopes"]}
        g.token(alice, args, f"upstream test_roles.py::test_get_new_token_via_api (role {row['rolename']} requested as its scopes)")
    for row in L.upstream_rows("test_scopes.py", "test_resolve_token_permissions"):
        owner_sc = [L.tp_sub(s) for s in row["user_scopes"]]
        name = next(n for n, sc in g.w.tp_users if sc == owner_sc)
        stored = [L.tp_sub(s) for s in row["token_scopes"]]
        g.stored_token(user_desc(name), stored, f"upstream test_scopes.py::test_resolve_token_permissions[{row['name']}] ({L.TP_NOTE})")
    curated_tokens = [
        (alice, {"scopes": ["inherit"]}, "upstream test_scopes.py::test_metascope_inherit_expansion"),
        (alice, {"roles": ["server"]}, "server role without a spawner client: !server dropped"),
        (alice, {"roles": ["server"], "oauth_client": ax}, "server role with the alice/x client"),
        (bob, {"roles": ["server"], "oauth_client": bobc}, None),
        (bob, {"roles": ["server"], "oauth_client": ax}, "another user's server client"),
        (alice, {"roles": ["user"]}, None),
        (svc, {"roles": ["user"]}, "self for a service"),
        (alice, {"roles": ["admin"]}, None),
        (carol, {"roles": ["admin"]}, None),
        (alice, {"roles": ["token"]}, None),
        (alice, {"roles": []}, "no roles: no scopes but identify"),
        (alice, {"roles": ["nope"]}, None),
        (alice, {"roles": ["user", "nope"]}, None),
        (alice, {"roles": ["group-reader"]}, "role held through a group"),
        (bob, {"roles": ["group-reader"]}, None),
        (svc, {"roles": ["svc-role"]}, None),
        (frank, {"roles": ["member-role"]}, None),
        (alice, {"scopes": ["read:users!user"], "roles": ["user"]}, "scopes and roles"),
        (alice, {"scopes": [], "roles": []}, None),
        (alice, {"scopes": []}, "identify scopes only"),
        (erin, {"scopes": []}, "erin holds no role: not even identify"),
        (svc2, {"scopes": []}, None),
        (alice, {"scopes": [], "oauth_client": ax}, "own server client: identify + access"),
        (bob, {"scopes": [], "oauth_client": ax}, "other user's server client: access dropped"),
        (alice, {"oauth_client": ax}, "inherit short-circuit: no access scope added"),
        (svc, {"scopes": [], "oauth_client": svcc}, None),
        (svc2, {"scopes": [], "oauth_client": svcc}, None),
        (svc2, {"scopes": ["access:services!service"], "oauth_client": svcc}, None),
        (svc, {"scopes": ["access:services!service"], "oauth_client": svcc}, None),
        (svc, {"scopes": ["access:services!service"], "oauth_client": ax}, None),
        (alice, {"scopes": ["access:servers!server"], "oauth_client": ax}, None),
        (alice, {"scopes": ["access:servers!server"]}, "!server dropped at creation: token holds nothing of it"),
        (alice, {"scopes": ["read:users!user"], "expires_in": 3600}, None),
        (alice, {"scopes": ["read:users!user"], "expires_in": 0}, None),
        (alice, {"scopes": ["read:users!user"], "expires_in": -5}, None),
        (alice, {"scopes": ["read:users!user"], "expires_in": 0.5}, "int(0.5) = 0"),
        (alice, {"scopes": ["read:hub"], "expires_in": 0}, "scope check comes before expires_in"),
        (alice, {"scopes": ["nope"]}, None),
        (alice, {"scopes": ["all"]}, None),
        (alice, {"scopes": ["read:users!group"]}, None),
        (alice, {"scopes": ["read:users:name!user="]}, "passes the existence check, breaks parsing"),
        (alice, {"scopes": ["read:users", "nope"]}, "existence is checked before ownership"),
        (alice, {"scopes": ["(no_scope)"]}, None),
        (alice, {"scopes": ["self", "inherit"]}, None),
        (alice, {"scopes": ["read:groups!group=g1"]}, None),
        (dave, {"scopes": ["read:groups:name!group=g1", "read:users!user=dave"]}, None),
        (carol, {"scopes": ["admin:users", "read:users!user"]}, None),
        (frank, {"scopes": ["users:activity!user", "read:servers!server=frank/"]}, None),
        (gina, {}, "gina: group roles only"),
        (gina, {"scopes": ["read:users:name!user=frank"]}, None),
        (svc3, {"scopes": ["servers!user=alice", "read:users!user"]}, None),
        (svc3, {"scopes": ["tokens!user=alice"], "oauth_client": svcc}, None),
    ]
    for owner, args, note in curated_tokens:
        g.token(owner, args, note or "curated")
    stored = [
        (alice, ["read:users!user", "list:users", "admin:users"], "stored scopes exceed the owner (jupyterhub-rbac.md 4.5)"),
        (alice, [], "upstream test_scopes.py::test_metascope_inherit_expansion (token.scopes = [])"),
        (bob, [], None),
        (erin, ["inherit"], None),
        (erin, ["read:users:name!user"], None),
        (bob, ["admin:users"], None),
        (bob, ["inherit", "admin:users"], "inherit short-circuits"),
        (svc, ["self", "read:users!user"], None),
        (svc, ["access:services!service"], "hub client: !service resolves to the owner"),
        (svc2, ["access:services!service"], None),
        (gina, ["read:users:name!group=g4", "servers!user"], None),
        (frank, ["access:servers!server", "users:activity!user"], None),
        (alice, ["nope"], "unknown stored scope"),
        (alice, ["read:users:name!user="], "empty filter value stored"),
        (carol, ["read:users!user=a=b", "read:users!user=alice"], None),
    ]
    for owner, sc, note in stored:
        g.stored_token(owner, sc, note or "curated: stored scopes overwritten")


# --------------------------------------------------------------------------------------
# 5.29: _resolve_requested_scopes
# --------------------------------------------------------------------------------------


def resolve_phase(g):
    rng = g.rng
    g.resolve(
        ["access:servers!server=alice/", "users:activity!user"],
        ["inherit", "list:groups!group=g1", "read:groups!group=g1", "self"],
        "alice",
        {"identifier": "jupyterhub"},
    )
    for row in L.upstream_rows("test_scopes.py", "test_resolve_requested_scopes"):
        fmt = {"service": "svc", "server": "alice/x", "user": "alice"}
        req = [s.format(**fmt) for s in row["requested_scopes"]]
        have = [s.format(**fmt) for s in row["have_scopes"]]
        client = {"spawner": "alice/x"} if "!server" in str(req + have) else {"service": "svc"}
        g.resolve(req, have, "alice", client, "upstream test_scopes.py::test_resolve_requested_scopes (user->alice, server->alice/x, service->svc)")
    hub, ax = {"identifier": "jupyterhub"}, {"spawner": "alice/x"}
    curated = [
        (["read:users"], ["self"], "alice", hub, "partial: expanded intersection added, raw scope stays disallowed"),
        (["read:users"], ["self"], "alice", ax, None),
        (["servers!server"], ["self"], "alice", ax, None),
        (["servers!server"], ["self"], "bob", ax, None),
        (["servers!server"], ["self"], "alice", hub, None),
        (["read:users!server=alice/x"], ["self"], "alice", hub, "expands to nothing: reported allowed"),
        (["read:servers!server=alice/x", "read:users!server=bob/"], [], "alice", ax, None),
        (["inherit"], ["inherit", "self"], "alice", hub, None),
        (["inherit", "read:hub"], ["self"], "alice", hub, None),
        (["self"], ["self"], "alice", hub, None),
        (["self"], ["read:users!user"], "alice", hub, None),
        (["read:users!user"], ["self"], "alice", hub, None),
        (["access:services!service"], ["access:services"], "alice", hub, "!service without target: dropped with warnings"),
        (["access:services!service"], ["access:services"], "alice", {"service": "svc"}, None),
        (["read:users:name!user=dave"], ["read:users!group=g1"], "alice", hub, "group resolved with the db"),
        (["read:users:name!user=bob"], ["read:users!group=g1"], "alice", hub, None),
        (["read:servers!server=dave/"], ["read:servers!group=g1"], "alice", hub, None),
        (["nope"], ["self"], "alice", hub, "unknown requested scope"),
        (["nope"], ["nope"], "alice", hub, "raw intersection first: no expansion"),
        (["users:activity!user", "access:servers!server=alice/x"], ["self", "inherit", "read:groups!group=g1", "list:groups!group=g1"], "alice", hub, "server-token flow"),
        (["users:activity!user", "access:servers!server"], ["self", "inherit"], "bob", {"spawner": "bob/"}, "server-token flow"),
        ([], ["self"], "alice", hub, None),
        (["read:users"], [], "alice", hub, None),
        (["(no_scope)"], ["self"], "alice", hub, None),
        (["read:users:name!user", "read:users:groups!user"], ["self"], "erin", hub, "identify scopes (raw)"),
    ]
    for req, have, user, client, note in curated:
        # some of these repeat an expansion that warns (e.g. servers!server with the hub's
        # client): JupyterHub warns once from its cache, so they are not recorded
        g.resolve(req, have, user, client, note, strict=False)
    users = g.user_names
    n = 0
    while n < 190:
        user = rng.choice(users)
        client = rng.choice([{"identifier": "jupyterhub"}, {"spawner": "alice/x"}, {"spawner": "bob/"}, {"service": "svc"}])
        r = rng.random()
        if r < 0.4:
            have = g.w.raw_role_scopes(user_desc(user)) + ["inherit"]
            what = "have = raw role scopes + inherit"
        elif r < 0.55:
            have = ["self"]
            what = "have = self"
        else:
            have = [L.rand_raw(rng) for _ in range(rng.randint(0, 4))]
            what = "random have"
        req = [L.rand_raw(rng, p_meta=0.08) for _ in range(rng.randint(1, 4))]
        if have and rng.random() < 0.3:
            req.append(rng.choice(have))
        if rng.random() < 0.05:
            req.append(rng.choice(L.BAD_SCOPES))
        if L.bad_scope_count(req + have) > 1:
            continue
        if g.resolve(req, have, user, client, f"random: {what}", strict=False) is not None:
            n += 1


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


def generate():
    g = L.Gen(RANDOM_SEED)
    role_phase(g)
    sweep(g)
    curated_tokens_before_shares(g)
    token_phase(g, n_check=150, n_tokens=200, n_stored=40)
    resolve_phase(g)
    domain_shares.apply_filter_phase(g)
    domain_shares.scripted_shares(g)
    domain_shares.example_code(g)
    domain_shares.curated_after_shares(g)
    domain_shares.random_share_ops(g, 140)
    domain_shares.share_codes(g, 36)
    sweep(g, "after the share vectors")
    token_phase(g, n_check=110, n_tokens=150, n_stored=30, weights=domain_shares.RECIPIENT_USERS, label=" (with shares)")
    for sp, sw in g.existing_shares():
        g.ess(sp, sw, "final state")
    domain_shares.final_quirks(g)
    sweep(g, "final state")
    return g


def write(path, g):
    doc = L.KeepOrder(
        [
            ("generator", GENERATOR_NAME),
            ("jupyterhub_version", jupyterhub.__version__),
            ("conventions", CONVENTIONS),
            ("world", L.canon(g.world_obj)),
            ("vectors", [L.canon(v) for v in g.rec.vectors]),
        ]
    )
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return len(text.encode("utf-8"))


def _comparable(vec):
    """A vector with the parts that legitimately depend on the hash seed normalised."""
    v = json.loads(json.dumps(vec))
    if "warnings" in v:
        v["warnings"] = sorted(v["warnings"])
    out = v.get("output")
    if L.is_error_object(out) and out["message"].startswith("Not assigning requested scopes "):
        head, _, rest = out["message"][len("Not assigning requested scopes "):].partition(" not held by ")
        out["message"] = ",".join(sorted(head.split(","))) + " not held by " + rest
    if v["fn"] == "get_scopes_for(token)":
        v["input"]["token_scopes"] = sorted(v["input"]["token_scopes"])
    return v


def seed_check(seeds):
    """Run the generator under other hash seeds and compare with seed 0 (modulo the
    approximations of FORMAT.md section 6 and the stored order of roles= tokens)."""
    here = os.path.abspath(__file__)
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in ["0"] + [str(s) for s in seeds]:
            out = os.path.join(tmp, f"seed{seed}.json")
            env = dict(os.environ, PYTHONHASHSEED=seed, HUBCAP_ORACLE_KEEP_HASH_SEED="1")
            subprocess.run([sys.executable, here, "--out", out], env=env, check=True, stderr=subprocess.DEVNULL)
            with open(out, encoding="utf-8") as f:
                files[seed] = json.load(f)
    base = [_comparable(v) for v in files["0"]["vectors"]]
    bad = 0
    for seed, doc in files.items():
        other = [_comparable(v) for v in doc["vectors"]]
        if len(other) != len(base):
            print(f"seed {seed}: {len(other)} vectors, seed 0: {len(base)}", file=sys.stderr)
            bad += 1
            continue
        for i, (a, b) in enumerate(zip(base, other)):
            if a != b:
                bad += 1
                print(f"seed {seed}: vector {i} ({a['fn']}) differs:\n  {json.dumps(a)[:600]}\n  {json.dumps(b)[:600]}", file=sys.stderr)
    print(f"seed check over seeds 0,{','.join(map(str, seeds))}: {bad} difference(s)", file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="path of the vector file to write")
    ap.add_argument("--seed-check", action="store_true", help="compare runs under PYTHONHASHSEED 0,1,2,3 instead of writing")
    opts = ap.parse_args()
    if opts.seed_check:
        sys.exit(seed_check([1, 2, 3]))
    if not opts.out:
        ap.error("--out is required")
    t0 = time.monotonic()
    g = generate()
    size = write(opts.out, g)
    counts = {}
    for v in g.rec.vectors:
        counts[v["fn"]] = counts.get(v["fn"], 0) + 1
    print(f"wrote {len(g.rec.vectors)} vectors to {opts.out} ({size} bytes) in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    for fn in L.DOMAIN_FNS:
        print(f"  {fn}: {counts.get(fn, 0)}", file=sys.stderr)
    for what, k in sorted(g.rec.skipped.items()):
        print(f"  (not recorded: {k} x {what})", file=sys.stderr)


if __name__ == "__main__":
    main()
