"""The cases: requests sent to both hubs after the world is built, in this order.

Read-only cases come first (the matrix of requesters x reads), then each group's mutating
cases, ordered so that both hubs go through the same states; the shutdown case is last.
Placeholders `{{...}}` are filled per hub (see case.py). `expect` is the status the case is
meant to provoke; a JupyterHub answer that differs is reported as a warning (a case that no
longer tests what it says), never as a difference.
"""

from datetime import datetime, timedelta, timezone

from . import world
from .case import API, NO_BODY, Case

PAGINATION = {"Accept": "application/jupyterhub-pagination+json"}

# values the same on both hubs, available to every case
STATIC_VARS = {
    "secret:bogus": "0123456789abcdef0123456789abcdef",
    "secret:long": "a" * 65,
    "secret:empty": "",
}

USER_REQUESTERS = ["ada", "bob", "cyd", "dee", "eve", "fay", "gus", "hal", "ivy", "jon", "kim",
                   "lee", "mia"]
SPECIAL_REQUESTERS = [name for name, _, _ in world.TOKENS if name not in USER_REQUESTERS]


def requesters(seed):
    return (
        USER_REQUESTERS
        + SPECIAL_REQUESTERS
        + [name for name, _, _ in world.random_tokens(seed)]
        + world.SERVICE_REQUESTERS
        + ["sentinel", "bogus"]
    )


def iso(dt):
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


class Cases:
    def __init__(self):
        self.items = []

    def add(self, id_, group, method, path, requester="svc:admin-svc", expect=None, **kw):
        if not path.startswith("/hub/"):
            path = API + path
        c = Case(id=id_, group=group, method=method, path=path, requester=requester,
                 expect=expect, **kw)
        self.items.append(c)
        return c


def make(seed, now=None):
    now = now or datetime.now(timezone.utc)
    cs = Cases()
    hub_cases(cs)
    identity_cases(cs, seed)
    matrix_cases(cs, seed)
    users_read_cases(cs)
    groups_read_cases(cs)
    services_read_cases(cs)
    tokens_read_cases(cs)
    shares_read_cases(cs)
    proxy_cases(cs)
    servers_cases(cs)
    oauth_cases(cs)
    users_write_cases(cs, now)
    groups_write_cases(cs)
    services_write_cases(cs)
    tokens_write_cases(cs)
    shares_write_cases(cs)
    final_cases(cs)
    return cs.items


# --- oauth (the token endpoint's errors, the authorize endpoint without a login) ----------


def oauth_cases(cs):
    O = "oauth"
    token = "/hub/api/oauth2/token"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    redirect = "http%3A%2F%2F127.0.0.1%3A19999%2Foauth_callback"
    secret = "{{secret:svc:bare-svc}}"
    client = f"client_id=service-bare-svc&client_secret={secret}"

    def post(id_, raw, expect):
        cs.add(f"oauth.token.{id_}", O, "POST", token, None, expect, headers=form, raw=raw)

    post("grant-type", "grant_type=client_credentials", 400)
    post("no-grant-type", "code=x", 400)
    post("no-code", "grant_type=authorization_code", 400)
    post("duplicate-redirect", f"grant_type=authorization_code&code=x&{client}"
         f"&redirect_uri={redirect}&redirect_uri={redirect}", 400)
    post("unknown-client", "grant_type=authorization_code&code=x&client_id=nobody"
         "&client_secret=x", 401)
    post("no-secret", "grant_type=authorization_code&code=x&client_id=service-bare-svc", 401)
    post("wrong-secret", "grant_type=authorization_code&code=x&client_id=service-bare-svc"
         "&client_secret=wrong", 401)
    post("secretless-client", "grant_type=authorization_code&code=x&client_id=jupyterhub"
         "&client_secret=x", 401)
    post("unknown-code", f"grant_type=authorization_code&code=nope&{client}"
         f"&redirect_uri={redirect}", 400)
    post("openid", f"grant_type=openid&code=nope&{client}", 400)
    # with the service's token as well (HubAuth always sends it)
    cs.add("oauth.token.with-token", O, "POST", token, "svc:bare-svc", 400, headers=form,
           raw=f"grant_type=authorization_code&code=nope&{client}")
    authorize = "/hub/api/oauth2/authorize"
    cs.add("oauth.authorize.anonymous", O, "GET", authorize, None, 302,
           query=f"client_id=service-bare-svc&redirect_uri={redirect}&response_type=code"
           "&state=st4te")
    cs.add("oauth.authorize.anonymous-bare", O, "GET", authorize, None, 302)
    cs.add("oauth.authorize.token-only", O, "GET", authorize, "bob", 302,
           query="client_id=service-bare-svc&response_type=code")
    cs.add("oauth.authorize.post-anonymous", O, "POST", authorize, None, 403, headers=form,
           raw="scopes=identify")
    cs.add("oauth.logout.anonymous", O, "GET", "/hub/logout", None, 302)
    oauth_flow_cases(cs)


# RFC 7636's example pair
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def _cookies(user):
    return (f"jupyterhub-hub-login={{{{cookie:{user}:login}}}}; "
            f"jupyterhub-session-id={{{{cookie:{user}:session}}}}; _xsrf={{{{cookie:{user}:xsrf}}}}")


def _log_in(cs, user):
    O = "oauth"
    nav = {"Sec-Fetch-Mode": "navigate"}
    cs.add(f"oauth.login.{user}.page", O, "GET", "/hub/login", None, 200, headers=nav,
           query="next=%2Fhub%2Fhome", capture={f"xsrf:{user}:anon": ("@cookie", "_xsrf")})
    form = {"Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"_xsrf={{{{xsrf:{user}:anon}}}}", **nav}
    cs.add(f"oauth.login.{user}.post", O, "POST", "/hub/login", None, 302, headers=form,
           query="next=%2Fhub%2Fhome",
           raw=f"_xsrf={{{{xsrf:{user}:anon}}}}&username={user}&password=anything",
           capture={f"cookie:{user}:login": ("@cookie", "jupyterhub-hub-login"),
                    f"cookie:{user}:session": ("@cookie", "jupyterhub-session-id"),
                    f"cookie:{user}:xsrf": ("@cookie", "_xsrf")})


def oauth_flow_cases(cs):
    """A browser logs in, authorizes bare-svc, the code is exchanged; cookie auth of the API."""
    O = "oauth"
    nav = {"Sec-Fetch-Mode": "navigate"}
    form_ct = {"Content-Type": "application/x-www-form-urlencoded"}
    cors = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}
    cs.add("oauth.login.stale-xsrf", O, "POST", "/hub/login", None, 403,
           headers={**form_ct, **nav}, raw="_xsrf=stale&username=ada&password=x")
    _log_in(cs, "ada")
    ada = {"Cookie": _cookies("ada")}
    cs.add("oauth.login.again", O, "GET", "/hub/login", None, 302, headers={**ada, **nav},
           query="next=%2Fhub%2Fhome")
    # the login cookie on the REST API
    cs.add("oauth.cookie.user", O, "GET", "/user", None, 200, headers=ada)
    cs.add("oauth.cookie.cors-no-xsrf", O, "GET", "/user", None, 403, headers={**ada, **cors})
    cs.add("oauth.cookie.cors-xsrf", O, "GET", "/user", None, 200,
           headers={**ada, **cors, "X-XSRFToken": "{{cookie:ada:xsrf}}"})
    cs.add("oauth.cookie.cors-bad-xsrf", O, "GET", "/user", None, 403,
           headers={**ada, **cors, "X-XSRFToken": "nope"})
    cs.add("oauth.cookie.query-xsrf", O, "GET", "/user", None, 200, headers={**ada, **cors},
           query="_xsrf={{cookie:ada:xsrf}}")
    cs.add("oauth.cookie.token-no-xsrf", O, "POST", "/users/ada/tokens", None, 403,
           headers={**ada, **cors}, body={"note": "via cookie"})
    cs.add("oauth.cookie.token-text-plain", O, "POST", "/users/ada/tokens", None, 403,
           headers={**ada, **cors, "X-XSRFToken": "{{cookie:ada:xsrf}}",
                    "Content-Type": "text/plain"}, raw='{"note": "x"}')
    # authorize, confirm, exchange
    redirect = "http%3A%2F%2F127.0.0.1%3A19999%2Foauth_callback"
    base = f"client_id=service-bare-svc&redirect_uri={redirect}&response_type=code&state=st4te"
    pkce = f"{base}&code_challenge={CHALLENGE}&code_challenge_method=S256"
    authorize = "/hub/api/oauth2/authorize"
    cs.add("oauth.authorize.confirm", O, "GET", authorize, None, 200, headers={**ada, **nav},
           query=pkce, capture={"form:ada:scopes": ("@inputs", "scopes")})
    cs.add("oauth.authorize.post-no-xsrf", O, "POST", authorize, None, 403,
           headers={**ada, **nav, **form_ct}, query=pkce, raw="{{form:ada:scopes}}")
    cs.add("oauth.authorize.post", O, "POST", authorize, None, 302,
           headers={**ada, **nav, **form_ct}, query=pkce,
           raw="_xsrf={{cookie:ada:xsrf}}&{{form:ada:scopes}}",
           capture={"code:ada": ("@location-param", "code")})
    token = "/hub/api/oauth2/token"
    exchange = (f"client_id=service-bare-svc&client_secret={{{{secret:svc:bare-svc}}}}"
                f"&grant_type=authorization_code&code={{{{code:ada}}}}&redirect_uri={redirect}")
    cs.add("oauth.token.pkce-missing", O, "POST", token, None, 400, headers=form_ct, raw=exchange)
    cs.add("oauth.token.pkce-wrong", O, "POST", token, None, 400, headers=form_ct,
           raw=exchange + "&code_verifier=wrong")
    cs.add("oauth.token.redirect-mismatch", O, "POST", token, None, 400, headers=form_ct,
           raw=exchange.replace(redirect, "%2Felsewhere") + f"&code_verifier={VERIFIER}")
    cs.add("oauth.token.other-client", O, "POST", token, None, 401, headers=form_ct,
           raw=exchange.replace("service-bare-svc", "service-reader-svc")
           .replace("svc:bare-svc", "svc:reader-svc") + f"&code_verifier={VERIFIER}")
    cs.add("oauth.token.exchange", O, "POST", token, None, 200, headers=form_ct,
           raw=exchange + f"&code_verifier={VERIFIER}",
           capture={"oauth:ada": ("access_token",)})
    cs.add("oauth.token.replay", O, "POST", token, None, 400, headers=form_ct,
           raw=exchange + f"&code_verifier={VERIFIER}")
    bearer = {"Authorization": "Bearer {{oauth:ada}}"}
    cs.add("oauth.user.with-oauth-token", O, "GET", "/user", None, 200, headers=bearer)
    cs.add("oauth.user.tokens", O, "GET", "/users/ada/tokens", "ada", 200)
    # a later token, so that the OAuth token deleted at logout is not the newest (SQLite
    # reuses the highest id after a delete, hubcap never reuses ids: docs/compat.md #17)
    cs.add("oauth.cookie.token", O, "POST", "/users/ada/tokens", None, 201,
           headers={**ada, **cors, "X-XSRFToken": "{{cookie:ada:xsrf}}"},
           body={"note": "via cookie"})
    # the token covers the scopes: no second confirmation
    cs.add("oauth.authorize.skip", O, "GET", authorize, None, 302, headers={**ada, **nav},
           query=pkce)
    cs.add("oauth.authorize.identify", O, "GET", authorize, None, 302, headers={**ada, **nav},
           query=base + "&scope=identify")
    cs.add("oauth.authorize.invalid-scope", O, "GET", authorize, None, 302,
           headers={**ada, **nav}, query=base + "&scope=admin%3Ausers")
    cs.add("oauth.authorize.role-name", O, "GET", authorize, None, 302,
           headers={**ada, **nav}, query=base + "&scope=auditor")
    cs.add("oauth.authorize.unknown-scope", O, "GET", authorize, None, 302,
           headers={**ada, **nav}, query=base + "&scope=nonsense")
    cs.add("oauth.authorize.no-response-type", O, "GET", authorize, None, 302,
           headers={**ada, **nav},
           query=f"client_id=service-bare-svc&redirect_uri={redirect}&state=s")
    cs.add("oauth.authorize.response-type-token", O, "GET", authorize, None, 302,
           headers={**ada, **nav},
           query=f"client_id=service-bare-svc&redirect_uri={redirect}&response_type=token")
    cs.add("oauth.authorize.bad-pkce-method", O, "GET", authorize, None, 302,
           headers={**ada, **nav}, query=base + "&code_challenge=x&code_challenge_method=S512")
    cs.add("oauth.authorize.wrong-redirect", O, "GET", authorize, None, 400,
           headers={**ada, **nav},
           query="client_id=service-bare-svc&redirect_uri=http%3A%2F%2Fevil.example%2Fcb"
           "&response_type=code")
    cs.add("oauth.authorize.relative-redirect", O, "GET", authorize, None, 400,
           headers={**ada, **nav},
           query="client_id=service-bare-svc&redirect_uri=cb&response_type=code")
    cs.add("oauth.authorize.default-redirect", O, "GET", authorize, None, 302,
           headers={**ada, **nav}, query="client_id=service-bare-svc&response_type=code")
    cs.add("oauth.authorize.unknown-client", O, "GET", authorize, None, 400,
           headers={**ada, **nav}, query="client_id=nobody&response_type=code")
    cs.add("oauth.authorize.no-client", O, "GET", authorize, None, 400,
           headers={**ada, **nav}, query="response_type=code")
    cs.add("oauth.authorize.duplicate-state", O, "GET", authorize, None, 400,
           headers={**ada, **nav}, query=base + "&state=again")
    cs.add("oauth.authorize.hub-client", O, "GET", authorize, None, 400,
           headers={**ada, **nav}, query="client_id=jupyterhub&response_type=code")
    # bob lacks access:services
    _log_in(cs, "bob")
    cs.add("oauth.authorize.no-access", O, "GET", authorize, None, 403,
           headers={"Cookie": _cookies("bob"), **nav}, query=pkce)
    # logging out deletes the session's OAuth tokens
    cs.add("oauth.logout.ada", O, "GET", "/hub/logout", None, 302, headers={**ada, **nav})
    cs.add("oauth.user.after-logout", O, "GET", "/user", None, 403, headers=bearer)
    cs.add("oauth.cookie.after-logout", O, "GET", "/user", None, 200, headers=ada,
           note="the old login cookie still works: logout only clears cookies")


