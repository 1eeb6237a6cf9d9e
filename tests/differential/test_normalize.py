"""Unit tests of the normalisation: it removes what differs between runs of the same hub, and
nothing else (a real difference must survive it).

    .venv/bin/python -m unittest tests.differential.test_normalize
"""

import json
import unittest

from tests.differential.case import Case, fill, prepare
from tests.differential.normalize import normalize, without_explanation


class Resp:
    def __init__(self, status, body, ctype="application/json", headers=None):
        self.status_code = status
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = {"content-type": ctype, "x-jupyterhub-version": "6.1.1"}
        if ctype is None:
            del self.headers["content-type"]
        self.headers.update(headers or {})


def norm(body, status=200, path="/hub/api/users", **kw):
    return normalize(Case("t", "users", "GET", path), Resp(status, body, **kw))


TOKEN = {
    "kind": "api_token", "id": "a4", "user": "bob", "roles": [], "note": "n",
    "scopes": ["read:users!user=bob", "access:servers!user=bob"],
    "created": "2026-11-23T00:27:12.447787Z", "last_activity": None, "expires_at": None,
    "session_id": None, "oauth_client": "JupyterHub",
}


class NormalizeTest(unittest.TestCase):
    def test_times_keep_null(self):
        a = norm({"created": "2026-11-23T00:27:12.447787Z", "last_activity": None})
        b = norm({"created": "2025-01-01T00:00:00Z", "last_activity": None})
        self.assertEqual(a, b)
        c = norm({"created": "2025-01-01T00:00:00Z", "last_activity": "2025-01-01T00:00:00Z"})
        self.assertNotEqual(a, c)

    def test_time_inside_message(self):
        a = norm({"message": "Rejecting activity from more than an hour in the future: 2026-11-23T02:00:00Z"})
        b = norm({"message": "Rejecting activity from more than an hour in the future: 2026-11-23T02:01:00.5Z"})
        self.assertEqual(a, b)

    def test_hosts(self):
        a = norm({"next": {"url": "http://127.0.0.1:4001/hub/api/users?offset=2"}})
        b = norm({"next": {"url": "http://127.0.0.1:5002/hub/api/users?offset=2"}})
        self.assertEqual(a, b)
        c = norm({"next": {"url": "http://127.0.0.1:5002/hub/api/users?offset=3"}})
        self.assertNotEqual(a, c)

    def test_token_secret_and_scope_order(self):
        t1 = dict(TOKEN, token="0" * 32)
        t2 = dict(TOKEN, token="f" * 32, scopes=list(reversed(TOKEN["scopes"])))
        self.assertEqual(norm(t1), norm(t2))
        t3 = dict(TOKEN, token="f" * 32, scopes=["read:users!user=bob"])
        self.assertNotEqual(norm(t1), norm(t3))
        self.assertNotEqual(norm(t1), norm(dict(TOKEN, token="f" * 32, id="a5")))

    def test_token_list_sorted_by_id_and_order_checked(self):
        older = dict(TOKEN, id="a4", created="2026-01-01T00:00:00Z")
        newer = dict(TOKEN, id="a5", created="2026-01-01T00:00:01Z")
        used = dict(TOKEN, id="a3", created="2025-12-31T00:00:00Z",
                    last_activity="2026-01-01T00:00:02Z")
        # both in the right order, but used at different moments: same after normalising
        a = norm({"api_tokens": [older, newer, used]})
        b = norm({"api_tokens": [dict(used, last_activity=None), older, newer]})
        self.assertEqual(a[2]["api_tokens"][0]["id"], "a3")
        self.assertNotIn("<order>", a[2])
        self.assertEqual([t["id"] for t in a[2]["api_tokens"]], [t["id"] for t in b[2]["api_tokens"]])
        # out of order is flagged
        c = norm({"api_tokens": [newer, older]})
        self.assertIn("<order>", c[2])

    def test_not_held_message_sorted(self):
        a = norm({"status": 400, "message": "Not assigning requested scopes b,a not held by User bob"}, 400)
        b = norm({"status": 400, "message": "Not assigning requested scopes a,b not held by User bob"}, 400)
        self.assertEqual(a, b)
        c = norm({"status": 400, "message": "Not assigning requested scopes a,c not held by User bob"}, 400)
        self.assertNotEqual(a, c)

    def test_model_lists_unordered_only_where_meaningless(self):
        u1 = {"kind": "user", "name": "a", "roles": ["user", "admin"], "groups": ["x", "y"]}
        u2 = {"kind": "user", "name": "a", "roles": ["admin", "user"], "groups": ["y", "x"]}
        self.assertEqual(norm(u1), norm(u2))
        # the order of a list of users is meaningful
        self.assertNotEqual(norm([u1, dict(u1, name="b")]), norm([dict(u1, name="b"), u1]))
        # /user scopes are sorted by JupyterHub: their order counts
        self.assertNotEqual(norm({"kind": "user", "scopes": ["a", "b"]}),
                            norm({"kind": "user", "scopes": ["b", "a"]}))

    def test_share_code(self):
        m1 = {"code": "A" * 43, "accept_url": "/hub/accept-share?code=" + "A" * 43, "id": "sc_1"}
        m2 = {"code": "B" * 43, "accept_url": "/hub/accept-share?code=" + "B" * 43, "id": "sc_1"}
        self.assertEqual(norm(m1), norm(m2))
        self.assertNotEqual(norm(m1), norm(dict(m2, id="sc_2")))

    def test_info(self):
        i1 = {"version": "6.1.1", "python": "3.11.7", "sys_executable": "/a/python",
              "spawner": {"class": "a.B", "version": "6.1.1"},
              "authenticator": {"class": "a.C", "version": "6.1.1"}}
        i2 = dict(i1, python="3.12", sys_executable="/b", spawner={"class": "x", "version": "1"})
        self.assertEqual(norm(i1, path="/hub/api/info"), norm(i2, path="/hub/api/info"))
        self.assertNotEqual(norm(i1, path="/hub/api/info"),
                            norm(dict(i1, version="6.0.0"), path="/hub/api/info"))

    def test_status_headers_and_content_type_count(self):
        self.assertNotEqual(norm({"a": 1}), norm({"a": 1}, status=201))
        self.assertNotEqual(norm({"a": 1}), norm({"a": 1}, ctype="application/json; charset=UTF-8"))
        self.assertNotEqual(norm({"a": 1}), norm({"a": 2}))
        self.assertNotEqual(norm({"status": 404, "message": None}, 404),
                            norm({"status": 404, "message": "Not Found"}, 404))

    def test_explanation_ignored_on_errors_only(self):
        ref = norm({"status": 403, "message": "m"}, 403)
        cand = norm({"status": 403, "message": "m", "explanation": {"why": "x"}}, 403)
        self.assertEqual(ref, without_explanation(ref, cand))
        ok_ref = norm({"a": 1})
        ok_cand = norm({"a": 1, "explanation": "x"})
        self.assertNotEqual(ok_ref, without_explanation(ok_ref, ok_cand))

    def test_fill_and_prepare(self):
        c = Case("t", "tokens", "DELETE", "/hub/api/users/bob/tokens/{{id:x}}", requester="bob",
                 query="code={{code:c}}")
        method, url, headers, data = prepare(c, {"id:x": "a7", "code:c": "QQ", "secret:bob": "s3"})
        self.assertEqual(url, "/hub/api/users/bob/tokens/a7?code=QQ")
        self.assertEqual(headers["Authorization"], "token s3")
        self.assertIsNone(data)
        with self.assertRaises(KeyError):
            fill("{{nope}}", {})


if __name__ == "__main__":
    unittest.main()
