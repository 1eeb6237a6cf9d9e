"""The world both hubs are given: configuration (users at start-up, roles, services, custom
scopes) and the objects then built through the REST API (users, groups, servers, tokens,
shares, share codes). One place, plain data; `config.py` turns the first half into each hub's
config file and `build.py` the second half into API calls.

Ids must line up between the hubs, so everything created at start-up is created in an order
that does not depend on Python's hash seed: one admin user (`admin_users` is a set), no other
`allowed_users` (also a set), and every other start-up user or group comes from a `load_roles`
list, which JupyterHub walks in order.
"""

import random

ADMIN_SERVICE = "admin-svc"

# --- configuration ------------------------------------------------------------------------

ADMIN_USERS = ["ada"]
# allowed_users is a set in JupyterHub: several names would be created in hash order. Only the
# admin (already created first) is listed; allow_all lets the API create anyone.
ALLOWED_USERS = ["ada"]
ALLOW_ALL = True

CUSTOM_SCOPES = {
    "custom:grades:read": {"description": "read grades"},
    "custom:grades:write": {
        "description": "write grades",
        "subscopes": ["custom:grades:read"],
    },
}

SERVICES = [
    # the builder: holds the admin role
    {"name": ADMIN_SERVICE, "admin": True},
    {"name": "reader-svc", "admin": False},
    {"name": "groups-svc", "admin": False},
    {"name": "filtered-svc", "admin": False},
    {"name": "proxy-svc", "admin": False},
    {"name": "bare-svc", "admin": False},
]

# bare-svc is also an external OAuth client (no URL): `service-bare-svc`, its secret the
# service's token (the oauth cases use it)
OAUTH_REDIRECT_URIS = {"bare-svc": "http://127.0.0.1:19999/oauth_callback"}

ROLES = [
    # the default user role, redefined (as the transcripts' hub does) so users may share
    {
        "name": "user",
        "description": "users may share their servers and read names",
        "scopes": ["self", "shares!user", "read:users:name", "read:groups:name"],
    },
    {
        "name": "auditor",
        "description": "reads everything",
        "scopes": [
            "read:users", "list:users", "read:groups", "list:groups", "read:services",
            "list:services", "read:hub", "read:tokens", "read:shares", "read:users:shares",
            "read:groups:shares", "read:roles", "read:servers",
        ],
        "users": ["dee"],
    },
    {
        "name": "teacher",
        "description": "looks after the students",
        "scopes": [
            "list:users!group=students", "read:users!group=students",
            "admin:servers!group=students", "read:groups!group=students",
            "list:groups!group=students", "users:activity!group=students",
            "read:shares!group=students", "custom:grades:read",
        ],
        "groups": ["teachers"],
    },
    {
        "name": "bob-helper",
        "description": "helps bob",
        "scopes": [
            "admin:servers!user=bob", "read:users!user=bob", "tokens!user=bob",
            "shares!user=bob", "read:shares!user=bob", "read:tokens!user=bob",
        ],
        "users": ["cyd"],
    },
    {
        "name": "grader",
        "description": "grades",
        "scopes": ["custom:grades:write", "read:users:name!group=students", "read:users:groups"],
        "groups": ["graders"],
    },
    {
        "name": "user-admin",
        "description": "manages users",
        "scopes": [
            "admin:users", "list:users", "read:users", "delete:users", "read:roles:users",
            "admin:auth_state", "users:activity",
        ],
        "users": ["gus"],
    },
    {
        "name": "group-admin",
        "description": "manages groups",
        "scopes": [
            "admin:groups", "groups", "delete:groups", "list:groups", "read:groups",
            "read:roles:groups", "groups:shares", "read:groups:shares",
        ],
        "users": ["hal"],
        "services": ["groups-svc"],
    },
    {
        "name": "svc-reader",
        "description": "a monitoring service",
        "scopes": [
            "list:services", "read:services:name", "read:roles:services", "list:users",
            "read:users:name", "read:users:activity", "read:metrics",
        ],
        "services": ["reader-svc"],
    },
    {
        "name": "filtered-svc-role",
        "description": "filtered scopes only",
        "scopes": [
            "list:users!group=students", "read:users!group=students",
            "list:services!service=filtered-svc", "read:services!service=filtered-svc",
            "list:groups!group=students", "read:groups:name!group=students",
            "tokens!group=students", "read:tokens!group=students",
            "read:servers!server=bob/proj", "shares!server=bob/proj",
            "read:shares!server=bob/proj", "read:users:shares!user=cyd",
            "custom:grades:read",
        ],
        "services": ["filtered-svc"],
    },
    {
        "name": "token-manager",
        "description": "manages eve's tokens",
        "scopes": ["tokens!user=eve", "read:tokens!group=students", "read:users:name!user=eve"],
        "users": ["fay"],
    },
    {
        "name": "odd-list",
        "description": "a list scope with a server filter",
        "scopes": ["list:users!server=bob/proj", "read:users:name"],
        "users": ["ivy"],
    },
    {
        "name": "proxy-role",
        "description": "the proxy table and the hub info",
        "scopes": ["proxy", "read:hub"],
        "services": ["proxy-svc"],
    },
]