# --- hub ----------------------------------------------------------------------------------


def hub_cases(cs):
    A = "svc:admin-svc"
    cs.add("hub.root.noauth", "hub", "GET", "/hub/api/", None, 200)
    cs.add("hub.root.noslash", "hub", "GET", "/hub/api", None, 200)
    cs.add("hub.root.auth", "hub", "GET", "/hub/api/", "bob", 200)
    cs.add("hub.root.badtoken", "hub", "GET", "/hub/api/", "bogus", 200)
    cs.add("hub.root.post", "hub", "POST", "/hub/api/", "bob", body={})
    # Etag / If-None-Match (the tag is each hub's own: captured, then sent back)
    cs.add("hub.etag.get", "hub", "GET", "/hub/api/", None, 200,
           capture={"etag:root": ("@header", "etag")})
    cs.add("hub.etag.304", "hub", "GET", "/hub/api/", None, 304,
           headers={"If-None-Match": "{{etag:root}}"})
    cs.add("hub.etag.other", "hub", "GET", "/hub/api/", None, 200,
           headers={"If-None-Match": '"0000"'})
    cs.add("hub.etag.user-get", "hub", "GET", "/users/ada", "svc:admin-svc", 200,
           capture={"etag:ada": ("@header", "etag")})
    cs.add("hub.etag.user-304", "hub", "GET", "/users/ada", "svc:admin-svc", 304,
           headers={"If-None-Match": "{{etag:ada}}"})
    cs.add("hub.info.noauth", "hub", "GET", "/info", None, 403)
    cs.add("hub.info.admin-svc", "hub", "GET", "/info", A, 200)
    cs.add("hub.info.slash", "hub", "GET", "/info/", A)
    cs.add("hub.info.proxy-svc", "hub", "GET", "/info", "svc:proxy-svc", 200)
    cs.add("hub.info.bob", "hub", "GET", "/info", "bob", 403)
    cs.add("hub.info.badtoken", "hub", "GET", "/info", "bogus", 403)
    cs.add("hub.info.post", "hub", "POST", "/info", A, body={})
    for path in ("/nonexistent", "/users/bob/nonsense", "/groups/students/users/x",
                 "/v2/users", "/users/bob/tokens/x/y", "/share-codes", "/shares",
                 "/services/a/b", "/hub/api/", "/info/x"):
        tag = path.strip("/").replace("/", "-") or "root"
        cs.add(f"hub.unknown.{tag}", "hub", "GET", path, A)
    cs.add("hub.unknown.noauth", "hub", "GET", "/nonexistent", None, 404)
    cs.add("hub.unknown.post", "hub", "POST", "/nonexistent", A, body={})
    cs.add("hub.unknown.delete", "hub", "DELETE", "/nonexistent", A)
    for path in ("/users", "/user", "/groups/students", "/nonexistent", "/", "/shares/bob/proj",
                 "/users/bob/tokens"):
        tag = path.strip("/").replace("/", "-") or "root"
        cs.add(f"hub.options.{tag}", "hub", "OPTIONS", path, None,
               404 if tag == "nonexistent" else 200)
    cs.add("hub.options.auth", "hub", "OPTIONS", "/users", "bob", 200)
    # page handlers under /hub (HTML errors: only status and content type count)
    cs.add("hub.health", "hub", "GET", "/hub/health", None, 200)
    cs.add("hub.health.api", "hub", "GET", "/hub/api/health", None, 200)
    cs.add("hub.metrics.noauth", "hub", "GET", "/hub/metrics", None, 403)
    cs.add("hub.metrics.bob", "hub", "GET", "/hub/metrics", "bob", 403)
    cs.add("hub.metrics.reader", "hub", "GET", "/hub/metrics", "svc:reader-svc", 200,
           compare="status")
    cs.add("hub.metrics.api.reader", "hub", "GET", "/hub/api/metrics", "svc:reader-svc", 200,
           compare="status")
    # shutdown: only refusals here (the real one is the very last case)
    cs.add("hub.shutdown.noauth", "hub", "POST", "/shutdown", None, 403)
    cs.add("hub.shutdown.bob", "hub", "POST", "/shutdown", "bob", 403)
    cs.add("hub.shutdown.groups-svc", "hub", "POST", "/shutdown", "svc:groups-svc", 403)
    cs.add("hub.shutdown.get", "hub", "GET", "/shutdown", "ada")
    cs.add("hub.shutdown.bad-proxy", "hub", "POST", "/shutdown", "ada", 400,
           body={"proxy": "yes"})
    # careful: 1 and 0 pass JupyterHub's check (1 in {True, False}) and shut the hub down
    cs.add("hub.shutdown.bad-servers", "hub", "POST", "/shutdown", "ada", 400,
           body={"servers": "no"})
    cs.add("hub.shutdown.bad-proxy-2", "hub", "POST", "/shutdown", "ada", 400,
           body={"proxy": 2, "servers": True})
    # JupyterHub applies proxy=false before rejecting servers=null: the proxy would be left
    # running at shutdown (the last case sends proxy=true again)
    cs.add("hub.shutdown.bad-servers-null", "hub", "POST", "/shutdown", "ada", 400,
           body={"proxy": False, "servers": None})
    cs.add("hub.shutdown.bad-json", "hub", "POST", "/shutdown", "ada", 400, raw="{nope")


# --- identity -----------------------------------------------------------------------------


def identity_cases(cs, seed):
    for r in requesters(seed):
        cs.add(f"identity.user.{r}", "identity", "GET", "/user", r)
    cs.add("identity.user.noauth", "identity", "GET", "/user", None, 403)
    cs.add("identity.user.slash", "identity", "GET", "/user/", "bob")
    cs.add("identity.user.expired", "identity", "GET", "/user", "kim-expiring", 403)
    cs.add("identity.user.long", "identity", "GET", "/user", "long", 403)
    cs.add("identity.user.empty-token", "identity", "GET", "/user", "empty", 403)
    for i, fmt in enumerate(["token {}", "Token {}", "TOKEN {}", "bearer {}", "Bearer {}",
                             "BEARER {}", "token  {}", "token\t{}", "{}", "Basic {}",
                             "token {} extra", "tokn {}", "token {}x", "token {}; x"]):
        cs.add(f"identity.auth.{i:02d}", "identity", "GET", "/user", "bob", auth=fmt,
               note=f"Authorization: {fmt!r}")
    cs.add("identity.auth.query", "identity", "GET", "/user", "bob", 403, auth="query")
    cs.add("identity.auth.query-info", "identity", "GET", "/info", "ada", 403, auth="query")
    cs.add("identity.auth.query+header", "identity", "GET", "/user", "bob", 200,
           query="token={{secret:cyd}}")
    cs.add("identity.auth.two-headers", "identity", "GET", "/users/bob", "bob",
           headers={"Authorization": "token {{secret:cyd}}"}, note="case header wins")
    cs.add("identity.user.post", "identity", "POST", "/user", "bob", body={})
    cs.add("identity.user.delete", "identity", "DELETE", "/user", "bob")


# --- the matrix: many requesters x the read endpoints ---------------------------------------

