"""Sharing phases of generate_domain.py: Share.apply_filter, Share.grant, expand_share_scopes,
Share.revoke, ShareCode.new/exchange, and the token/scope vectors that depend on shares."""

import domain_lib as L
from domain_lib import user_desc

# bases that make sense (or interesting nonsense) in a share
SHARE_BASES = [
    "access:servers", "access:servers", "access:servers", "read:servers", "read:servers",
    "servers", "start:servers", "delete:servers", "admin:servers", "admin:server_state",
    "read:users:name", "read:users", "users:activity", "read:shares", "shares",
    "users:shares", "read:hub", "tokens",
]
RECIPIENT_USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
RECIPIENT_GROUPS = ["g1", "g2", "g3", "g4"]


def rand_share_scopes(g, sp, k_min=1, k_max=3):
    """Random scopes a grant accepts: unfiltered, with the right server filter, or '!'."""
    rng = g.rng
    out = []
    for _ in range(rng.randint(k_min, k_max)):
        base = rng.choice(SHARE_BASES)
        r = rng.random()
        s = base if r < 0.6 else (f"{base}!server={sp}" if r < 0.95 else f"{base}!")
        if s not in out:
            out.append(s)
    return out


def bad_share_filter(g, sp):
    rng = g.rng
    others = [s for s in g.spawners if s != sp]
    return rng.choice(
        ["!server", f"!server={rng.choice(others)}", "!user=alice", f"!user={sp.partition('/')[0]}", "!group=g1",
         "!service=svc", f"!server={sp}x", "!server=", "!foo=bar", "!foo"]
    )


def rand_recipient(g):
    rng = g.rng
    if rng.random() < 0.7:
        return "user:" + rng.choice(RECIPIENT_USERS)
    return "group:" + rng.choice(RECIPIENT_GROUPS)


def apply_filter_phase(g):
    rng = g.rng
    g.apply_filter(["access:servers"], "alice/x")
    for test in ("test_shares_api_create", "test_share_codes_api_create"):
        for row in L.upstream_rows("test_shares.py", test):
            if row["share_scopes"]:
                sc = row["share_scopes"].replace("SERVER", "alice/").split(",")
                g.apply_filter(sc, "alice/", f"upstream test_shares.py::{test} (SERVER->alice/)")
    curated = [
        (["access:servers!server=alice/x"], "alice/x", None),
        (["access:servers!server=alice/"], "alice/x", "another server's filter"),
        (["access:servers!server"], "alice/x", "bare !server is refused"),
        (["read:servers!user=alice"], "alice/x", "the owner's user filter is refused"),
        (["read:servers!group=g1"], "alice/", None),
        (["read:servers!server=alice/x!y"], "alice/x", None),
        (["read:users!"], "alice/", "empty filter: treated as unfiltered"),
        (["nope", "all"], "alice/", "scope existence is not checked"),
        (["self", "inherit", "(no_scope)"], "bob/", None),
        ([], "alice/", None),
        (["access:servers", "access:servers!server=alice/x"], "alice/x", "duplicates after filtering collapse"),
        (["read:servers!server=alice/x", "read:servers!server=alice/"], "alice/x", None),
        ([""], "alice/", None),
        (["!server=alice/"], "alice/", None),
        (["access:servers!server=carol/"], "carol/", None),
        (["access:servers!server=frank/", "servers"], "frank/", None),
        (["access:servers!server=bob"], "bob/", "missing trailing slash"),
        (["read:users!server=bob/"], "bob/", None),
    ]
    for sc, sp, note in curated:
        g.apply_filter(sc, sp, note)
    n = 0
    while n < 200:
        sp = rng.choice(g.spawners)
        sc = rand_share_scopes(g, sp, 0, 4)
        if rng.random() < 0.45:
            sc.insert(rng.randint(0, len(sc)), rng.choice(SHARE_BASES) + bad_share_filter(g, sp))
        if g.apply_filter(sc, sp, "random") is not None:
            n += 1