# --- what the builder creates through the API, in this order ----------------------------

# POST /users batches: (usernames, admin)
USER_BATCHES = [
    (["bob", "eve", "jon", "kim"], None),
    (["lee", "mia"], True),
]
# POST /users/:name one at a time: name -> body (None = no body)
SINGLE_USERS = [("zed", None), ("nia", {"admin": False}), ("Oli", None)]

# POST /groups batches: (names, users)
GROUP_BATCHES = [
    (["students", "staff"], ["dee", "eve", "fay"]),
    (["empty"], None),
]
GROUP_ADD = [("teachers", ["bob", "cyd"]), ("graders", ["jon"]), ("staff", ["gus"])]
GROUP_REMOVE = [("staff", ["dee"])]
GROUP_PROPERTIES = [
    ("students", {"course": "101", "term": 3, "tags": ["a", "b"]}),
    ("teachers", {"course": "101"}),
]

# named servers created stopped with PUT: (user, name, body)
SERVERS = [
    ("bob", "proj", {}),
    ("bob", "data", {"display_name": "Data Lab"}),
    ("cyd", "lab", {"user_options": {"image": "x"}}),
    ("eve", "hw1", {}),
    ("dee", "nb", {"display_name": "notebook one"}),
    ("kim", "spare", {}),
]

# shares: (owner, server, body)
SHARES = [
    ("bob", "proj", {"user": "cyd"}),
    ("bob", "proj", {"group": "students", "scopes": ["read:servers", "access:servers"]}),
    ("bob", "", {"user": "eve"}),
    ("eve", "hw1", {"user": "jon"}),
    ("cyd", "lab", {"group": "teachers"}),
    ("dee", "nb", {"user": "bob", "scopes": ["access:servers"]}),
]
# share codes: (name for later reference, owner, server, body)
SHARE_CODES = [
    ("code-bob-proj", "bob", "proj", {}),
    ("code-bob-proj-2", "bob", "proj", {"expires_in": 3600, "scopes": ["access:servers"]}),
    ("code-cyd-lab", "cyd", "lab", {"expires_in": 600}),
    ("code-eve-hw1", "eve", "hw1", {"expires_in": 120}),
]

# users whose last_activity is set (to distinct times a few minutes ahead, so token use
# during the run cannot move it and sort=last_activity is deterministic). Everyone that
# acts as a requester must be here; zed, nia and Oli keep last_activity null.
ACTIVE_USERS = ["ada", "bob", "cyd", "dee", "eve", "fay", "gus", "hal", "ivy", "jon", "kim",
                "lee", "mia"]

# tokens issued by the builder: (requester name, owner user, body)
TOKENS = [
    ("ada", "ada", {"note": "ada inherits"}),
    ("bob", "bob", {}),
    ("cyd", "cyd", {"note": "cyd"}),
    ("dee", "dee", {"note": "dee"}),
    ("eve", "eve", {"note": "eve"}),
    ("fay", "fay", {"note": "fay"}),
    ("gus", "gus", {"note": "gus"}),
    ("hal", "hal", {"note": "hal"}),
    ("ivy", "ivy", {"note": "ivy"}),
    ("jon", "jon", {"note": "jon"}),
    ("kim", "kim", {"note": "kim"}),
    ("lee", "lee", {"note": "lee"}),
    ("mia", "mia", {"note": "mia", "expires_in": 86400}),
    ("ada-readhub", "ada", {"note": "read hub", "scopes": ["read:hub"]}),
    ("ada-noscope", "ada", {"note": "no real scopes", "scopes": ["read:users:name!user=ada"]}),
    ("bob-self", "bob", {"scopes": ["self"], "note": "self"}),
    ("bob-roles", "bob", {"roles": ["user"], "note": "by role"}),
    ("bob-servers", "bob", {"scopes": ["read:servers!server=bob/proj", "access:servers!server=bob/proj"]}),
    ("cyd-bob", "cyd", {"scopes": ["read:users!user=bob", "tokens!user=bob"]}),
    ("dee-list", "dee", {"scopes": ["list:users", "read:users:name"]}),
    ("eve-shares", "eve", {"scopes": ["shares!user=eve", "read:users:name"]}),
    ("gus-admin-users", "gus", {"scopes": ["admin:users"]}),
    ("hal-groups", "hal", {"scopes": ["groups", "list:groups"]}),
    ("ada-shares", "ada", {"note": "shares only", "scopes": ["shares"]}),
    ("ada-shares-users", "ada", {"note": "shares by user name", "scopes": ["shares", "read:users:name"]}),
    ("kim-expiring", "kim", {"note": "expires at once", "expires_in": 1}),
]
# how long after kim-expiring was issued the cases may start (it must have expired)
EXPIRY_WAIT = 2.5