MATRIX = [
    # (id, group, path, query, headers)
    ("users", "users", "/users", None, {}),
    ("users-page", "users", "/users", {"limit": "3"}, PAGINATION),
    ("user-bob", "users", "/users/bob", None, {}),
    ("user-eve-stopped", "users", "/users/eve", "include_stopped_servers", {}),
    ("user-dee", "users", "/users/dee", None, {}),
    ("groups", "groups", "/groups", None, {}),
    ("group-students", "groups", "/groups/students", None, {}),
    ("services", "services", "/services", None, {}),
    ("service-filtered", "services", "/services/filtered-svc", None, {}),
    ("tokens-bob", "tokens", "/users/bob/tokens", None, {}),
    ("tokens-eve", "tokens", "/users/eve/tokens", None, {}),
    ("shares-bob", "shares", "/shares/bob", None, {}),
    ("shares-bob-proj", "shares", "/shares/bob/proj", None, {}),
    ("shared-cyd", "shares", "/users/cyd/shared", None, {}),
    ("shared-students", "shares", "/groups/students/shared", None, {}),
    ("codes-bob-proj", "shares", "/share-codes/bob/proj", None, {}),
    ("info", "hub", "/info", None, {}),
    ("proxy", "proxy", "/proxy", None, {}),
]


def matrix_cases(cs, seed):
    for r in requesters(seed):
        for mid, group, path, query, headers in MATRIX:
            cs.add(f"matrix.{mid}.{r}", group, "GET", path, r, query=query, headers=dict(headers))


# --- users (read) -------------------------------------------------------------------------


def users_read_cases(cs):
    A = "svc:admin-svc"
    q = [
        ("state-active", {"state": "active"}), ("state-ready", {"state": "ready"}),
        ("state-inactive", {"state": "inactive"}), ("state-bogus", {"state": "bogus"}),
        ("state-empty", {"state": ""}),
        ("name-filter-e", {"name_filter": "e"}), ("name-filter-E", {"name_filter": "E"}),
        ("name-filter-none", {"name_filter": "zzz"}), ("name-filter-oli", {"name_filter": "oli"}),
        ("name-filter-pct", {"name_filter": "%"}), ("name-filter-us", {"name_filter": "_"}),
        ("sort-id", {"sort": "id"}), ("sort-name", {"sort": "name"}),
        ("sort-last", {"sort": "last_activity"}), ("sort--id", {"sort": "-id"}),
        ("sort--name", {"sort": "-name"}), ("sort--last", {"sort": "-last_activity"}),
        ("sort-bogus", {"sort": "bogus"}), ("sort-servers", {"sort": "servers"}),
        ("sort---id", {"sort": "--id"}), ("sort-empty", {"sort": ""}),
        ("offset-2", {"offset": "2"}), ("offset-neg", {"offset": "-2"}),
        ("offset-big", {"offset": "100"}), ("offset-x", {"offset": "x"}),
        ("limit-2", {"limit": "2"}), ("limit-0", {"limit": "0"}), ("limit-neg", {"limit": "-3"}),
        ("limit-big", {"limit": "5000"}), ("limit-x", {"limit": "1.5"}),
        ("offset-limit", {"offset": "3", "limit": "4"}),
        ("stopped", "include_stopped_servers"), ("stopped-1", {"include_stopped_servers": "1"}),
        ("stopped-0", {"include_stopped_servers": "0"}),
        ("stopped-false", {"include_stopped_servers": "false"}),
        ("stopped-False", {"include_stopped_servers": "False"}),
        ("combo", {"state": "inactive", "name_filter": "e", "sort": "-name", "limit": "3"}),
        ("combo-stopped", {"name_filter": "b", "include_stopped_servers": "yes"}),
    ]
    for tag, query in q:
        cs.add(f"users.list.{tag}", "users", "GET", "/users", A, query=query)
        cs.add(f"users.list.page.{tag}", "users", "GET", "/users", A, query=query,
               headers=dict(PAGINATION))
    cs.add("users.list.page.next", "users", "GET", "/users", A,
           query={"limit": "2", "offset": "1", "name_filter": "e"}, headers=dict(PAGINATION))
    cs.add("users.list.page.last", "users", "GET", "/users", A,
           query={"limit": "5", "offset": "15"}, headers=dict(PAGINATION))
    for i, acc in enumerate(["application/jupyterhub-pagination+json, application/json",
                             "Application/JupyterHub-Pagination+JSON",
                             "application/json;q=0.9, application/jupyterhub-pagination+json",
                             "application/jupyterhub-pagination+json;q=1",
                             "application/json", "*/*"]):
        cs.add(f"users.list.accept.{i}", "users", "GET", "/users", A, query={"limit": "2"},
               headers={"Accept": acc})
    for r in ("bob", "cyd", "dee", "ivy", "svc:filtered-svc", "svc:reader-svc", "dee-list",
              "jon", "fay"):
        cs.add(f"users.list.stopped.{r}", "users", "GET", "/users", r,
               query="include_stopped_servers")
        cs.add(f"users.list.state-active.{r}", "users", "GET", "/users", r,
               query={"state": "active"})
    for u in ("ada", "bob", "cyd", "dee", "eve", "zed", "nia", "Oli", "oli", "mia", "nosuch",
              "BOB", "b%6Fb", "bob%2F", ".", ".."):
        cs.add(f"users.get.{u}", "users", "GET", f"/users/{u}", "svc:admin-svc")
    for u in ("bob", "eve", "dee", "kim"):
        cs.add(f"users.get.stopped.{u}", "users", "GET", f"/users/{u}", A,
               query="include_stopped_servers")
    for r, u in (("bob", "bob"), ("bob", "cyd"), ("bob", "eve"), ("bob", "nosuch"),
                 ("cyd", "bob"), ("cyd", "eve"), ("jon", "eve"), ("jon", "bob"),
                 ("gus", "bob"), ("fay", "eve"), ("svc:bare-svc", "bob"),
                 ("svc:bare-svc", "nosuch"), ("ada-noscope", "ada"), ("ada-noscope", "bob"),
                 ("bob-servers", "bob"), ("svc:filtered-svc", "eve"), ("svc:filtered-svc", "bob"),
                 (None, "bob"), ("bogus", "bob")):
        cs.add(f"users.get.as.{r}.{u}", "users", "GET", f"/users/{u}", r,
               query="include_stopped_servers")
    # servers (non-spawning): the server model of stopped servers
    for u, s in (("bob", "proj"), ("bob", "data"), ("bob", ""), ("bob", "nope"), ("nosuch", "x"),
                 ("cyd", "lab")):
        cs.add(f"users.server.get.{u}.{s or 'default'}", "users", "GET",
               f"/users/{u}/servers/{s}", A)
    cs.add("users.server.get.default-path", "users", "GET", "/users/bob/server", A)
    cs.add("users.server.get.bob-self", "users", "GET", "/users/bob/servers/proj", "bob")
    cs.add("users.server.get.eve-bob", "users", "GET", "/users/bob/servers/proj", "eve")
    cs.add("users.server.get.cyd-shared", "users", "GET", "/users/bob/servers/proj", "cyd")
    cs.add("users.server.get.students", "users", "GET", "/users/bob/servers/proj", "dee")


# --- groups (read) ------------------------------------------------------------------------


def groups_read_cases(cs):
    A = "svc:admin-svc"
    for tag, query in (("plain", None), ("offset-1", {"offset": "1"}), ("offset-10", {"offset": "10"}),
                       ("limit-1", {"limit": "1"}), ("limit-0", {"limit": "0"}),
                       ("limit-x", {"limit": "x"}), ("offset-neg", {"offset": "-1"})):
        cs.add(f"groups.list.{tag}", "groups", "GET", "/groups", A, query=query)
        cs.add(f"groups.list.page.{tag}", "groups", "GET", "/groups", A, query=query,
               headers=dict(PAGINATION))
    for g in ("students", "teachers", "staff", "empty", "graders", "nosuch", "Students"):
        cs.add(f"groups.get.{g}", "groups", "GET", f"/groups/{g}", A)
    for r in ("bob", "cyd", "hal", "jon", "svc:groups-svc", "svc:filtered-svc", "hal-groups",
              "svc:bare-svc", None):
        for g in ("students", "teachers", "nosuch"):
            cs.add(f"groups.get.as.{r}.{g}", "groups", "GET", f"/groups/{g}", r)
        cs.add(f"groups.list.as.{r}", "groups", "GET", "/groups", r)


# --- services (read) ----------------------------------------------------------------------


def services_read_cases(cs):
    for r in ("svc:admin-svc", "svc:reader-svc", "svc:filtered-svc", "svc:bare-svc", "dee",
              "ada", "bob"):
        cs.add(f"services.list.as.{r}", "services", "GET", "/services", r)
        for s in ("admin-svc", "reader-svc", "filtered-svc", "bare-svc", "nosuch"):
            cs.add(f"services.get.as.{r}.{s}", "services", "GET", f"/services/{s}", r)
    cs.add("services.list.noauth", "services", "GET", "/services", None, 403)
    cs.add("services.list.page", "services", "GET", "/services", "ada", headers=dict(PAGINATION),
           query={"limit": "1"})


# --- tokens (read) ------------------------------------------------------------------------


def tokens_read_cases(cs):
    A = "svc:admin-svc"
    for u in ("ada", "bob", "cyd", "kim", "zed", "nosuch", "eve", "mia"):
        cs.add(f"tokens.list.{u}", "tokens", "GET", f"/users/{u}/tokens", A)
    cs.add("tokens.list.kim.again", "tokens", "GET", "/users/kim/tokens", A)
    for r, u in (("bob", "bob"), ("bob", "cyd"), ("cyd", "bob"), ("fay", "eve"), ("fay", "dee"),
                 ("fay", "bob"), ("dee", "bob"), ("svc:filtered-svc", "eve"),
                 ("svc:filtered-svc", "bob"), ("bob-self", "bob"), ("bob", "nosuch")):
        cs.add(f"tokens.list.as.{r}.{u}", "tokens", "GET", f"/users/{u}/tokens", r)
    for name, owner in (("bob", "bob"), ("bob-self", "bob"), ("ada", "ada"), ("mia", "mia"),
                        ("rnd03", "dee")):
        cs.add(f"tokens.get.{name}", "tokens", "GET", f"/users/{owner}/tokens/{{{{id:{name}}}}}",
               A, 200)
    for tag, path in (("zzz", "/users/bob/tokens/zzz"), ("a0", "/users/bob/tokens/a0"),
                      ("a99999", "/users/bob/tokens/a99999"),
                      ("other-owner", "/users/bob/tokens/{{id:cyd}}"),
                      ("b-prefix", "/users/bob/tokens/b1"), ("nosuch-user", "/users/nosuch/tokens/a1"),
                      ("empty", "/users/bob/tokens/"), ("bare-number", "/users/bob/tokens/1")):
        cs.add(f"tokens.get.{tag}", "tokens", "GET", path, A)
    for r in ("bob", "cyd", "eve", "fay", "svc:filtered-svc"):
        cs.add(f"tokens.get.as.{r}", "tokens", "GET", "/users/bob/tokens/{{id:bob-self}}", r)
    # deprecated endpoints
    cs.add("tokens.authorizations.post", "tokens", "POST", "/authorizations/token", "ada", 404,
           body={})
    cs.add("tokens.authorizations.post.noauth", "tokens", "POST", "/authorizations/token", None,
           body={"username": "bob", "password": "x"})
    cs.add("tokens.authorizations.get.svc", "tokens", "GET",
           "/authorizations/token/{{secret:svc:bare-svc}}", "svc:reader-svc")
    cs.add("tokens.authorizations.get.bogus", "tokens", "GET",
           "/authorizations/token/0123456789abcdef0123456789abcdef", "svc:reader-svc", 404)
    cs.add("tokens.authorizations.get.noauth", "tokens", "GET",
           "/authorizations/token/{{secret:sentinel}}", None)
    cs.add("tokens.authorizations.get.sentinel", "tokens", "GET",
           "/authorizations/token/{{secret:sentinel}}", "svc:bare-svc")
    cs.add("tokens.authorizations.cookie", "tokens", "GET",
           "/authorizations/cookie/jupyterhub-hub-login/nothing", "svc:admin-svc")


