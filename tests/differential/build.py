"""The world's API half as build steps: requests made with the admin service's token, the
same on both hubs and in the same order (so database ids line up). Each step is a Case with
the status JupyterHub must answer; their responses are compared like any case's."""

import random
from datetime import datetime, timedelta, timezone

from . import world
from .case import API, Case

ADMIN = "svc:" + world.ADMIN_SERVICE


def iso(dt):
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def steps(seed, now=None):
    now = now or datetime.now(timezone.utc)
    out = []

    def step(group, id_, method, path, body=None, expect=200, capture=None, **kw):
        c = Case(
            id=f"build.{id_}",
            group=group,
            method=method,
            path=API + path,
            requester=ADMIN,
            expect=expect,
            capture=capture or {},
            **kw,
        )
        if body is not None:
            c.body = body
        out.append(c)

    for names, admin in world.USER_BATCHES:
        body = {"usernames": names}
        if admin is not None:
            body["admin"] = admin
        step("users", "users." + "-".join(names), "POST", "/users", body, 201)
    for name, body in world.SINGLE_USERS:
        step("users", "user." + name, "POST", f"/users/{name}", body, 201)

    for names, users in world.GROUP_BATCHES:
        body = {"groups": names}
        if users is not None:
            body["users"] = users
        step("groups", "groups." + "-".join(names), "POST", "/groups", body, 201)
    for g, users in world.GROUP_ADD:
        step("groups", f"group-add.{g}", "POST", f"/groups/{g}/users", {"users": users})
    for g, users in world.GROUP_REMOVE:
        step("groups", f"group-remove.{g}", "DELETE", f"/groups/{g}/users", {"users": users})
    for g, props in world.GROUP_PROPERTIES:
        step("groups", f"group-props.{g}", "PUT", f"/groups/{g}/properties", props)

    # distinct last_activity times a few minutes ahead (see world.ACTIVE_USERS)
    rng = random.Random(seed)
    offsets = rng.sample(range(5, 45), len(world.ACTIVE_USERS))
    for u, minutes in zip(world.ACTIVE_USERS, offsets):
        ts = iso(now + timedelta(minutes=minutes, seconds=0.25))
        step("users", f"activity.{u}", "POST", f"/users/{u}/activity", {"last_activity": ts})

    for u, name, body in world.SERVERS:
        step("users", f"server.{u}.{name}", "PUT", f"/users/{u}/servers/{name}", body, 201)
    ts = iso(now + timedelta(minutes=3))
    step(
        "users", "activity.bob.servers", "POST", "/users/bob/activity",
        {"servers": {"proj": {"last_activity": ts}, "data": {"last_activity": ts}}},
    )

    for name, owner, body in world.all_tokens(seed):
        step(
            "tokens", f"token.{name}", "POST", f"/users/{owner}/tokens", body, 201,
            capture={f"secret:{name}": ("token",), f"id:{name}": ("id",)},
        )

    for owner, server, body in world.SHARES:
        step("shares", f"share.{owner}.{server or '-'}.{body.get('user') or body.get('group')}",
             "POST", f"/shares/{owner}/{server}", body)
    for name, owner, server, body in world.SHARE_CODES:
        step("shares", f"share-code.{name}", "POST", f"/share-codes/{owner}/{server}", body,
             capture={f"code:{name}": ("code",), f"codeid:{name}": ("id",)})

    for name, owner, body in world.SENTINEL_TOKENS:
        step("tokens", f"token.{name}", "POST", f"/users/{owner}/tokens", body, 201,
             capture={f"secret:{name}": ("token",), f"id:{name}": ("id",)})
    return out
