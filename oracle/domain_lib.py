"""Shared machinery of generate_domain.py: the extended world, the recorder with cold caches,
upstream parametrize extraction and the pools random cases are drawn from.

Importing this module imports generate.py, which checks the jupyterhub version and pins
PYTHONHASHSEED=0 (re-executing the running script if needed).
"""

import ast
import collections
import copy
import inspect
import itertools
import json
import os
import random
import re
import warnings

import generate as G  # noqa: E402  (version check + hash seed pin happen here)
from generate import (  # noqa: F401
    KeepOrder,
    Recorder,
    canon,
    clean_warning,
    error_object,
    is_error_object,
    keep_order,
    norm,
)

import jupyterhub  # noqa: E402
import jupyterhub._memoize  # noqa: E402
from jupyterhub import orm, roles, scopes  # noqa: E402

S = scopes
TESTS_DIR = os.path.join(os.path.dirname(jupyterhub.__file__), "tests")

DOMAIN_FNS = (
    "roles.get_default_roles",
    "roles._validate_role_name",
    "roles.create_role",
    "get_scopes_for",
    "get_scopes_for(token)",
    "APIToken.new",
    "Share.grant",
    "expand_share_scopes",
    "Share.apply_filter",
    "Share.revoke",
    "ShareCode.new",
    "ShareCode.exchange",
    "_check_token_scopes",
    "_resolve_requested_scopes",
)

DOMAIN_ERRORS = {"KeyError", "ValueError", "ScopeNotFound", "InvalidNameError", "RoleValueError"}


class Skip(Exception):
    """A case whose recording would not be reproducible by a runner (see the README)."""


# --------------------------------------------------------------------------------------
# upstream parametrize data, from any test module of the installed package
# --------------------------------------------------------------------------------------


