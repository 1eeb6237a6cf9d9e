"""What is compared of a response, after removing what legitimately differs between two runs
of the same hub: times, secrets, ports, the Python that runs JupyterHub, and the order of
lists that JupyterHub builds from sets or unordered relationships.

Everything removed here is listed in tests/differential/README.md with the reason.
"""

import json
import re
from datetime import datetime

TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|\+00:00)")
HOST = re.compile(r"(https?)://(?:127\.0\.0\.1|localhost|\[::1\]):\d+")
CODE_IN_URL = re.compile(r"code=[A-Za-z0-9_\-]+")
NOT_HELD = re.compile(r"^(Not assigning requested scopes )(.*)( not held by .*)$", re.S)

# the response headers compared (lower case); others (Date, Etag, Server, Content-Length) vary
HEADERS = (
    "content-type",
    "x-jupyterhub-version",
    "access-control-allow-origin",
    "access-control-allow-headers",
    "content-security-policy",
    "location",
    "retry-after",
)

# list-valued keys of a model (by the model's "kind") whose order carries no meaning:
# JupyterHub builds them from sets or from relationships loaded without ORDER BY
UNORDERED = {
    "api_token": ("scopes", "roles"),
    "user": ("roles", "groups"),
    "group": ("users", "roles"),
    "service": ("roles",),
}


def _str(s):
    if TS.fullmatch(s):
        return "<ts>"
    s = TS.sub("<ts>", s)
    s = HOST.sub(r"\1://<host>", s)
    return s


def _parse_ts(s):
    if not isinstance(s, str):
        return None
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None


def _token_list(items):
    """A token list is ordered by `last_activity or created`. Token activity is recorded at most
    every 30 s, so two runs may legitimately differ in which use moved it: check the order
    holds on this side, then sort by id for the comparison."""
    keys = []
    for t in items:
        if not isinstance(t, dict):
            return items, True
        keys.append(_parse_ts(t.get("last_activity")) or _parse_ts(t.get("created")))
    ordered = all(a is None or b is None or a <= b for a, b in zip(keys, keys[1:]))

    def idkey(t):
        i = t.get("id")
        if isinstance(i, str) and i[1:].isdigit():
            return (0, int(i[1:]))
        return (1, str(i))

    return sorted(items, key=idkey), ordered


def _walk(v, ctx):
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, list):
        return [_walk(x, ctx) for x in v]
    if not isinstance(v, dict):
        return v
    out = {}
    kind = v.get("kind")
    for k, x in v.items():
        if k == "api_tokens" and isinstance(x, list):
            items, ordered = _token_list(x)
            out[k] = [_walk(t, ctx) for t in items]
            if not ordered:
                out["<order>"] = "api_tokens not sorted by last_activity or created"
            continue
        if k == "access_token" and "token_type" in v and isinstance(x, str):
            out[k] = "<access_token>"  # an OAuth token answer
            continue
        if k == "scope" and "token_type" in v and isinstance(x, str):
            out[k] = " ".join(sorted(x.split(" ")))  # oauthlib joins a set
            continue
        if k == "session_id" and isinstance(x, str) and x:
            out[k] = "<session>"  # each hub's own random login session
            continue
        if k == "token" and kind == "api_token" and isinstance(x, str):
            out[k] = "<token>" if x else x
            continue
        if k == "code" and "accept_url" in v and isinstance(x, str):
            out[k] = "<code>"
            continue
        if k in ("accept_url", "full_accept_url") and isinstance(x, str):
            out[k] = CODE_IN_URL.sub("code=<code>", _str(x))
            continue
        if k == "message" and isinstance(x, str):
            m = NOT_HELD.match(x)
            if m:  # JupyterHub joins the excess scopes in set order
                x = m.group(1) + ",".join(sorted(m.group(2).split(","))) + m.group(3)
        if (
            k in ("state", "user_options")
            and x == {}
            and v.get("stopped") is True
            and "full_name" in v
        ):
            # docs/compat.md #23: a stopped server's unset state and options are {} or null
            # in JupyterHub depending on whether its spawner object is loaded in memory;
            # hubcap answers null. Both read as "nothing stored".
            out[k] = None
            continue
        y = _walk(x, ctx)
        if kind in UNORDERED and k in UNORDERED[kind] and isinstance(y, list):
            y = sorted(y, key=lambda e: json.dumps(e, sort_keys=True))
        out[k] = y
    return out


def _info(body):
    """/info: the Python running the hub and the spawner/authenticator classes are the
    implementation's own."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    for k in ("python", "sys_executable"):
        if k in body:
            body[k] = f"<{k}>"
    for k in ("spawner", "authenticator"):
        if isinstance(body.get(k), dict):
            body[k] = {kk: f"<{kk}>" for kk in body[k]}
    return body


def normalize(case, resp):
    """(status, {header: value}, body) of one response, ready to compare."""
    headers = {}
    for h in HEADERS:
        val = resp.headers.get(h)
        if val is not None:
            headers[h] = _str(val)
            if h == "location":  # OAuth codes are each hub's own
                headers[h] = CODE_IN_URL.sub("code=<code>", headers[h])
    ctype = resp.headers.get("content-type", "")
    text = resp.content
    if case.compare == "status":
        return resp.status_code, {"content-type": headers.get("content-type")}, None
    if not text:
        body = ""
    elif ctype.startswith("application/json"):
        try:
            body = json.loads(text)
        except ValueError:
            body = {"<unparsed json>": text.decode("utf-8", "replace")}
        else:
            if case.path.rstrip("/").endswith("/hub/api/info") and resp.status_code == 200:
                body = _info(body)
            body = _walk(body, case)
    elif ctype.startswith("text/html"):
        # HTML pages (page handlers' errors) are the hub's templates: only their presence counts
        body = "<html page>"
    else:
        body = _str(text.decode("utf-8", "replace"))
    return resp.status_code, headers, body


def without_explanation(norm_ref, norm_cand):
    """hubcap may add an `explanation` key to error bodies; drop it unless JupyterHub has one."""
    status, headers, body = norm_cand
    if (
        isinstance(body, dict)
        and "explanation" in body
        and not (isinstance(norm_ref[2], dict) and "explanation" in norm_ref[2])
        and status >= 400
    ):
        body = {k: v for k, v in body.items() if k != "explanation"}
    return status, headers, body