# --- shares (read) ------------------------------------------------------------------------


def shares_read_cases(cs):
    A = "svc:admin-svc"
    paths = [
        "/shares/bob", "/shares/bob/", "/shares/bob/proj", "/shares/bob/data", "/shares/bob/nope",
        "/shares/nosuch", "/shares/nosuch/x", "/shares/eve/hw1", "/shares/cyd/lab",
        "/users/cyd/shared", "/users/eve/shared", "/users/jon/shared", "/users/bob/shared",
        "/users/nosuch/shared", "/users/ada/shared", "/users/dee/shared",
        "/groups/students/shared", "/groups/teachers/shared", "/groups/empty/shared",
        "/groups/nosuch/shared",
        "/users/cyd/shared/bob/proj", "/users/eve/shared/bob/", "/users/eve/shared/bob",
        "/users/cyd/shared/bob/data", "/users/cyd/shared/nosuch/x",
        "/groups/students/shared/bob/proj", "/groups/teachers/shared/cyd/lab",
        "/groups/students/shared/cyd/lab",
        "/share-codes/bob", "/share-codes/bob/proj", "/share-codes/bob/", "/share-codes/cyd/lab",
        "/share-codes/nosuch", "/share-codes/bob/nope",
    ]
    for p in paths:
        cs.add(f"shares.get.{p.lstrip('/').replace('/', '-')}", "shares", "GET", p, A)
    for tag, query in (("offset-1", {"offset": "1"}), ("limit-1", {"limit": "1"}),
                       ("limit-x", {"limit": "x"}), ("offset-5", {"offset": "5"})):
        cs.add(f"shares.list.{tag}", "shares", "GET", "/shares/bob", A, query=query)
        cs.add(f"shares.codes.{tag}", "shares", "GET", "/share-codes/bob", A, query=query)
        cs.add(f"shares.shared.{tag}", "shares", "GET", "/users/eve/shared", A, query=query)
    for r in ("bob", "cyd", "eve", "jon", "dee", "svc:filtered-svc", "bob-servers", "hal"):
        for p in ("/shares/bob/proj", "/share-codes/bob/proj", "/users/cyd/shared",
                  "/users/eve/shared/bob/", "/groups/students/shared",
                  "/groups/teachers/shared/cyd/lab"):
            cs.add(f"shares.get.as.{r}.{p.lstrip('/').replace('/', '-')}", "shares", "GET", p, r)


# --- proxy --------------------------------------------------------------------------------


def servers_cases(cs):
    """Starting servers and their progress, where both hubs answer before any spawn (a real
    spawn is compared in crates/hub/tests/it/spawn.rs against the contract, not here: the two
    hubs would start two different processes)."""
    A = "svc:admin-svc"
    S = "servers"
    cs.add("servers.start.no-such-user", S, "POST", "/users/nobody/server", A, 404)
    cs.add("servers.start.named.no-such-user", S, "POST", "/users/nobody/servers/proj", A, 404)
    cs.add("servers.start.other-user", S, "POST", "/users/bob/server", "eve")
    cs.add("servers.start.noauth", S, "POST", "/users/bob/server", None, 403)
    # Stopping bob's default server makes its record (both hubs), so that progress has one.
    cs.add("servers.stop.default.not-running", S, "DELETE", "/users/bob/server", A, 204)
    cs.add("servers.progress.not-starting", S, "GET", "/users/bob/server/progress", A, 400)
    cs.add("servers.progress.named.not-starting", S, "GET", "/users/bob/servers/proj/progress", A, 400)
    cs.add("servers.progress.no-such-user", S, "GET", "/users/nobody/server/progress", A, 404)
    cs.add("servers.progress.no-such-server", S, "GET", "/users/bob/servers/nope/progress", A)
    cs.add("servers.progress.other-user", S, "GET", "/users/bob/server/progress", "eve")
    cs.add("servers.progress.noauth", S, "GET", "/users/bob/server/progress", None, 403)
    cs.add("servers.stop.not-running", S, "DELETE", "/users/eve/server", A, 204)
    cs.add("servers.stop.named.not-running", S, "DELETE", "/users/bob/servers/proj", A, 204)


def proxy_cases(cs):
    A = "svc:admin-svc"
    cs.add("proxy.get", "proxy", "GET", "/proxy", A, 200)
    cs.add("proxy.get.page", "proxy", "GET", "/proxy", A, 200, headers=dict(PAGINATION))
    for tag, query in (("offset-1", {"offset": "1"}), ("limit-1", {"limit": "1"}),
                       ("limit-x", {"limit": "x"})):
        cs.add(f"proxy.get.{tag}", "proxy", "GET", "/proxy", A, query=query)
        cs.add(f"proxy.get.page.{tag}", "proxy", "GET", "/proxy", A, query=query,
               headers=dict(PAGINATION))
    cs.add("proxy.get.proxy-svc", "proxy", "GET", "/proxy", "svc:proxy-svc", 200)
    cs.add("proxy.get.bob", "proxy", "GET", "/proxy", "bob", 403)
    cs.add("proxy.get.noauth", "proxy", "GET", "/proxy", None, 403)
    cs.add("proxy.post", "proxy", "POST", "/proxy", "svc:proxy-svc", 200)
    cs.add("proxy.post.bob", "proxy", "POST", "/proxy", "bob", 403)
    cs.add("proxy.patch.nobody", "proxy", "PATCH", "/proxy", "svc:proxy-svc", 400)
    cs.add("proxy.patch.list", "proxy", "PATCH", "/proxy", "svc:proxy-svc", 400, body=[1])
    cs.add("proxy.patch.str", "proxy", "PATCH", "/proxy", "svc:proxy-svc", 400, body="x")
    cs.add("proxy.patch.badjson", "proxy", "PATCH", "/proxy", "svc:proxy-svc", 400, raw="{x")
    cs.add("proxy.patch.bob", "proxy", "PATCH", "/proxy", "bob", 403, body={})
    cs.add("proxy.delete", "proxy", "DELETE", "/proxy", "svc:proxy-svc")
    cs.add("proxy.get.after", "proxy", "GET", "/proxy", A, 200)


# --- users (write) ------------------------------------------------------------------------