def scripted_shares(g):
    # FORMAT.md examples first
    g.grant("alice/x", "user:bob", ["access:servers", "servers"])
    # the reference file's Share.revoke sequence (no spawner/share_with keys: alice/x -> dave)
    g.grant("alice/x", "user:dave", ["access:servers", "read:servers"], note="the share the Share.revoke vectors without spawner/share_with act on")
    for sc, note in [
        (["admin:servers!server=alice/x"], None),
        (["access:servers"], "unfiltered strings do not match the stored filtered scopes"),
        (["read:servers!server=alice/x", "read:servers!server=alice/"], None),
        ([], "nothing to revoke"),
        (["access:servers!server=alice/x", "nope"], "last scope revoked: the share is deleted"),
        (["access:servers!server=alice/x"], "no share left: None"),
        (None, None),
    ]:
        g.revoke("alice/x", "user:dave", sc, note=note, explicit=False)

    scripted = [
        ("alice/", "group:g2", ["read:servers"], "group share: bob and gina"),
        ("alice/x", "group:g1", ["access:servers!server=alice/x", "read:users:name"], "group share including the owner alice"),
        ("bob/", "user:alice", ["read:users", "servers", "users:shares"], "read:users!server=... expands to nothing"),
        ("bob/", "group:g4", ["access:servers"], None),
        ("frank/", "user:erin", ["access:servers", "servers"], "erin holds no role"),
        ("carol/", "group:g3", ["access:servers"], "empty group"),
        ("alice/x", "user:bob", ["servers!server=alice/x"], "nothing new: unchanged"),
        ("alice/x", "user:bob", ["read:servers!"], None),
        ("bob/", "user:bob", ["admin:servers"], "sharing with the server's owner"),
    ]
    for sp, sw, sc, note in scripted:
        g.grant(sp, sw, sc, note=note)
        g.ess(sp, sw)
    # upstream test_shares.py::test_update_share, on alice/ -> user:carol
    note = "upstream test_shares.py::test_update_share (alice/ -> carol)"
    g.grant("alice/", "user:carol", ["access:servers!server=alice/"], note=note)
    g.grant("alice/", "user:carol", ["read:servers!server=alice/"], note=note)
    g.grant("alice/", "user:carol", ["access:servers!server=alice/"], note=note)
    g.revoke("alice/", "user:carol", ["admin:servers!server=alice/"], note=note)
    g.revoke("alice/", "user:carol", ["access:servers!server=alice/"], note=note)
    g.revoke("alice/", "user:carol", ["read:servers!server=alice/"], note=note)
    # upstream test_shares.py::test_shares_api_revoke (before grant, then revoke)
    for row in L.upstream_rows("test_shares.py", "test_shares_api_revoke"):
        if row["before_scopes"] and row["with_user"] is True and not row["with_group"]:
            note = "upstream test_shares.py::test_shares_api_revoke (USER->alice, share_user->dave)"
            before = row["before_scopes"].replace("SERVER", "alice/").split(",")
            g.grant("alice/", "user:dave", before, note=note)
            revoke = row["revoke_scopes"].replace("SERVER", "alice/").split(",") if row["revoke_scopes"] else None
            g.revoke("alice/", "user:dave", revoke, note=note)
    g.revoke("carol/", "user:erin", None, note="no share: None")
    g.revoke("carol/", "group:g2", ["access:servers!server=carol/"], note="no share: None")


