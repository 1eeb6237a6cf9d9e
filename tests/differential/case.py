"""A request sent to both hubs, and how to send it.

Strings in `path`, `query`, `headers`, `body` and `raw` may hold `{{name}}` placeholders,
filled per hub from that hub's variables (token secrets `secret:REQUESTER`, share codes
`code:NAME`, values captured from earlier responses), since secrets differ between hubs.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import urlencode

API = "/hub/api"
NO_BODY = object()

_VAR = re.compile(r"\{\{([^{}]+)\}\}")


@dataclass
class Case:
    id: str
    group: str  # hub, identity, users, groups, services, tokens, shares, proxy
    method: str
    path: str  # from the host root, e.g. /hub/api/users
    requester: Optional[str] = None  # a name in the requester map, None = no credentials
    query: Any = None  # dict / list of pairs (encoded) or a str (used as is)
    headers: dict = field(default_factory=dict)
    body: Any = NO_BODY  # a JSON value, sent as JSON
    raw: Any = None  # a str or bytes sent as is (malformed JSON, form bodies)
    auth: str = "token {}"  # Authorization header format; None = no header; "query" = ?token=
    compare: str = "full"  # full | status (status + content type)
    capture: dict = field(default_factory=dict)  # var name -> key path into the JSON body
    expect: Optional[int] = None  # for build steps: the status JupyterHub must answer
    note: str = ""

    def describe(self):
        q = self.query_string("{{...}}") if self.query is not None else ""
        who = self.requester or "(no credentials)"
        s = f"{self.method} {self.path}{'?' + q if q else ''} as {who}"
        if self.auth not in ("token {}", None) and self.requester:
            s += f" [auth {self.auth!r}]"
        if self.body is not NO_BODY:
            s += f" body={json.dumps(self.body)}"
        if self.raw is not None:
            s += f" raw={self.raw!r}"
        if self.headers:
            s += f" headers={self.headers}"
        return s

    def query_string(self, _unused=None):
        if self.query is None:
            return ""
        if isinstance(self.query, str):
            return self.query
        return urlencode(self.query)


def fill(value, vars_):
    """Replaces {{name}} placeholders in strings inside value (recursively)."""
    if isinstance(value, str):
        def sub(m):
            name = m.group(1)
            if name not in vars_:
                raise KeyError(f"no value for {{{{{name}}}}}")
            return str(vars_[name])
        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [fill(v, vars_) for v in value]
    if isinstance(value, dict):
        return {fill(k, vars_): fill(v, vars_) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(fill(v, vars_) for v in value)
    return value


def prepare(case, vars_):
    """The concrete request for one hub: (method, path_with_query, headers, data)."""
    path = fill(case.path, vars_)
    query = case.query_string()
    query = fill(query, vars_)
    headers = {k: fill(v, vars_) for k, v in case.headers.items()}
    secret = None
    if case.requester is not None:
        secret = vars_.get("secret:" + case.requester)
        if secret is None:
            raise KeyError(f"unknown requester {case.requester!r}")
    if secret is not None and case.auth is not None:
        if case.auth == "query":
            query = (query + "&" if query else "") + urlencode({"token": secret})
        else:
            headers["Authorization"] = case.auth.format(secret)
    data = None
    if case.body is not NO_BODY:
        data = json.dumps(fill(case.body, vars_)).encode()
        headers.setdefault("Content-Type", "application/json")
    elif case.raw is not None:
        raw = fill(case.raw, vars_) if isinstance(case.raw, str) else case.raw
        data = raw.encode() if isinstance(raw, str) else raw
    url = path + ("?" + query if query else "")
    return case.method, url, headers, data


def dig(body, keypath):
    for k in keypath:
        body = body[k]
    return body