def users_write_cases(cs, now):
    A = "svc:admin-svc"
    U = "users"
    # POST /users
    cs.add("users.create.nobody", U, "POST", "/users", A, 400)
    cs.add("users.create.empty-obj", U, "POST", "/users", A, 400, body={})
    cs.add("users.create.list", U, "POST", "/users", A, 400, body=[])
    cs.add("users.create.empty-names", U, "POST", "/users", A, 400, body={"usernames": []})
    cs.add("users.create.badjson", U, "POST", "/users", A, 400, raw="notjson")
    cs.add("users.create.badutf8", U, "POST", "/users", A, 400, raw=b"\xff\xfe",
           headers={"Content-Type": "application/json"})
    cs.add("users.create.invalid-one", U, "POST", "/users", A, 400,
           body={"usernames": ["a/b"]})
    cs.add("users.create.invalid-two", U, "POST", "/users", A, 400,
           body={"usernames": ["ok1", "a/b", " sp", "..", ""]})
    cs.add("users.create.exists-all", U, "POST", "/users", A, 409,
           body={"usernames": ["bob", "eve"]})
    cs.add("users.create.exists-upper", U, "POST", "/users", A, 409,
           body={"usernames": ["BOB"]})
    cs.add("users.create.bad-admin", U, "POST", "/users", A, 400,
           body={"usernames": ["pat"], "admin": "yes"})
    cs.add("users.create.bad-key", U, "POST", "/users", A, 400,
           body={"usernames": ["pat"], "nope": 1})
    cs.add("users.create.names-str", U, "POST", "/users", A, body={"usernames": "pat"})
    cs.add("users.create.bob", U, "POST", "/users", "bob", 403, body={"usernames": ["pat"]})
    cs.add("users.create.noauth", U, "POST", "/users", None, 403, body={"usernames": ["pat"]})
    cs.add("users.create.gus-admin", U, "POST", "/users", "gus", 403,
           body={"usernames": ["pat"], "admin": True})
    cs.add("users.create.some-exist", U, "POST", "/users", A, 201,
           body={"usernames": ["bob", "pat", "Quin", "pat"]})
    cs.add("users.create.gus", U, "POST", "/users", "gus", 201, body={"usernames": ["rex"]})
    cs.add("users.create.gus-token", U, "POST", "/users", "gus-admin-users", 201,
           body={"usernames": ["roy"], "admin": False})
    cs.add("users.create.ada-admin", U, "POST", "/users", "ada", 201,
           body={"usernames": ["sal"], "admin": True})
    cs.add("users.create.form-ct", U, "POST", "/users", A, 201, raw='{"usernames": ["tia"]}',
           headers={"Content-Type": "application/x-www-form-urlencoded"})
    cs.add("users.create.text-ct", U, "POST", "/users", A, raw='{"usernames": ["tom"]}',
           headers={"Content-Type": "text/plain"})
    cs.add("users.create.groups-key", U, "POST", "/users", A,
           body={"usernames": ["uma"], "groups": ["students"]})
    # POST /users/:name
    cs.add("users.create1.new", U, "POST", "/users/val", A, 201)
    cs.add("users.create1.exists", U, "POST", "/users/val", A, 409)
    # POST /users/:name does not normalise: VAL is a new user beside val
    cs.add("users.create1.upper", U, "POST", "/users/VAL", A, 201)
    cs.add("users.create1.admin", U, "POST", "/users/wes", A, 201, body={"admin": True})
    cs.add("users.create1.bad-admin", U, "POST", "/users/xia", A, 400, body={"admin": "x"})
    cs.add("users.create1.bad-key", U, "POST", "/users/xia", A, 400, body={"bogus": 1})
    cs.add("users.create1.name-key", U, "POST", "/users/xia", A, body={"name": "other"})
    cs.add("users.create1.list", U, "POST", "/users/yan", A, body=[])
    cs.add("users.create1.badjson", U, "POST", "/users/yan", A, 400, raw="{")
    cs.add("users.create1.invalid", U, "POST", "/users/%20lead", A, 400)
    cs.add("users.create1.dots", U, "POST", "/users/...", A, 400)
    cs.add("users.create1.bob", U, "POST", "/users/yen", "bob", 403)
    cs.add("users.create1.gus-admin", U, "POST", "/users/yen", "gus", 403, body={"admin": True})
    cs.add("users.create1.gus", U, "POST", "/users/yen", "gus", 201)
    cs.add("users.create1.mixed-case", U, "POST", "/users/Zoe", A, 201)
    cs.add("users.create1.groups", U, "POST", "/users/abe", A, body={"groups": ["staff"]})
    cs.add("users.create1.roles", U, "POST", "/users/abi", A, body={"roles": ["auditor"]})
    cs.add("users.list.after-create", U, "GET", "/users", A)
    # PATCH /users/:name
    cs.add("users.patch.admin-true", U, "PATCH", "/users/val", A, 200, body={"admin": True})
    cs.add("users.patch.admin-false", U, "PATCH", "/users/val", A, 200, body={"admin": False})
    cs.add("users.patch.rename", U, "PATCH", "/users/val", A, 200, body={"name": "val2"})
    cs.add("users.patch.rename-back-get", U, "GET", "/users/val", A, 404)
    cs.add("users.patch.rename-exists", U, "PATCH", "/users/val2", A, 400, body={"name": "bob"})
    cs.add("users.patch.rename-upper", U, "PATCH", "/users/val2", A, body={"name": "VAL3"})
    cs.add("users.patch.rename-invalid", U, "PATCH", "/users/val3", A, 400, body={"name": "a/b"})
    # the new name normalises to the current one, which exists
    cs.add("users.patch.rename-upper-self", U, "PATCH", "/users/val3", A, 400,
           body={"name": "VAL3"})
    cs.add("users.patch.bad-key", U, "PATCH", "/users/val3", A, 400, body={"nope": 1})
    cs.add("users.patch.bad-type", U, "PATCH", "/users/val3", A, 400, body={"admin": "yes"})
    cs.add("users.patch.bad-name-type", U, "PATCH", "/users/val3", A, 400, body={"name": 5})
    cs.add("users.patch.badjson", U, "PATCH", "/users/val3", A, 400, raw="[")
    cs.add("users.patch.nobody", U, "PATCH", "/users/val3", A)
    cs.add("users.patch.empty", U, "PATCH", "/users/val3", A, body={})
    cs.add("users.patch.list", U, "PATCH", "/users/val3", A, body=[])
    cs.add("users.patch.nosuch", U, "PATCH", "/users/nosuch", A, 404, body={"admin": False})
    cs.add("users.patch.auth-state", U, "PATCH", "/users/val3", A, 200,
           body={"auth_state": {"token": "x", "n": [1, 2]}})
    cs.add("users.patch.auth-state-get", U, "GET", "/users/val3", A, 200)
    cs.add("users.patch.auth-state-get-gus", U, "GET", "/users/val3", "gus", 200)
    cs.add("users.patch.auth-state-list", U, "GET", "/users", A, query={"name_filter": "val"})
    cs.add("users.patch.auth-state-null", U, "PATCH", "/users/val3", A, 400,
           body={"auth_state": None})
    cs.add("users.patch.bob", U, "PATCH", "/users/val3", "bob", 403, body={"admin": False})
    cs.add("users.patch.gus-admin", U, "PATCH", "/users/val3", "gus", 403, body={"admin": True})
    cs.add("users.patch.gus-other-admin", U, "PATCH", "/users/mia", "gus", 403,
           body={"name": "mia2"})
    cs.add("users.patch.gus-ok", U, "PATCH", "/users/val3", "gus", 200, body={"name": "val4"})
    cs.add("users.patch.groups", U, "PATCH", "/users/val4", A, body={"groups": ["students"]})
    # activity
    future = iso(now + timedelta(minutes=50))
    far = iso(now + timedelta(minutes=90))
    past = iso(now - timedelta(days=1))
    cs.add("users.activity.empty", U, "POST", "/users/bob/activity", A, 400, body={})
    cs.add("users.activity.nobody", U, "POST", "/users/bob/activity", A)
    cs.add("users.activity.badjson", U, "POST", "/users/bob/activity", A, 400, raw="{")
    cs.add("users.activity.bad-ts", U, "POST", "/users/bob/activity", A, 400,
           body={"last_activity": "yesterday"})
    cs.add("users.activity.int-ts", U, "POST", "/users/bob/activity", A,
           body={"last_activity": 5})
    cs.add("users.activity.far-future", U, "POST", "/users/bob/activity", A, 400,
           body={"last_activity": far})
    cs.add("users.activity.past", U, "POST", "/users/bob/activity", A, 200,
           body={"last_activity": past})
    cs.add("users.activity.past-get", U, "GET", "/users/bob", A)
    cs.add("users.activity.future", U, "POST", "/users/jon/activity", A, 200,
           body={"last_activity": future})
    cs.add("users.activity.sorted", U, "GET", "/users", A, query={"sort": "-last_activity"})
    cs.add("users.activity.no-such-server", U, "POST", "/users/bob/activity", A, 400,
           body={"servers": {"nope": {"last_activity": past}}})
    cs.add("users.activity.servers-list", U, "POST", "/users/bob/activity", A, 400,
           body={"servers": ["proj"]})
    cs.add("users.activity.servers-bad-inner", U, "POST", "/users/bob/activity", A,
           body={"servers": {"proj": "now"}})
    cs.add("users.activity.servers-no-ts", U, "POST", "/users/bob/activity", A,
           body={"servers": {"proj": {}}})
    cs.add("users.activity.servers", U, "POST", "/users/bob/activity", A, 200,
           body={"servers": {"proj": {"last_activity": future}, "": {"last_activity": past}}})
    cs.add("users.activity.servers-get", U, "GET", "/users/bob", A,
           query="include_stopped_servers")
    cs.add("users.activity.nosuch", U, "POST", "/users/nosuch/activity", A, 404,
           body={"last_activity": past})
    cs.add("users.activity.bob-self", U, "POST", "/users/bob/activity", "bob", 200,
           body={"last_activity": past})
    cs.add("users.activity.bob-other", U, "POST", "/users/cyd/activity", "bob", 404,
           body={"last_activity": past})
    cs.add("users.activity.teacher", U, "POST", "/users/eve/activity", "cyd", 200,
           body={"last_activity": past})
    cs.add("users.activity.teacher-nonstudent", U, "POST", "/users/bob/activity", "cyd", 404,
           body={"last_activity": past})
    cs.add("users.activity.noauth", U, "POST", "/users/bob/activity", None, 403,
           body={"last_activity": past})
    cs.add("users.activity.get", U, "GET", "/users/bob/activity", A)
    # admin-access (deprecated)
    cs.add("users.admin-access", U, "POST", "/users/bob/admin-access", A)
    cs.add("users.admin-access.bob", U, "POST", "/users/bob/admin-access", "bob")
    # servers (non-spawning): create, rename, delete stopped named servers
    cs.add("users.server.put.new", U, "PUT", "/users/eve/servers/hw2", A, 201, body={})
    cs.add("users.server.put.nobody", U, "PUT", "/users/eve/servers/hw3", A)
    cs.add("users.server.put.exists", U, "PUT", "/users/eve/servers/hw2", A, 409, body={})
    cs.add("users.server.put.default", U, "PUT", "/users/eve/servers/", A, body={})
    cs.add("users.server.put.bad-name", U, "PUT", "/users/eve/servers/Bad_Name", A, 400, body={})
    cs.add("users.server.put.dashes", U, "PUT", "/users/eve/servers/a--b", A, body={})
    cs.add("users.server.put.long", U, "PUT", "/users/eve/servers/" + "a" * 31, A, body={})
    cs.add("users.server.put.digit", U, "PUT", "/users/eve/servers/1abc", A, body={})
    cs.add("users.server.put.display", U, "PUT", "/users/eve/servers/hw4", A,
           body={"display_name": "Home work 4", "user_options": {"k": [1]}})
    cs.add("users.server.put.bad-display", U, "PUT", "/users/eve/servers/hw5", A,
           body={"display_name": " lead"})
    cs.add("users.server.put.bad-options", U, "PUT", "/users/eve/servers/hw6", A,
           body={"user_options": "x"})
    cs.add("users.server.put.nosuch", U, "PUT", "/users/nosuch/servers/x", A, body={})
    cs.add("users.server.put.self", U, "PUT", "/users/eve/servers/own", "eve", 201, body={})
    cs.add("users.server.put.other", U, "PUT", "/users/eve/servers/other", "ada-readhub", 403,
           body={})
    cs.add("users.server.put.other-filtered", U, "PUT", "/users/eve/servers/other", "jon", 404,
           body={})
    cs.add("users.server.put.teacher", U, "PUT", "/users/eve/servers/byteach", "cyd", body={})
    cs.add("users.server.list", U, "GET", "/users/eve", A, query="include_stopped_servers")
    cs.add("users.server.patch.rename", U, "PATCH", "/users/eve/servers/hw2", A, 200,
           body={"name": "hw2b"})
    cs.add("users.server.patch.display", U, "PATCH", "/users/eve/servers/hw2b", A, 200,
           body={"display_name": "HW 2"})
    cs.add("users.server.patch.empty", U, "PATCH", "/users/eve/servers/hw2b", A, 400, body={})
    cs.add("users.server.patch.nosuch", U, "PATCH", "/users/eve/servers/zz", A, 404,
           body={"display_name": "x"})
    cs.add("users.server.patch.exists", U, "PATCH", "/users/eve/servers/hw2b", A, 409,
           body={"name": "hw1"})
    cs.add("users.server.patch.bad-name", U, "PATCH", "/users/eve/servers/hw2b", A,
           body={"name": "Bad Name"})
    cs.add("users.server.patch.options", U, "PATCH", "/users/eve/servers/hw2b", A,
           body={"user_options": {"a": 1}})
    # JupyterHub 6.1.1: an unsupported key fails with 500 (set.join), api reference 10.10
    cs.add("users.server.patch.bad-key", U, "PATCH", "/users/eve/servers/hw2b", A, 500,
           body={"nope": 1})
    cs.add("users.server.get.renamed", U, "GET", "/users/eve/servers/hw2b", A)
    cs.add("users.server.delete.remove", U, "DELETE", "/users/eve/servers/hw2b", A,
           body={"remove": True})
    cs.add("users.server.delete.stop-only", U, "DELETE", "/users/eve/servers/own", A)
    cs.add("users.server.delete.nosuch", U, "DELETE", "/users/eve/servers/zz", A, 404)
    cs.add("users.server.delete.default-remove", U, "DELETE", "/users/eve/server", A,
           body={"remove": True})
    cs.add("users.server.delete.default", U, "DELETE", "/users/eve/server", A, 204)
    cs.add("users.server.delete.other", U, "DELETE", "/users/eve/servers/own", "ada-readhub", 403)
    cs.add("users.server.list.after", U, "GET", "/users/eve", A, query="include_stopped_servers")
    # DELETE /users/:name
    cs.add("users.delete.bob-other", U, "DELETE", "/users/yan", "bob", 403)
    cs.add("users.delete.noauth", U, "DELETE", "/users/yan", None, 403)
    cs.add("users.delete.nosuch", U, "DELETE", "/users/nosuch", A, 404)
    cs.add("users.delete.yan", U, "DELETE", "/users/yan", A, 204)
    cs.add("users.delete.yan-again", U, "DELETE", "/users/yan", A, 404)
    cs.add("users.delete.gus", U, "DELETE", "/users/roy", "gus", 204)
    cs.add("users.delete.self", U, "DELETE", "/users/gus", "gus", 400)
    cs.add("users.delete.upper", U, "DELETE", "/users/REX", A)
    cs.add("users.delete.with-body", U, "DELETE", "/users/Quin", A, body={"x": 1})
    cs.add("users.list.after-delete", U, "GET", "/users", A, headers=dict(PAGINATION))
    cs.add("users.list.after-delete-inactive", U, "GET", "/users", A,
           query={"state": "inactive", "sort": "-id"})