def curated_after_shares(g):
    alice, bob, dave, erin = (user_desc(n) for n in ("alice", "bob", "dave", "erin"))
    frank, gina = user_desc("frank"), user_desc("gina")
    ax, bobc, hub = {"spawner": "alice/x"}, {"spawner": "bob/"}, {"identifier": "jupyterhub"}
    for owner in (bob, gina, frank, erin, dave, alice):
        g.gsf(owner, "after the scripted shares")
    tokens = [
        (bob, {}, "inherit: direct shares as raw strings, no group shares"),
        (bob, {"scopes": ["read:servers!server=alice/"]}, "group-shared scope: accepted at creation, dropped at use"),
        (bob, {"scopes": ["read:servers!server=alice/x"]}, "subscope of a direct share: not in the token path"),
        (bob, {"scopes": ["servers!server=alice/x"]}, None),
        (bob, {"scopes": ["access:servers!server=alice/x", "servers!server=alice/x"]}, None),
        (bob, {"scopes": []}, None),
        (bob, {"scopes": [], "oauth_client": ax}, "access scope of a shared server's client"),
        (bob, {"oauth_client": ax}, None),
        (gina, {"scopes": [], "oauth_client": ax}, None),
        (gina, {"scopes": ["access:servers!server=bob/"]}, "group share"),
        (frank, {"scopes": [], "oauth_client": bobc}, "access only through a group share: dropped"),
        (dave, {"scopes": [], "oauth_client": ax}, None),
        (dave, {"scopes": ["access:servers!server=alice/x"]}, None),
        (erin, {}, "erin: only a share"),
        (erin, {"scopes": ["read:servers!server=frank/"]}, None),
        (erin, {"scopes": ["servers!server=frank/"]}, None),
        (alice, {"scopes": ["read:users!server=bob/"]}, None),
        (alice, {"scopes": ["servers!server=bob/"], "oauth_client": bobc}, None),
        (alice, {"scopes": ["users:shares!server=bob/"]}, None),
        (bob, {"scopes": ["admin:servers!server=bob/"]}, "own server, also shared with himself"),
    ]
    for owner, args, note in tokens:
        g.token(owner, args, note or "curated after shares")
    checks = [
        (["read:servers!server=alice/"], bob, None, "group-shared scope passes the creation check"),
        (["read:servers!server=alice/x"], bob, None, None),
        (["read:servers!server=alice/"], gina, None, None),
        (["access:servers!server=bob/"], gina, None, None),
        (["access:servers!server"], frank, bobc, None),
        (["access:servers!server"], bob, ax, None),
        (["read:users:name!server=alice/x"], dave, None, "read:users:name!server=... is dropped from the share expansion"),
        (["servers!server=frank/"], erin, None, None),
        (["read:users!user=erin", "servers!server=frank/"], erin, None, None),
        (["access:servers!server=carol/"], erin, hub, None),
    ]
    for req, owner, client, note in checks:
        g.check_token(req, owner, client, note)
    stored = [
        (bob, ["read:servers!server=alice/", "access:servers!server=alice/x"], None),
        (gina, ["access:servers!server=bob/"], None),
    ]
    for owner, sc, note in stored:
        g.stored_token(owner, sc, note or "curated after shares: stored scopes overwritten")


def random_share_ops(g, n_ops):
    rng = g.rng
    for _ in range(n_ops):
        sp = rng.choice(g.spawners)
        sw = rand_recipient(g)
        current = g.share_scopes(sp, sw)
        if not current or rng.random() < 0.4:
            g.grant(sp, sw, rand_share_scopes(g, sp), note="random")
        else:
            r = rng.random()
            if r < 0.15:
                sc = None
            elif r < 0.6:
                sc = rng.sample(current, rng.randint(1, len(current)))
            elif r < 0.8:
                sc = [s.partition("!")[0] for s in current[:2]]
            else:
                sc = rng.sample(current, 1) + [f"{rng.choice(SHARE_BASES)}!server={sp}"]
            g.revoke(sp, sw, sc, note="random")
        follow_up(g, sw)