# the scopes each user certainly holds, for the random tokens (besides its own filters)
_SELF = [
    "read:users!user={u}", "read:servers!user={u}", "tokens!user={u}", "read:tokens!user={u}",
    "users:activity!user={u}", "servers!user={u}", "access:servers!user={u}",
    "read:users:groups!user={u}", "read:users:activity!user={u}", "delete:servers!user={u}",
    "read:users:shares!user={u}", "users:shares!user={u}", "shares!user={u}",
    "read:users:name", "read:groups:name", "read:users:name!user={u}", "self",
    "read:shares!user={u}", "start:servers!user={u}",
]
EXTRA_HELD = {
    "ada": ["read:users", "list:users", "admin:users", "read:hub", "list:groups", "groups",
            "read:groups", "tokens", "read:tokens", "shares", "read:shares", "list:services",
            "read:services", "admin:servers", "read:roles", "proxy", "users:activity",
            "read:users!group=students", "list:users!group=teachers", "read:servers!server=bob/proj",
            "access:servers!server=cyd/lab"],
    "dee": ["read:users", "list:users", "read:groups", "list:groups", "read:hub",
            "read:tokens", "read:shares", "list:services", "read:services", "read:servers",
            "read:users!group=students", "read:roles"],
    "cyd": ["admin:servers!user=bob", "read:users!user=bob", "tokens!user=bob",
            "read:tokens!user=bob", "shares!user=bob", "list:users!group=students",
            "read:users!group=students", "read:groups!group=students",
            "custom:grades:read", "read:shares!group=students"],
    "bob": ["list:users!group=students", "read:users!group=students", "custom:grades:read",
            "admin:servers!group=students"],
    "jon": ["custom:grades:write", "custom:grades:read", "read:users:name!group=students",
            "read:users:groups"],
    "gus": ["admin:users", "list:users", "read:users", "delete:users", "admin:auth_state",
            "read:roles:users"],
    "hal": ["admin:groups", "groups", "list:groups", "read:groups", "read:roles:groups",
            "read:groups:shares"],
    "fay": ["tokens!user=eve", "read:tokens!group=students", "read:users:name!user=eve"],
    "eve": [],
}
RANDOM_TOKEN_OWNERS = ["ada", "bob", "cyd", "dee", "eve", "fay", "gus", "hal", "jon"]
RANDOM_TOKENS = 36


def random_tokens(seed):
    """Requester tokens with seeded-random scope sets drawn from what each owner holds:
    (requester name, owner, body)."""
    rng = random.Random(seed)
    out = []
    for i in range(RANDOM_TOKENS):
        owner = RANDOM_TOKEN_OWNERS[i % len(RANDOM_TOKEN_OWNERS)]
        pool = [s.format(u=owner) for s in _SELF] + EXTRA_HELD[owner]
        k = rng.choice([1, 1, 2, 2, 3, 4, 6])
        scopes = sorted(set(rng.sample(pool, min(k, len(pool)))))
        out.append((f"rnd{i:02d}", owner, {"scopes": scopes, "note": f"random {i}"}))
    return out


def all_tokens(seed):
    return TOKENS + random_tokens(seed)


# tokens created last, never deleted: keeps every token a case deletes below the highest id,
# so SQLite's reuse of the highest id (JupyterHub) and hubcap's never-reuse agree
SENTINEL_TOKENS = [("sentinel", "zed", {"note": "sentinel", "scopes": ["read:users:name!user=zed"]})]

# requesters that are services (their config api_token)
SERVICE_REQUESTERS = [f"svc:{s['name']}" for s in SERVICES]