# --- groups (write) -----------------------------------------------------------------------


def groups_write_cases(cs):
    A = "svc:admin-svc"
    G = "groups"
    cs.add("groups.create.nobody", G, "POST", "/groups", A, 400)
    cs.add("groups.create.empty", G, "POST", "/groups", A, 400, body={"groups": []})
    cs.add("groups.create.noobj", G, "POST", "/groups", A, body={})
    cs.add("groups.create.badjson", G, "POST", "/groups", A, 400, raw="{x")
    cs.add("groups.create.exists", G, "POST", "/groups", A, 409, body={"groups": ["students"]})
    cs.add("groups.create.nosuch-user", G, "POST", "/groups", A, 400,
           body={"groups": ["g-new"], "users": ["nosuch"]})
    cs.add("groups.create.after-nosuch", G, "GET", "/groups/g-new", A)
    cs.add("groups.create.bad-key", G, "POST", "/groups", A, body={"groups": ["g-x"], "bad": 1})
    cs.add("groups.create.names-str", G, "POST", "/groups", A, body={"groups": "g-str"})
    cs.add("groups.create.invalid-name", G, "POST", "/groups", A, body={"groups": ["a/b"]})
    cs.add("groups.create.ok", G, "POST", "/groups", A, 201,
           body={"groups": ["g1", "g2"], "users": ["bob", "eve"]})
    cs.add("groups.create.bob", G, "POST", "/groups", "bob", 403, body={"groups": ["g3"]})
    cs.add("groups.create.hal", G, "POST", "/groups", "hal", 201, body={"groups": ["g3"]})
    cs.add("groups.create.svc", G, "POST", "/groups", "svc:groups-svc", 201,
           body={"groups": ["g4"]})
    cs.add("groups.create1.new", G, "POST", "/groups/g5", A, 201)
    cs.add("groups.create1.users", G, "POST", "/groups/g6", A, 201, body={"users": ["dee"]})
    cs.add("groups.create1.exists", G, "POST", "/groups/g5", A, 409)
    cs.add("groups.create1.nosuch-user", G, "POST", "/groups/g7", A, body={"users": ["nosuch"]})
    cs.add("groups.create1.bad-key", G, "POST", "/groups/g8", A, body={"nope": []})
    cs.add("groups.create1.properties", G, "POST", "/groups/g9", A,
           body={"properties": {"a": 1}})
    cs.add("groups.create1.hal", G, "POST", "/groups/g10", "hal", 201)
    cs.add("groups.create1.bob", G, "POST", "/groups/g11", "bob", 403)
    cs.add("groups.list.after-create", G, "GET", "/groups", A)
    # members
    cs.add("groups.add.nobody", G, "POST", "/groups/g1/users", A, 400, body={})
    cs.add("groups.add.empty", G, "POST", "/groups/g1/users", A, 200, body={"users": []})
    cs.add("groups.add.nosuch-user", G, "POST", "/groups/g1/users", A,
           body={"users": ["nosuch"]})
    cs.add("groups.add.nosuch-group", G, "POST", "/groups/nosuch/users", A, 404,
           body={"users": ["bob"]})
    cs.add("groups.add.ok", G, "POST", "/groups/g1/users", A, 200,
           body={"users": ["cyd", "bob", "jon"]})
    cs.add("groups.add.again", G, "POST", "/groups/g1/users", A, 200, body={"users": ["cyd"]})
    cs.add("groups.add.bob", G, "POST", "/groups/g1/users", "bob", 403, body={"users": ["kim"]})
    cs.add("groups.add.hal", G, "POST", "/groups/g1/users", "hal-groups", 200,
           body={"users": ["kim"]})
    cs.add("groups.add.teacher", G, "POST", "/groups/students/users", "cyd",
           body={"users": ["kim"]})
    cs.add("groups.remove.ok", G, "DELETE", "/groups/g1/users", A, 200, body={"users": ["bob"]})
    cs.add("groups.remove.nonmember", G, "DELETE", "/groups/g1/users", A,
           body={"users": ["ada"]})
    cs.add("groups.remove.empty", G, "DELETE", "/groups/g1/users", A, 200, body={"users": []})
    cs.add("groups.remove.nobody", G, "DELETE", "/groups/g1/users", A, 400)
    cs.add("groups.remove.nosuch-user", G, "DELETE", "/groups/g1/users", A,
           body={"users": ["nosuch"]})
    cs.add("groups.get.g1", G, "GET", "/groups/g1", A)
    cs.add("groups.user.g1-member", G, "GET", "/users/cyd", A)
    # properties
    for tag, body, raw in (("empty-str", NO_BODY, ""), ("str", "str", None), ("int", 5, None),
                           ("list", ["list"], None), ("badjson", NO_BODY, "{")):
        cs.add(f"groups.props.{tag}", G, "PUT", "/groups/g1/properties", A, body=body, raw=raw)
    cs.add("groups.props.ok", G, "PUT", "/groups/g1/properties", A, 200,
           body={"str": "x", "int": 5, "list": ["a"], "nested": {"b": None}})
    cs.add("groups.props.replace", G, "PUT", "/groups/g1/properties", A, 200, body={"only": True})
    cs.add("groups.props.empty-obj", G, "PUT", "/groups/g2/properties", A, body={})
    cs.add("groups.props.nosuch", G, "PUT", "/groups/nosuch/properties", A, 404, body={"a": 1})
    cs.add("groups.props.bob", G, "PUT", "/groups/g1/properties", "bob", 403, body={"a": 1})
    cs.add("groups.props.get", G, "GET", "/groups/g1", A)
    cs.add("groups.props.get-names", G, "GET", "/groups/g1", "bob")
    # delete
    cs.add("groups.delete.bob", G, "DELETE", "/groups/g2", "bob", 403)
    cs.add("groups.delete.nosuch", G, "DELETE", "/groups/nosuch", A, 404)
    cs.add("groups.delete.ok", G, "DELETE", "/groups/g2", A, 204)
    cs.add("groups.delete.again", G, "DELETE", "/groups/g2", A, 404)
    cs.add("groups.delete.hal", G, "DELETE", "/groups/g3", "hal", 204)
    cs.add("groups.delete.hal-token", G, "DELETE", "/groups/g4", "hal-groups", 403)
    cs.add("groups.user.after-delete", G, "GET", "/users/eve", A)
    cs.add("groups.list.after-delete", G, "GET", "/groups", A, headers=dict(PAGINATION))


# --- services (write) ---------------------------------------------------------------------


def services_write_cases(cs):
    A = "svc:admin-svc"
    S = "services"
    cs.add("services.create.bob", S, "POST", "/services/new1", "bob", 403, body={})
    cs.add("services.create.nobody", S, "POST", "/services/new1", A)
    cs.add("services.create.empty", S, "POST", "/services/new1", A, body={})
    cs.add("services.create.list", S, "POST", "/services/new1", A, body=[])
    cs.add("services.create.exists", S, "POST", "/services/reader-svc", A, 409, body={"x": 1})
    cs.add("services.create.bad-key", S, "POST", "/services/new1", A, body={"nope": 1})
    cs.add("services.create.managed", S, "POST", "/services/new1", A, 400,
           body={"command": ["sleep", "10"]})
    cs.add("services.create.bad-type", S, "POST", "/services/new1", A, body={"admin": "yes"})
    cs.add("services.create.ok", S, "POST", "/services/new1", A, 201,
           body={"info": {"foo": "bar"}, "display": False})
    cs.add("services.create.get", S, "GET", "/services/new1", A, 200)
    cs.add("services.create.with-token", S, "POST", "/services/new2", A, 201,
           body={"api_token": "0123456789abcdef0123456789abcd99", "admin": False})
    cs.add("services.create.admin", S, "POST", "/services/new3", A, 201, body={"admin": True})
    cs.add("services.create.oauth", S, "POST", "/services/new4", A, 201,
           body={"oauth_client_id": "service-new4",
                 "oauth_redirect_uri": "http://127.0.0.1:5555/oauth_callback-from-api",
                 "oauth_no_confirm": True, "oauth_client_allowed_scopes": ["inherit"]})
    cs.add("services.create.list-after", S, "GET", "/services", A, 200)
    cs.add("services.create.user-new2", S, "GET", "/user", None,
           headers={"Authorization": "token 0123456789abcdef0123456789abcd99"})
    cs.add("services.delete.config", S, "DELETE", "/services/reader-svc", A, 405)
    cs.add("services.delete.nosuch", S, "DELETE", "/services/nosuch", A, 404)
    cs.add("services.delete.bob", S, "DELETE", "/services/new1", "bob", 403)
    cs.add("services.delete.ok", S, "DELETE", "/services/new1", A, 200)
    cs.add("services.delete.again", S, "DELETE", "/services/new1", A, 404)
    cs.add("services.delete.get", S, "GET", "/services/new1", A, 404)
    cs.add("services.list.after-delete", S, "GET", "/services", A, 200)