def follow_up(g, sw):
    """Token and check vectors for a recipient just after its shares changed."""
    rng = g.rng
    names = g.recipients(sw)
    if not names:
        return
    owner = user_desc(rng.choice(names))
    held = g.owner_scopes(owner)
    shared = [s for s in held if "!server=" in s]
    r = rng.random()
    if r < 0.3:
        g.token(owner, {}, "random after a share change: default")
    elif r < 0.6 and shared:
        sc = rng.sample(shared, min(len(shared), rng.randint(1, 2)))
        args = {"scopes": sc}
        if rng.random() < 0.4:
            args["oauth_client"] = rng.choice([{"spawner": "alice/x"}, {"spawner": "bob/"}])
        g.token(owner, args, "random after a share change: shared scopes", strict=False)
    elif r < 0.75:
        g.token(owner, {"scopes": [], "oauth_client": rng.choice([{"spawner": "alice/x"}, {"spawner": "bob/"}])}, "random after a share change: client access")
    if shared and rng.random() < 0.5:
        req = rng.sample(shared, min(len(shared), rng.randint(1, 2)))
        if rng.random() < 0.3:
            req.append(L.widen(rng, rng.choice(shared)))
        g.check_token(req, owner, rng.choice([None, None, {"spawner": "alice/x"}]), "random after a share change", strict=False)


CODE_EXPIRES = [None, None, None, 0, 60, 3600, 86400, 10, 45, 7 * 86400, 31010400, 31536001, 10**9, 0.0, 100.5]


def example_code(g):
    """FORMAT.md's ShareCode examples (before any random share reaches erin)."""
    g.code("alice/x", ["access:servers"], None, "user:erin", 2)


def share_codes(g, n_random):
    rng = g.rng
    g.code(
        "alice/",
        ["read:servers!server=alice/", "access:servers!server=alice/"],
        None,
        "user:bob",
        1,
        note="upstream test_shares.py::test_share_code (alice/ -> bob)",
    )
    for row in L.upstream_rows("test_shares.py", "test_share_codes_api_create_expires_in"):
        ex = row["expires_in"]
        if ex is None or (isinstance(ex, int) and ex > 0):
            g.code("bob/", ["access:servers"], ex, "user:carol", 1, note="upstream test_shares.py::test_share_codes_api_create_expires_in (no API range check here)")
    for row in L.upstream_rows("test_shares.py", "test_share_codes_api_create"):
        if row["share_scopes"] and row["status"] == 200:
            sc = row["share_scopes"].replace("SERVER", "alice/").split(",")
            g.code("alice/", sc, None, "user:dave", 1, note="upstream test_shares.py::test_share_codes_api_create (SERVER->alice/)")
    g.code("alice/x", ["access:servers"], 0, "group:g4", 3, note="expires_in 0: the default lifetime")
    g.code("alice/x", ["read:servers", "access:servers"], 3600, "user:alice", 2, note="the owner redeems her own code")
    g.code("frank/", ["servers!", "access:servers!server=frank/"], 60, "group:g3", 1, note=None)
    g.code("carol/", ["access:servers"], None, "user:erin", 1, note=None)
    for _ in range(n_random):
        sp = rng.choice(g.spawners)
        g.code(sp, rand_share_scopes(g, sp), rng.choice(CODE_EXPIRES), rand_recipient(g), rng.choice([1, 1, 1, 2, 3]), note="random")


def final_quirks(g):
    dave, tp1 = user_desc("dave"), user_desc("tp1")
    g.grant("bob/", "user:dave", ["self", "inherit"], note="metascopes shared: they stay literal filtered strings")
    g.token(dave, {}, "after sharing self/inherit with dave")
    g.token(dave, {"scopes": ["self!server=bob/"]}, None)
    g.check_token(["inherit!server=bob/"], dave, None, None)
    g.grant("alice/", "user:tp1", ["nope"], note="unknown scope in a share: no existence check")
    g.check_token(["read:users:activity"], tp1, None, "the owner's share cannot be expanded")
    g.token(tp1, {}, "inherit: raw share strings are not expanded")
    g.token(tp1, {"scopes": ["read:users:activity"]}, "creation checks the owner's (unexpandable) scopes")
    g.stored_token(tp1, ["read:users:activity", "nope!server=alice/"], "token path: raw share strings intersect without expansion")
    g.revoke("alice/", "user:tp1", None, note="remove the unknown-scope share")
    g.check_token(["read:users:activity"], tp1, None, None)