def _literal(node):
    """Evaluate a parametrize literal: constants, containers, `"a" * 256`, `-1`, bare names
    (as their text, e.g. KeyError) and pytest.param(value, id=...) (as value)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.Set):
        return {_literal(e) for e in node.elts}
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
        a, b = _literal(node.left), _literal(node.right)
        return a * b if isinstance(node.op, ast.Mult) else a + b
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "param":
            vals = [_literal(a) for a in node.args]
            return vals[0] if len(vals) == 1 else tuple(vals)
        if isinstance(func, ast.Name) and func.id == "set" and not node.args:
            return set()
    raise ValueError(f"unsupported parametrize literal: {ast.dump(node)}")


def upstream_rows(module, test_name):
    """Rows (dicts) of the @parametrize decorator of jupyterhub/tests/<module>::<test_name>."""
    with open(os.path.join(TESTS_DIR, module), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == test_name:
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "attr", None) == "parametrize":
                    names = [n.strip() for n in _literal(dec.args[0]).split(",")]
                    rows = []
                    for v in _literal(dec.args[1]):
                        rows.append({names[0]: v} if len(names) == 1 else dict(zip(names, v)))
                    return rows
    raise KeyError(f"{module}::{test_name}")


# --------------------------------------------------------------------------------------
# the world: FORMAT.md section 2 example world plus a few entities
# --------------------------------------------------------------------------------------

# upstream test_scopes.py::test_resolve_token_permissions uses placeholder names
TP_SUB = {"user": {"x": "alice", "y": "bob"}, "group": {"x": "g1", "y": "g2", "z": "g3"}, "server": {"x": "alice/x"}}
TP_NOTE = "x->alice/g1/alice/x, y->bob/g2, z->g3 by filter kind"


def tp_sub(scope):
    base, bang, filt = scope.partition("!")
    kind, eq, val = filt.partition("=")
    if eq and val in TP_SUB.get(kind, {}):
        val = TP_SUB[kind][val]
    return base + bang + kind + eq + val


def tp_owner_scopes():
    """Distinct owner role scopes of upstream test_resolve_token_permissions, in row order."""
    out = []
    for row in upstream_rows("test_scopes.py", "test_resolve_token_permissions"):
        s = [tp_sub(x) for x in row["user_scopes"]]
        if s not in out:
            out.append(s)
    return out


class DomainWorld(G.World):
    """The FORMAT.md section 2 example world (generate.World), plus:

    - group g4 (frank, gina) holding role member-role, whose bare !user/!server/!service
      filters resolve per member (or are dropped with warnings);
    - frank (user role, in g4), gina (no role of her own, in g2 and g4);
    - service svc3 (role svc3-role, with a bare !user filter a service cannot resolve);
    - users tp1..tpN, each holding exactly one role tpN-role with the owner scopes of one row
      of upstream test_scopes.py::test_resolve_token_permissions;
    - servers carol/ and frank/, and OAuth client jupyterhub-user-bob of server bob/.
    """

    def __init__(self):
        super().__init__()
        db = self.db
        roles.create_role(
            db,
            {
                "name": "member-role",
                "description": "role of group g4",
                "scopes": [
                    "users:activity!user",
                    "read:servers!user",
                    "access:servers!server",
                    "access:services!service",
                    "read:users:name!group=g4",
                ],
            },
        )
        roles.create_role(
            db,
            {
                "name": "svc3-role",
                "description": "role of service svc3",
                "scopes": [
                    "users",
                    "servers!group=g1",
                    "access:services!service",
                    "read:services!service",
                    "tokens!user=alice",
                    "read:users!user",
                    "shares!server=bob/",
                ],
            },
        )
        self.tp_users = []
        for i, sc in enumerate(tp_owner_scopes(), 1):
            roles.create_role(db, {"name": f"tp{i}-role", "description": "upstream owner scopes", "scopes": sc})
            u = orm.User(name=f"tp{i}", admin=False)
            db.add(u)
            self.tp_users.append((f"tp{i}", sc))
        frank = orm.User(name="frank", admin=False)
        gina = orm.User(name="gina", admin=False)
        db.add(frank)
        db.add(gina)
        db.commit()
        for name, _ in self.tp_users:
            roles.grant_role(db, self.user(name), rolename=f"{name}-role")
        roles.assign_default_roles(db, frank)
        g4 = orm.Group(name="g4")
        db.add(g4)
        g4.users.append(frank)
        g4.users.append(gina)
        g2 = self.group("g2")  # keep a strong reference: the session only holds weak ones
        g2.users.append(gina)
        db.commit()
        roles.grant_role(db, g4, rolename="member-role")
        svc3 = orm.Service(name="svc3")
        db.add(svc3)
        db.commit()
        roles.grant_role(db, svc3, rolename="svc3-role")
        for uname, sname in [("carol", ""), ("frank", "")]:
            owner = self.user(uname)
            db.add(orm.Spawner(user=owner, name=sname))
        db.commit()
        bob_client = orm.OAuthClient(identifier="jupyterhub-user-bob", description="Server at /user/bob/")
        db.add(bob_client)
        bob_spawner = self.spawner("bob/")
        bob_spawner.oauth_client = bob_client
        db.commit()

        # strong references to every world object: lookups by name then need no query (the
        # objects stay in the session's identity map and reload expired attributes lazily)
        self._objects = {}
        for cls, kind in ((orm.User, "user"), (orm.Group, "group"), (orm.Service, "service")):
            for obj in db.query(cls):
                self._objects[kind, obj.name] = obj
        for sp in db.query(orm.Spawner):
            self._objects["spawner", f"{sp.user.name}/{sp.name}"] = sp

    def user(self, name):
        if "_objects" not in vars(self):  # still building the world
            return super().user(name)
        return self._objects["user", name]

    def group(self, name):
        if "_objects" not in vars(self):  # still building the world
            return super().group(name)
        return self._objects["group", name]

    def service(self, name):
        if "_objects" not in vars(self):  # still building the world
            return super().service(name)
        return self._objects["service", name]

    def spawner(self, ref):
        if "_objects" not in vars(self):  # still building the world
            return super().spawner(ref)
        return self._objects["spawner", ref]

    def share_with(self, ref):
        kind, _, name = ref.partition(":")
        return {"user": self.user, "group": self.group}[kind](name)

    def find_share(self, spawner_ref, share_with_ref):
        return orm.Share.find(self.db, self.spawner(spawner_ref), self.share_with(share_with_ref))

    @staticmethod
    def client_desc(client):
        if client.spawner is not None:
            return {"spawner": f"{client.spawner.user.name}/{client.spawner.name}"}
        if client.service is not None:
            return {"service": client.service.name}
        return {"identifier": client.identifier}

    def raw_role_scopes(self, owner_desc):
        """Sorted raw scopes of the owner's roles (with its groups' roles for users)."""
        return sorted(roles.roles_to_scopes(roles.get_roles_for(self.owner(owner_desc))))


# --------------------------------------------------------------------------------------
# cold caches: every wrapper-recorded domain call starts with empty JupyterHub caches
# --------------------------------------------------------------------------------------

_LRU_KEY_FUNCS = (
    S.expand_scopes,
    S.parse_scopes,
    S.unparse_scopes,
    S.reduce_scopes,
    S._intersect_expanded_scopes,
    S.has_scope,
    S.identify_scopes,
    S.access_scopes,
    S.check_scope_filter,
    S.describe_raw_scopes,
)


def _lru_key_cache(func):
    for cell in func.__closure__ or ():
        if isinstance(cell.cell_contents, jupyterhub._memoize.LRUCache):
            return cell.cell_contents
    raise AssertionError(f"no LRUCache in {func.__name__}")


_CACHES = [_lru_key_cache(f) for f in _LRU_KEY_FUNCS]


def clear_caches():
    for c in _CACHES:
        c._cache.clear()
    S._expand_scope.cache_clear()
    S._expand_self_scope.cache_clear()
    orm._Share._apply_filter.cache_clear()


def run_captured(thunk, uncached_expand=False):
    """(normalised output or error object, [warning texts]) of thunk, starting from cold
    caches. With uncached_expand, expand_scopes is replaced by its undecorated function for
    the call, so that every expansion warns (what a non-memoising implementation emits)."""
    clear_caches()
    saved = S.expand_scopes
    if uncached_expand:
        S.expand_scopes = saved.__wrapped__
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                output = norm(thunk())
            except Exception as e:  # noqa: BLE001 - recorded as an error object
                output = error_object(e)
    finally:
        S.expand_scopes = saved
    warns = [clean_warning(str(w.message)) for w in caught if not issubclass(w.category, DeprecationWarning)]
    return output, warns


class DomainRecorder(Recorder):
    def __init__(self, world):
        super().__init__(world)
        self.skipped = collections.Counter()

    def _append(self, vec):
        assert vec["fn"] in DOMAIN_FNS, vec["fn"]
        if is_error_object(vec["output"]):
            assert vec["output"]["error"] in DOMAIN_ERRORS, vec
        self.vectors.append(vec)
        return vec

    def seen(self, *key):
        """True if this dedup key was used before (and remember it)."""
        k = json.dumps(key, sort_keys=True, ensure_ascii=False, default=str)
        if k in self.keys:
            return True
        self.keys.add(k)
        return False

    def cold(self, fn, input, thunk, owner=None, note=None, strict=True, **extra):
        """Record thunk from cold caches. The warnings JupyterHub emitted (memoised inner calls,
        caches emptied first) must equal, as a multiset, the warnings of the same call with an
        unmemoised expand_scopes; otherwise an expansion was repeated within the call and its
        warning appeared once, which a runner could not reproduce: the case is skipped
        (strict=False) or the generator stops (strict=True, curated cases)."""
        output, warns = run_captured(thunk)
        ref_output, ref_warns = run_captured(thunk, uncached_expand=True)
        if ref_output != output:
            raise AssertionError(f"memoisation artefact in {fn} {input!r}: {output!r} vs {ref_output!r}")
        if collections.Counter(warns) != collections.Counter(ref_warns):
            if strict:
                raise AssertionError(f"repeated expansion warning in {fn} {input!r}: {warns} vs {ref_warns}")
            self.skipped[fn + " (repeated expansion warning)"] += 1
            return None
        vec = {"fn": fn, "input": input, "owner": owner, "output": output}
        vec.update(extra)
        if warns:
            vec["warnings"] = warns
        if note:
            vec["note"] = note
        return self._append(vec)


# --------------------------------------------------------------------------------------
# order guard for _resolve_requested_scopes
# --------------------------------------------------------------------------------------


def _resolve_with_order():
    """A copy of JupyterHub's _resolve_requested_scopes whose loop over the disallowed scopes
    (a set, iterated in hash order) takes an explicit order."""
    src = inspect.getsource(S._resolve_requested_scopes)
    loop = "for scope in list(disallowed_scopes):"
    assert src.count(loop) == 1
    src = src.replace(loop, "for scope in __order__(disallowed_scopes):")
    ns = dict(vars(S))
    exec(compile(src, "<_resolve_requested_scopes with order>", "exec"), ns)  # noqa: S102
    return ns


_RESOLVE_NS = _resolve_with_order()


def resolve_outcomes(requested, have, user, client, db, max_orders=48):
    """Distinct (output, sorted cold warnings, sorted unmemoised warnings) of
    _resolve_requested_scopes over several orders of the disallowed loop (all orders when
    there are few). The number of expansions, hence of warnings, also depends on the order."""
    disallowed = sorted(set(requested) - set(have))
    if len(disallowed) <= 4:
        orders = list(itertools.permutations(disallowed))
    else:
        r = random.Random(len(disallowed))
        orders = [tuple(disallowed), tuple(reversed(disallowed))]
        for _ in range(max_orders):
            o = list(disallowed)
            r.shuffle(o)
            orders.append(tuple(o))
    results = []
    ns = _RESOLVE_NS
    for order in orders:

        def thunk(order=order):
            ns["__order__"] = lambda _s: list(order)
            ns["expand_scopes"] = S.expand_scopes  # the memoised or the patched one
            return ns["_resolve_requested_scopes"](set(requested), set(have), user, client, db)

        out, warns = run_captured(thunk)
        _, ref_warns = run_captured(thunk, uncached_expand=True)
        res = (out, sorted(warns), sorted(ref_warns))
        if res not in results:
            results.append(res)
    return results


# --------------------------------------------------------------------------------------
# pools for random cases
# --------------------------------------------------------------------------------------

VALUES = {
    "user": ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "zed"],
    "server": ["alice/", "alice/x", "bob/", "carol/", "frank/", "dave/y"],
    "group": ["g1", "g2", "g3", "g4", "g9"],
    "service": ["svc", "svc2", "svc3", "nosvc"],
}
# scope bases, weighted towards the ones roles and tokens use most
COMMON_BASES = [
    "read:users", "users", "read:users:name", "read:users:groups", "read:users:activity",
    "users:activity", "list:users", "servers", "read:servers", "start:servers",
    "delete:servers", "access:servers", "tokens", "read:tokens", "read:groups", "list:groups",
    "groups", "read:services", "access:services", "read:shares", "users:shares", "shares",
    "read:hub", "admin:users", "admin:servers", "read:roles",
]
# bases without subscopes: a bad filter on them yields exactly one bad expanded scope
LEAF_BASES = [
    "read:users:name", "read:users:groups", "read:users:activity", "start:servers",
    "delete:servers", "access:servers", "read:tokens", "read:groups:name", "access:services",
    "read:hub", "read:shares",
]
FILTER_KINDS = ["", "", "", "!user", "!user", "!server", "!service", "=user", "=user", "=server", "=group", "=group", "=service"]
# one "bad" element per case at most: unknown bases and unparseable filters raise at the
# first offending element in set order, so two of them would make the message seed-dependent
BAD_SCOPES = [
    "nope",
    "all",
    "nope!user=alice",
    "Read:users",
    "read:users:name!group",
    "read:users:name!user=",
    "access:servers!server=",
    "read:hub!foo",
    "read:hub!foo=bar",
    "access:services!group=",
]


def bad_scope_count(raw):
    n = 0
    for s in raw:
        base, _, filt = s.partition("!")
        if base not in S.scope_definitions:
            n += 1
        elif filt and filt not in ("user", "service", "server") and not filt.partition("=")[2]:
            n += 1
    return n


def parse_order_hazard(raw):
    """True when parsing the expansion of `raw` depends on set order: parse_scopes skips its
    empty-filter-value check once a base is already unfiltered, so a bad filtered scope next
    to the unfiltered base raises or not depending on which comes first."""
    expanded = set()
    for s in raw:
        if s.partition("!")[0] in S.scope_definitions:
            expanded |= S._expand_scope(s)
    bad, unfiltered = set(), set()
    for e in expanded:
        base, _, filt = e.partition("!")
        if not filt:
            unfiltered.add(base)
        elif filt not in ("user", "service", "server") and not filt.partition("=")[2]:
            bad.add(base)
    return bool(bad & unfiltered)


def rand_filter(rng, kinds=FILTER_KINDS):
    k = rng.choice(kinds)
    if k.startswith("="):
        kind = k[1:]
        return f"!{kind}={rng.choice(VALUES[kind])}"
    return k


def rand_raw(rng, p_meta=0.06, bases=COMMON_BASES):
    if rng.random() < p_meta:
        return rng.choice(["self", "self", "inherit", "(no_scope)"])
    return rng.choice(bases) + rand_filter(rng)


def narrow(rng, scope):
    """A narrower (or sibling) scope of an expanded held scope."""
    base, _, filt = scope.partition("!")
    kind, _, value = filt.partition("=")
    subs = sorted(S._expand_scope(base))
    nb = rng.choice(subs)
    if kind == "user":
        return rng.choice([f"{nb}!user={value}", f"{nb}!server={value}/", f"{nb}!server={value}/x", f"{nb}!user"])
    if kind == "group":
        members = {"g1": ["alice", "dave"], "g2": ["bob", "gina"], "g4": ["frank", "gina"]}.get(value, ["zed"])
        return rng.choice([f"{nb}!group={value}", f"{nb}!user={rng.choice(members)}", f"{nb}!server={rng.choice(members)}/"])
    if kind:
        return f"{nb}!{filt}"
    return nb + rand_filter(rng)


def widen(rng, scope):
    """A broader scope than an expanded held scope (unfiltered, or a parent)."""
    base, _, filt = scope.partition("!")
    parents = sorted(b for b, d in S.scope_definitions.items() if base in d.get("subscopes", []))
    nb = rng.choice(parents) if parents and rng.random() < 0.5 else base
    kind, _, value = filt.partition("=")
    if kind == "server" and rng.random() < 0.5:
        return f"{nb}!user={value.partition('/')[0]}"
    return nb if rng.random() < 0.6 or not filt else f"{nb}!{filt}"


# --------------------------------------------------------------------------------------
# the generation context: world, recorder, rng, share-state version, one helper per fn
# --------------------------------------------------------------------------------------


def user_desc(name):
    return {"kind": "user", "name": name}


def service_desc(name):
    return {"kind": "service", "name": name}


class Gen:
    def __init__(self, seed):
        self.w = DomainWorld()
        self.world_obj = self.w.describe()
        self.rec = DomainRecorder(self.w)
        self.db = self.w.db
        self.rng = random.Random(seed)
        # bumped by every change of shares: state-dependent cases are deduplicated per version
        self.version = 0
        self.user_names = sorted(self.world_obj["users"])
        self.service_names = sorted(self.world_obj["services"])
        self.group_members = {g: d["users"] for g, d in self.world_obj["groups"].items()}
        self.owners = [user_desc(n) for n in self.user_names] + [service_desc(n) for n in self.service_names]
        self.spawners = list(self.world_obj["spawners"])
        self.clients = [None, {"identifier": "jupyterhub"}, {"spawner": "alice/x"}, {"spawner": "bob/"}, {"service": "svc"}]

    # ---- state ------------------------------------------------------------------------
    def changed(self):
        """After a share mutation: reload everything from the database, so relationship
        collections (User.shared_with_me, ...) reflect the committed state."""
        self.version += 1
        self.db.expire_all()

    def recipients(self, share_with_ref):
        kind, _, name = share_with_ref.partition(":")
        return [name] if kind == "user" else list(self.group_members[name])

    def share_scopes(self, sp, sw):
        share = self.w.find_share(sp, sw)
        return [] if share is None else sorted(share.scopes)

    def existing_shares(self):
        out = []
        for share in self.db.query(orm.Share).order_by(orm.Share.id):
            sw = f"user:{share.user.name}" if share.user else f"group:{share.group.name}"
            out.append((f"{share.spawner.user.name}/{share.spawner.name}", sw))
        return out

    def owner_scopes(self, owner):
        """Sorted get_scopes_for(owner), warnings ignored (for building cases)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return sorted(S.get_scopes_for(self.w.owner(owner)))
            except KeyError:
                return []

    def hazard(self, fn, raw, strict):
        if not parse_order_hazard(raw):
            return False
        if strict:
            raise AssertionError(f"{fn}: parse result of {raw} depends on set order")
        self.rec.skipped[fn + " (set-order dependent parse)"] += 1
        return True

    # ---- one helper per fn --------------------------------------------------------------
    def gsf(self, owner, note=None):
        if self.rec.seen("get_scopes_for", owner, self.version):
            return None
        return self.rec.cold("get_scopes_for", None, lambda: S.get_scopes_for(self.w.owner(owner)), owner=owner, note=note)

    def ess(self, sp, sw, note=None):
        share = self.w.find_share(sp, sw)
        if share is None or self.rec.seen("expand_share_scopes", sp, sw, self.version):
            return None
        return self.rec.cold(
            "expand_share_scopes", {"share": f"{sp} -> {sw}"}, lambda: S.expand_share_scopes(share), note=note
        )

    def check_token(self, requested, owner, client, note=None, strict=True):
        requested = list(requested)
        if self.rec.seen("_check_token_scopes", requested, owner, client, self.version):
            return None
        if bad_scope_count(requested) > 1:
            raise AssertionError(requested)
        if self.hazard("_check_token_scopes", requested, strict):
            return None
        return self.rec.cold(
            "_check_token_scopes",
            requested,
            lambda: S._check_token_scopes(list(requested), self.w.owner(owner), self.w.client(client)),
            owner=owner,
            oauth_client=client,
            note=note,
            strict=strict,
        )

    def token(self, owner, args, note, strict=True):
        """Create a token with keyword arguments `args` (scopes, roles, expires_in,
        oauth_client descriptor): a get_scopes_for(token) vector on success, an APIToken.new
        vector on failure."""
        note = note or "curated"
        if self.rec.seen("token", owner, args, self.version):
            return None
        if "scopes" in args:
            assert bad_scope_count(args["scopes"]) <= 1, args
            if self.hazard("get_scopes_for(token)", args["scopes"], strict):
                return None
        kwargs = {k: copy.deepcopy(args[k]) for k in ("scopes", "roles", "expires_in") if k in args}
        if "oauth_client" in args:
            kwargs["oauth_client"] = self.w.client(args["oauth_client"])
        o = self.w.owner(owner)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                secret = o.new_api_token(**kwargs)
            except Exception as e:  # noqa: BLE001 - recorded
                self.db.rollback()
                return self.rec.direct("APIToken.new", args, error_object(e), owner=owner, note=note)
        orm_token = orm.APIToken.find(self.db, secret)
        inp = {
            "token_scopes": list(orm_token.scopes),
            "oauth_client": self.w.client_desc(orm_token.oauth_client),
            "note": note,
        }
        return self.rec.cold("get_scopes_for(token)", inp, lambda: S.get_scopes_for(orm_token), owner=owner, strict=strict)

    def stored_token(self, owner, stored, note, strict=True):
        """A token created normally whose stored scopes were then overwritten in the database
        (FORMAT.md 5.20: oauth_client null)."""
        stored = list(stored)
        if self.rec.seen("stored token", owner, stored, self.version):
            return None
        assert bad_scope_count(stored) <= 1, stored
        if self.hazard("get_scopes_for(token)", stored, strict):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            secret = self.w.owner(owner).new_api_token()
        orm_token = orm.APIToken.find(self.db, secret)
        orm_token.scopes = list(stored)
        self.db.commit()
        inp = {"token_scopes": stored, "oauth_client": None, "note": note}
        return self.rec.cold("get_scopes_for(token)", inp, lambda: S.get_scopes_for(orm_token), owner=owner, strict=strict)

    def resolve(self, requested, have, user, client, note=None, strict=True):
        requested = sorted(set(requested))
        have = sorted(set(have))
        if self.rec.seen("_resolve_requested_scopes", requested, have, user, client):
            return None
        # expand_scopes(have) raises for the first unknown/unparseable scope in set order;
        # requested scopes are expanded one at a time (the loop order guard covers them)
        if bad_scope_count(have) > 1:
            raise AssertionError((requested, have))
        if self.hazard("_resolve_requested_scopes", requested + have, strict):
            return None
        uo, co = self.w.user(user), self.w.client(client)
        outcomes = resolve_outcomes(requested, have, uo, co, self.db)
        if len({json.dumps(o[0], sort_keys=True) for o in outcomes}) > 1:
            # the result depends on the (hash) order of the loop over disallowed scopes
            if strict:
                raise AssertionError(f"order-dependent _resolve_requested_scopes {requested} {have}: {outcomes}")
            self.rec.skipped["_resolve_requested_scopes (order-dependent result)"] += 1
            return None
        if len(outcomes) > 1 or outcomes[0][1] != outcomes[0][2]:
            # warnings depend on the loop order, or an expansion is repeated (warned once)
            if strict:
                raise AssertionError(f"unreproducible warnings in _resolve_requested_scopes {requested} {have}")
            self.rec.skipped["_resolve_requested_scopes (order-dependent or repeated warnings)"] += 1
            return None
        vec = self.rec.cold(
            "_resolve_requested_scopes",
            {"requested": requested, "have": have},
            lambda: S._resolve_requested_scopes(set(requested), set(have), uo, co, self.db),
            owner=user_desc(user),
            oauth_client=client,
            output_format="[allowed, disallowed]",
            note=note,
            strict=strict,
        )
        assert vec is not None and vec["output"] == outcomes[0][0], (vec, outcomes)
        return vec

    def apply_filter(self, sc, sp, note=None, strict=True):
        sc = list(sc)
        server_filter = f"server={sp}"
        bad = {s for s in sc if s.partition("!")[2] and s.partition("!")[2] != server_filter}
        if len(bad) > 1:
            # JupyterHub raises for the first offending scope in frozenset order
            if strict:
                raise AssertionError(sc)
            self.rec.skipped["Share.apply_filter (several offending scopes)"] += 1
            return None
        return self.rec.call(
            "Share.apply_filter",
            {"scopes": sc, "spawner": sp},
            lambda: orm.Share.apply_filter(sc, self.w.spawner(sp)),
            note=note,
        )

    def grant(self, sp, sw, sc, note=None, follow=True):
        sc = list(sc)
        share = orm.Share.grant(self.db, self.w.spawner(sp), self.w.share_with(sw), scopes=list(sc))
        out = sorted(share.scopes)
        self.rec.direct("Share.grant", {"spawner": sp, "share_with": sw, "scopes": sc}, out, note=note)
        self.changed()
        if follow:
            self.after_change(sp, sw)
        return out

    def revoke(self, sp, sw, sc, note=None, explicit=True, follow=True):
        before = self.share_scopes(sp, sw)
        res = orm.Share.revoke(self.db, self.w.spawner(sp), self.w.share_with(sw), scopes=None if sc is None else list(sc))
        out = None if res is None else sorted(res.scopes)
        inp = {"before": before, "revoke": None if sc is None else list(sc)}
        if explicit:
            inp.update(spawner=sp, share_with=sw)
        self.rec.direct("Share.revoke", inp, out, note=note)
        self.changed()
        if follow:
            self.after_change(sp, sw)
        return out

    def code(self, sp, sc, expires_in, sw, times, note=None, follow=True):
        """A ShareCode.new vector and the ShareCode.exchange vector that redeems it."""
        sc = list(sc)
        if expires_in is not None and expires_in:
            # the recorded lifetime is rounded to minutes: stay clear of the .5 boundaries,
            # and exchange well before expiry
            assert expires_in >= 5 and abs((expires_in % 60) - 30) > 2, expires_in
        share_code, secret = orm.ShareCode.new(self.db, self.w.spawner(sp), scopes=sc, expires_in=expires_in)
        remaining = share_code.expires_in
        out = {
            "scopes": sorted(share_code.scopes),
            "code_len": len(secret),
            "code_charset_urlsafe_b64": bool(re.fullmatch(r"[A-Za-z0-9_-]*", secret)),
            "prefix_len": len(share_code.prefix),
            "prefix_is_code_prefix": share_code.prefix == secret[:4],
            "expires_in_seconds_approx": int(round(remaining / 60) * 60),
            "exchange_count": share_code.exchange_count,
            "id": f"sc_{share_code.id}",
        }
        self.rec.direct(
            "ShareCode.new", KeepOrder([("spawner", sp), ("scopes", sc), ("expires_in", expires_in)]), KeepOrder(out), note=note
        )
        share_with = self.w.share_with(sw)
        first = share_code.exchange(share_with)
        first_scopes = sorted(first.scopes)
        same = True
        for _ in range(times - 1):
            same = same and share_code.exchange(share_with) is first
        out2 = KeepOrder(
            [("share_scopes", first_scopes), ("same_share_object", same), ("exchange_count", share_code.exchange_count)]
        )
        inp2 = KeepOrder([("code_scopes", sorted(share_code.scopes)), ("share_with", sw), ("times", times)])
        self.rec.direct("ShareCode.exchange", inp2, out2, note=note)
        self.changed()
        if follow:
            self.after_change(sp, sw)

    def after_change(self, sp, sw):
        self.ess(sp, sw)
        for name in self.recipients(sw):
            self.gsf(user_desc(name))