# --- tokens (write) -----------------------------------------------------------------------


def tokens_write_cases(cs):
    A = "svc:admin-svc"
    T = "tokens"
    P = "/users/bob/tokens"
    cs.add("tokens.create.bob-self", T, "POST", P, "bob", 201, body={"note": "mine"},
           capture={"secret:bob-new": ("token",), "id:bob-new": ("id",)})
    cs.add("tokens.create.bob-new-user", T, "GET", "/user", "bob-new", 200)
    cs.add("tokens.create.nobody", T, "POST", P, "bob", 201)
    cs.add("tokens.create.empty", T, "POST", P, "bob", 201, body={})
    cs.add("tokens.create.by-admin-svc", T, "POST", P, A, 201, body={"note": "x"})
    cs.add("tokens.create.by-ada", T, "POST", P, "ada", 201)
    cs.add("tokens.create.by-cyd", T, "POST", P, "cyd", 201, body={"scopes": ["read:users!user=bob"]})
    cs.add("tokens.create.for-cyd-by-bob", T, "POST", "/users/cyd/tokens", "bob", 403, body={})
    cs.add("tokens.create.for-nosuch", T, "POST", "/users/nosuch/tokens", A, body={})
    cs.add("tokens.create.for-nosuch-bob", T, "POST", "/users/nosuch/tokens", "bob", body={})
    cs.add("tokens.create.by-service-no-scope", T, "POST", P, "svc:bare-svc", 403, body={})
    cs.add("tokens.create.by-fay-eve", T, "POST", "/users/eve/tokens", "fay", 201, body={},
           capture={"id:fay-eve": ("id",)})
    cs.add("tokens.create.by-fay-dee", T, "POST", "/users/dee/tokens", "fay", 403, body={})
    cs.add("tokens.create.by-filtered-svc", T, "POST", "/users/eve/tokens", "svc:filtered-svc",
           201, body={"scopes": ["read:users:name!user=eve"]})
    cs.add("tokens.create.by-filtered-svc-bob", T, "POST", P, "svc:filtered-svc", 403, body={})
    cs.add("tokens.create.roles-str", T, "POST", P, "bob", 400, body={"roles": "user"})
    cs.add("tokens.create.roles-ints", T, "POST", P, "bob", 400, body={"roles": [1]})
    cs.add("tokens.create.roles-nosuch", T, "POST", P, "bob", body={"roles": ["nosuch"]})
    cs.add("tokens.create.roles-admin", T, "POST", P, "bob", body={"roles": ["admin"]})
    cs.add("tokens.create.roles-and-scopes", T, "POST", P, "bob",
           body={"roles": ["user"], "scopes": ["read:users!user=bob"]})
    cs.add("tokens.create.expires-str", T, "POST", P, "bob", 400, body={"expires_in": "x"})
    cs.add("tokens.create.expires-float", T, "POST", P, "bob", body={"expires_in": 1.5})
    cs.add("tokens.create.expires-neg", T, "POST", P, "bob", body={"expires_in": -5})
    cs.add("tokens.create.expires-zero", T, "POST", P, "bob", body={"expires_in": 0})
    cs.add("tokens.create.expires-null", T, "POST", P, "bob", 201, body={"expires_in": None})
    cs.add("tokens.create.expires-bool", T, "POST", P, "bob", body={"expires_in": True})
    cs.add("tokens.create.expires-ok", T, "POST", P, "bob", 201, body={"expires_in": 3600})
    cs.add("tokens.create.not-held", T, "POST", P, "bob", 400, body={"scopes": ["admin:users"]})
    cs.add("tokens.create.not-held-2", T, "POST", P, A, 400,
           body={"scopes": ["admin:users", "read:hub", "list:users"]})
    cs.add("tokens.create.not-held-filtered", T, "POST", P, "bob", 400,
           body={"scopes": ["read:users!user=cyd"]})
    cs.add("tokens.create.unknown-scope", T, "POST", P, "bob", 400,
           body={"scopes": ["no:such:scope"]})
    cs.add("tokens.create.unknown-filter", T, "POST", P, "bob",
           body={"scopes": ["read:users!nope=bob"]})
    cs.add("tokens.create.scopes-str", T, "POST", P, "bob", body={"scopes": "read:users"})
    cs.add("tokens.create.scopes-empty", T, "POST", P, "bob", 201, body={"scopes": []})
    cs.add("tokens.create.scopes-self", T, "POST", P, "bob", 201, body={"scopes": ["self"]})
    cs.add("tokens.create.scopes-inherit", T, "POST", P, "bob", 201, body={"scopes": ["inherit"]})
    cs.add("tokens.create.scopes-all", T, "POST", P, "bob", body={"scopes": ["all"]})
    cs.add("tokens.create.scopes-custom", T, "POST", P, "bob", 201,
           body={"scopes": ["custom:grades:read"]})
    cs.add("tokens.create.scopes-custom-not-held", T, "POST", P, "bob", 400,
           body={"scopes": ["custom:grades:write"]})
    cs.add("tokens.create.scopes-group-filter", T, "POST", P, "bob", 201,
           body={"scopes": ["read:users!group=students"]})
    cs.add("tokens.create.scopes-bare-user", T, "POST", P, "bob", body={"scopes": ["read:users!user"]})
    cs.add("tokens.create.scopes-server", T, "POST", P, "bob", 201,
           body={"scopes": ["access:servers!server=bob/proj"]})
    cs.add("tokens.create.scopes-server-other", T, "POST", P, "bob",
           body={"scopes": ["access:servers!server=cyd/lab"]})
    cs.add("tokens.create.note-int", T, "POST", P, "bob", body={"note": 5})
    cs.add("tokens.create.note-long", T, "POST", P, "bob", body={"note": "n" * 1100})
    cs.add("tokens.create.bad-key", T, "POST", P, "bob", body={"nope": 1})
    cs.add("tokens.create.badjson", T, "POST", P, "bob", 400, raw="{")
    cs.add("tokens.create.list", T, "POST", P, "bob", body=[])
    cs.add("tokens.create.with-self-token", T, "POST", P, "bob-self", 201, body={})
    cs.add("tokens.create.with-limited-token", T, "POST", P, "bob-servers", body={})
    cs.add("tokens.create.auth-noauth", T, "POST", P, None,
           body={"auth": {"username": "bob", "password": "x"}})
    cs.add("tokens.create.auth-other", T, "POST", P, None,
           body={"auth": {"username": "cyd", "password": "x"}})
    cs.add("tokens.create.noauth", T, "POST", P, None, 403, body={})
    cs.add("tokens.create.bogus", T, "POST", P, "bogus", 403, body={})
    cs.add("tokens.create.form-ct", T, "POST", P, "bob", 201, raw='{"note": "form"}',
           headers={"Content-Type": "application/x-www-form-urlencoded"})
    cs.add("tokens.list.bob-after", T, "GET", P, A, 200)
    # delete (never the highest id: the sentinel and the tokens above come later)
    cs.add("tokens.delete.bob", T, "DELETE", "/users/bob/tokens/{{id:bob-roles}}", "bob", 204)
    cs.add("tokens.delete.bob-again", T, "DELETE", "/users/bob/tokens/{{id:bob-roles}}", "bob", 404)
    cs.add("tokens.delete.use-deleted", T, "GET", "/user", "bob-roles", 403)
    cs.add("tokens.delete.other-owner", T, "DELETE", "/users/bob/tokens/{{id:cyd}}", A, 404)
    cs.add("tokens.delete.zzz", T, "DELETE", "/users/bob/tokens/zzz", A, 404)
    cs.add("tokens.delete.nosuch-user", T, "DELETE", "/users/nosuch/tokens/a1", A)
    cs.add("tokens.delete.by-cyd", T, "DELETE", "/users/bob/tokens/{{id:cyd-bob}}", "cyd", 404)
    cs.add("tokens.delete.by-cyd-bob", T, "DELETE", "/users/bob/tokens/{{id:bob-servers}}",
           "cyd", 204)
    cs.add("tokens.delete.by-eve", T, "DELETE", "/users/bob/tokens/{{id:bob-self}}", "eve", 404)
    cs.add("tokens.delete.by-ada-readhub", T, "DELETE", "/users/bob/tokens/{{id:bob-self}}",
           "ada-readhub", 403)
    cs.add("tokens.delete.by-fay", T, "DELETE", "/users/eve/tokens/{{id:fay-eve}}", "fay", 204)
    cs.add("tokens.delete.no-scope", T, "DELETE", "/users/dee/tokens/{{id:dee-list}}",
           "dee-list", 403)
    cs.add("tokens.delete.self", T, "DELETE", "/users/bob/tokens/{{id:bob-new}}", "bob-new", 204)
    cs.add("tokens.delete.self-after", T, "GET", "/user", "bob-new", 403)
    cs.add("tokens.delete.noauth", T, "DELETE", "/users/bob/tokens/{{id:bob-self}}", None, 403)
    cs.add("tokens.list.after-delete", T, "GET", "/users/bob/tokens", A, 200)
    cs.add("tokens.list.eve-after", T, "GET", "/users/eve/tokens", A, 200)


# --- shares (write) -----------------------------------------------------------------------


