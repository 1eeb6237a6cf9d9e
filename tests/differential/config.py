"""The world's configuration half, written as JupyterHub's Python config and as hubcap's TOML
(same meaning; hubcap's keys mirror JupyterHub's traits)."""

import json
import os

from . import world

COOKIE_SECRET = "5b3c1f0a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b"
# given to both hubs as JUPYTERHUB_CRYPT_KEY (auth_state is saved encrypted)
CRYPT_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _urls(ports):
    return "http://127.0.0.1:%d" % ports["hub"], "http://127.0.0.1:%d/" % ports["public"]


def _roles():
    out = []
    for r in world.ROLES:
        role = {"name": r["name"], "description": r["description"], "scopes": list(r["scopes"])}
        for kind in ("users", "groups", "services"):
            if kind in r:
                role[kind] = list(r[kind])
        out.append(role)
    return out


def _services(tokens):
    out = []
    for s in world.SERVICES:
        service = {"name": s["name"], "api_token": tokens[s["name"]], "admin": bool(s["admin"])}
        if s["name"] in world.OAUTH_REDIRECT_URIS:
            service["oauth_redirect_uri"] = world.OAUTH_REDIRECT_URIS[s["name"]]
        out.append(service)
    return out


def jupyterhub_config(w, tokens, ports, workdir, chp):
    db = os.path.join(workdir, "jupyterhub.sqlite")
    hub_url, public_url = _urls(ports)
    proxy_api_url = "http://127.0.0.1:%d" % ports["proxy_api"]
    lines = [
        "# written by tests/differential/config.py",
        "c = get_config()  # noqa",
        f"c.JupyterHub.hub_bind_url = {hub_url!r}",
        f"c.JupyterHub.bind_url = {public_url!r}",
        f"c.ConfigurableHTTPProxy.api_url = {proxy_api_url!r}",
        f"c.ConfigurableHTTPProxy.command = [{chp!r}]",
        f"c.ConfigurableHTTPProxy.pid_file = {os.path.join(workdir, 'proxy.pid')!r}",
        f"c.JupyterHub.db_url = {'sqlite:///' + db!r}",
        f"c.JupyterHub.cookie_secret = bytes.fromhex({COOKIE_SECRET!r})",
        f"c.JupyterHub.pid_file = {os.path.join(workdir, 'jupyterhub.pid')!r}",
        "c.JupyterHub.authenticator_class = 'dummy'",
        f"c.Authenticator.admin_users = set({world.ADMIN_USERS!r})",
        f"c.Authenticator.allowed_users = set({world.ALLOWED_USERS!r})",
        f"c.Authenticator.allow_all = {world.ALLOW_ALL!r}",
        "c.JupyterHub.allow_named_servers = True",
        f"c.JupyterHub.custom_scopes = {json.dumps(world.CUSTOM_SCOPES)}",
        f"c.JupyterHub.load_roles = {json.dumps(_roles())}",
        f"c.JupyterHub.services = {_py(_services(tokens))}",
        "c.JupyterHub.log_level = 'INFO'",
        "c.JupyterHub.cleanup_servers = True",
        "",
    ]
    return "\n".join(lines)


def _py(value):
    """JSON that is also Python (true/false/null spelled the Python way)."""
    return (
        json.dumps(value)
        .replace(": true", ": True")
        .replace(": false", ": False")
        .replace(": null", ": None")
    )


# --- TOML (a small writer: strings, ints, bools, lists, inline tables) ------------------


def _toml_key(k):
    if k and all(c.isalnum() or c in "_-" for c in k):
        return k
    return json.dumps(k)


def _toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def hubcap_config(w, tokens, ports, workdir):
    db = os.path.join(workdir, "hubcap.sqlite")
    hub_url, public_url = _urls(ports)
    roles = ",\n  ".join(_toml(r) for r in _roles())
    services = ",\n  ".join(_toml(s) for s in _services(tokens))
    lines = [
        "# written by tests/differential/config.py",
        "[JupyterHub]",
        'authenticator_class = "dummy"',
        f"cookie_secret_file = {_toml(os.path.join(workdir, 'hubcap_cookie_secret'))}",
        f"hub_bind_url = {_toml(hub_url)}",
        f"bind_url = {_toml(public_url)}",
        f"db_url = {_toml('sqlite:///' + db)}",
        "allow_named_servers = true",
        f"load_roles = [\n  {roles},\n]",
        f"services = [\n  {services},\n]",
        f"custom_scopes = {_toml(world.CUSTOM_SCOPES)}",
        "",
        "[Authenticator]",
        f"admin_users = {_toml(world.ADMIN_USERS)}",
        f"allowed_users = {_toml(world.ALLOWED_USERS)}",
        f"allow_all = {_toml(world.ALLOW_ALL)}",
        "",
        "[ConfigurableHTTPProxy]",
        f"api_url = {_toml('http://127.0.0.1:%d' % ports['proxy_api'])}",
        "",
    ]
    return "\n".join(lines)