def shares_write_cases(cs):
    A = "svc:admin-svc"
    S = "shares"
    P = "/shares/bob/data"
    cs.add("shares.post.user", S, "POST", P, "bob", 200, body={"user": "kim"})
    cs.add("shares.post.again-union", S, "POST", P, "bob", 200,
           body={"user": "kim", "scopes": ["read:servers"]})
    cs.add("shares.post.group", S, "POST", P, "bob", 200, body={"group": "graders"})
    cs.add("shares.post.both", S, "POST", P, "bob", 400, body={"user": "kim", "group": "graders"})
    cs.add("shares.post.neither", S, "POST", P, "bob", 400, body={})
    cs.add("shares.post.nobody", S, "POST", P, "bob", 400)
    cs.add("shares.post.badjson", S, "POST", P, "bob", 400, raw="{")
    cs.add("shares.post.extra", S, "POST", P, "bob", 400, body={"user": "kim", "x": 1})
    cs.add("shares.post.user-int", S, "POST", P, "bob", 400, body={"user": 5})
    cs.add("shares.post.scopes-str", S, "POST", P, "bob", 400,
           body={"user": "kim", "scopes": "read:servers"})
    cs.add("shares.post.scopes-null", S, "POST", P, "bob", 200, body={"user": "lee", "scopes": None})
    cs.add("shares.post.scopes-empty", S, "POST", P, "bob", 200, body={"user": "mia", "scopes": []})
    cs.add("shares.post.nosuch-user", S, "POST", P, "bob", 400, body={"user": "nosuch"})
    cs.add("shares.post.nosuch-group", S, "POST", P, "bob", 400, body={"group": "nosuch"})
    cs.add("shares.post.self", S, "POST", P, "bob", body={"user": "bob"})
    cs.add("shares.post.nosuch-server", S, "POST", "/shares/bob/nope", "bob", 404,
           body={"user": "kim"})
    cs.add("shares.post.nosuch-owner", S, "POST", "/shares/nosuch/x", A, 404, body={"user": "kim"})
    cs.add("shares.post.other-filter", S, "POST", P, "bob", 400,
           body={"user": "kim", "scopes": ["access:servers!server=bob/proj"]})
    cs.add("shares.post.user-filter", S, "POST", P, "bob", 400,
           body={"user": "kim", "scopes": ["access:servers!user=bob"]})
    cs.add("shares.post.own-filter", S, "POST", P, "bob", 200,
           body={"user": "jon", "scopes": ["access:servers!server=bob/data"]})
    # JupyterHub 6.1.1: an unknown scope name is a 500 (ScopeNotFound is a KeyError), rbac 6.3
    cs.add("shares.post.unknown-scope", S, "POST", P, "bob", 500,
           body={"user": "jon", "scopes": ["no:such:scope"]})
    cs.add("shares.post.not-held", S, "POST", P, "bob", 403,
           body={"user": "jon", "scopes": ["admin:servers"]})
    cs.add("shares.post.by-name-no-scope", S, "POST", "/shares/eve/hw1", "eve-shares", 200,
           body={"user": "kim"})
    cs.add("shares.post.by-name-no-read", S, "POST", P, "ada-shares", 403, body={"user": "kim"})
    cs.add("shares.post.by-group-no-read", S, "POST", P, "ada-shares-users", 403,
           body={"group": "graders"})
    cs.add("shares.post.by-name-read", S, "POST", P, "ada-shares-users", 200, body={"user": "kim"})
    cs.add("shares.post.by-other", S, "POST", P, "eve", 404, body={"user": "kim"})
    cs.add("shares.post.by-helper", S, "POST", "/shares/bob/proj", "cyd", 200, body={"user": "jon"})
    cs.add("shares.post.by-filtered-svc", S, "POST", "/shares/bob/proj", "svc:filtered-svc",
           body={"user": "kim"})
    cs.add("shares.post.by-filtered-svc-data", S, "POST", P, "svc:filtered-svc", 404,
           body={"user": "kim"})
    cs.add("shares.post.noauth", S, "POST", P, None, 403, body={"user": "kim"})
    cs.add("shares.post.default", S, "POST", "/shares/bob/", "bob", 200, body={"group": "staff"})
    cs.add("shares.post.owner-only", S, "POST", "/shares/bob", "bob", 405, body={"user": "kim"})
    cs.add("shares.patch.owner-only", S, "PATCH", "/shares/bob", "bob", 405, body={"user": "kim"})
    cs.add("shares.delete.owner-only", S, "DELETE", "/shares/bob", "bob", 405)
    cs.add("shares.get.after-post", S, "GET", P, "bob", 200)
    cs.add("shares.get.kim-shared", S, "GET", "/users/kim/shared", A, 200)
    cs.add("shares.get.kim-user", S, "GET", "/user", "kim", 200)
    cs.add("shares.get.jon-user", S, "GET", "/user", "jon", 200)
    # patch (revoke)
    cs.add("shares.patch.some", S, "PATCH", P, "bob", 200,
           body={"user": "kim", "scopes": ["read:servers!server=bob/data"]})
    cs.add("shares.patch.unfiltered", S, "PATCH", P, "bob", 200,
           body={"user": "kim", "scopes": ["access:servers"]})
    cs.add("shares.patch.all", S, "PATCH", P, "bob", 200, body={"user": "kim"})
    cs.add("shares.patch.missing", S, "PATCH", P, "bob", 200, body={"user": "kim"})
    cs.add("shares.patch.nosuch-user", S, "PATCH", P, "bob", 200, body={"user": "nosuch"})
    cs.add("shares.patch.group", S, "PATCH", P, "bob", 200,
           body={"group": "graders", "scopes": ["access:servers!server=bob/data"]})
    cs.add("shares.patch.both", S, "PATCH", P, "bob", 400, body={"user": "kim", "group": "x"})
    cs.add("shares.patch.by-other", S, "PATCH", P, "eve", 404, body={"user": "lee"})
    cs.add("shares.get.after-patch", S, "GET", P, A, 200)
    # revoking what one received
    cs.add("shares.received.delete-other", S, "DELETE", "/users/lee/shared/bob/data", "bob", 404)
    cs.add("shares.received.delete-self", S, "DELETE", "/users/lee/shared/bob/data", "lee", 204)
    cs.add("shares.received.delete-again", S, "DELETE", "/users/lee/shared/bob/data", "lee", 404)
    cs.add("shares.received.delete-default", S, "DELETE", "/users/eve/shared/bob/", "eve", 204)
    cs.add("shares.received.group-delete", S, "DELETE", "/groups/staff/shared/bob/", "hal", 204)
    cs.add("shares.received.group-delete-bob", S, "DELETE", "/groups/graders/shared/bob/data",
           "bob", 404)
    cs.add("shares.received.group-delete-nosuch", S, "DELETE", "/groups/nosuch/shared/bob/data",
           A, 404)
    cs.add("shares.delete.all", S, "DELETE", P, "bob", 204)
    cs.add("shares.delete.all-again", S, "DELETE", P, "bob", 204)
    cs.add("shares.get.after-delete", S, "GET", "/shares/bob", A, 200)
    # share codes
    C = "/share-codes/bob/data"
    cs.add("shares.code.create", S, "POST", C, "bob", 200, body={},
           capture={"code:new1": ("code",), "codeid:new1": ("id",)})
    cs.add("shares.code.create-nobody", S, "POST", C, "bob")
    cs.add("shares.code.create-expires", S, "POST", C, "bob", 200, body={"expires_in": 60},
           capture={"code:new2": ("code",), "codeid:new2": ("id",)})
    cs.add("shares.code.expires-small", S, "POST", C, "bob", 400, body={"expires_in": 59})
    cs.add("shares.code.expires-big", S, "POST", C, "bob", 400, body={"expires_in": 31536001})
    cs.add("shares.code.expires-str", S, "POST", C, "bob", 400, body={"expires_in": "x"})
    cs.add("shares.code.expires-zero", S, "POST", C, "bob", body={"expires_in": 0})
    cs.add("shares.code.extra", S, "POST", C, "bob", 400, body={"user": "kim"})
    cs.add("shares.code.scopes", S, "POST", C, "bob", 200,
           body={"scopes": ["read:servers", "access:servers!server=bob/data"]})
    cs.add("shares.code.scopes-bad-filter", S, "POST", C, "bob", 400,
           body={"scopes": ["access:servers!user=bob"]})
    cs.add("shares.code.not-held", S, "POST", C, "bob", 403, body={"scopes": ["admin:servers"]})
    cs.add("shares.code.by-other", S, "POST", C, "eve", 404, body={})
    cs.add("shares.code.by-helper", S, "POST", C, "cyd", 200, body={})
    cs.add("shares.code.nosuch-server", S, "POST", "/share-codes/bob/nope", "bob", 404, body={})
    cs.add("shares.code.owner-only", S, "POST", "/share-codes/bob", "bob", 405, body={})
    cs.add("shares.code.list", S, "GET", C, "bob", 200)
    cs.add("shares.code.list-owner", S, "GET", "/share-codes/bob", A, 200)
    # another server's code, so deleting this server's codes never removes the highest id
    cs.add("shares.code.create-eve", S, "POST", "/share-codes/eve/hw1", "eve", 200, body={})
    cs.add("shares.code.delete-by-id", S, "DELETE", C, "bob", 204, query="id={{codeid:new2}}")
    cs.add("shares.code.delete-by-id-again", S, "DELETE", C, "bob", 404,
           query="id={{codeid:new2}}")
    cs.add("shares.code.delete-by-bad-id", S, "DELETE", C, "bob", 404, query={"id": "sc_x"})
    cs.add("shares.code.delete-by-bad-id2", S, "DELETE", C, "bob", 404, query={"id": "17"})
    cs.add("shares.code.delete-by-code", S, "DELETE", C, "bob", 204, query="code={{code:new1}}")
    cs.add("shares.code.delete-by-code-again", S, "DELETE", C, "bob", 404,
           query="code={{code:new1}}")
    cs.add("shares.code.delete-by-bad-code", S, "DELETE", C, "bob", 404, query={"code": "nope"})
    cs.add("shares.code.delete-other-server-code", S, "DELETE", C, "bob", 404,
           query="code={{code:code-bob-proj}}")
    cs.add("shares.code.delete-by-other", S, "DELETE", C, "eve", 404)
    cs.add("shares.code.list-before-all", S, "GET", C, A, 200)
    cs.add("shares.code.delete-all", S, "DELETE", C, "bob", 204)
    cs.add("shares.code.list-after-all", S, "GET", C, A, 200)
    cs.add("shares.code.list-everything", S, "GET", "/share-codes/eve", A, 200)
    # deleting a user or server takes its shares along
    cs.add("shares.cascade.delete-user", S, "DELETE", "/users/jon", A, 204)
    cs.add("shares.cascade.eve-hw1", S, "GET", "/shares/eve/hw1", A, 200)
    cs.add("shares.cascade.bob-proj", S, "GET", "/shares/bob/proj", A, 200)
    cs.add("shares.cascade.remove-server", S, "DELETE", "/users/cyd/servers/lab", A, 204,
           body={"remove": True})
    cs.add("shares.cascade.teachers", S, "GET", "/groups/teachers/shared", A, 200)
    cs.add("shares.cascade.codes", S, "GET", "/share-codes/cyd", A, 200)


def final_cases(cs):
    cs.add("hub.final.users", "users", "GET", "/users", "svc:admin-svc", 200,
           query="include_stopped_servers")
    cs.add("hub.final.groups", "groups", "GET", "/groups", "svc:admin-svc", 200)
    # JupyterHub 6.1.1 bug: PATCH with the user's own name sets the name to null (new_name
    # stays None); the user is then unreachable by name. Last, since it breaks what follows.
    cs.add("users.patch.rename-same.create", "users", "POST", "/users/nul", "svc:admin-svc", 201)
    cs.add("users.patch.rename-same", "users", "PATCH", "/users/nul", "svc:admin-svc", 200,
           body={"name": "nul"})
    cs.add("users.patch.rename-same.get", "users", "GET", "/users/nul", "svc:admin-svc", 404)
    cs.add("hub.shutdown.ok", "hub", "POST", "/shutdown", "ada", 202,
           body={"servers": False, "proxy": True})
