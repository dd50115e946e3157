"""The async-native middleware answers exactly as Django's, with no thread hop of its own.

Each scenario is a sequence of requests from one browser (a cookie jar), good and bad,
sent once through Django's seven default middleware and once through the drop-ins; status,
body, headers and cookies must match step by step. Random cookie values (CSRF secret,
session key) are compared by presence and attributes.
"""

import gzip
from http.cookies import SimpleCookie

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from django_asyncx import middleware
from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from django_asyncx.middleware import DROP_INS, async_native
from django_asyncx.middleware.base import LoopMiddlewareMixin

pytestmark = pytest.mark.django_db(transaction=True)

DJANGO = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
DJANGO_FULL = [
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    *DJANGO,
]
RANDOM_COOKIES = {"csrftoken", "sessionid"}


class Browser:
    """A cookie jar and the headers a browser sends, over one ASGI application."""

    def __init__(self, app, scheme="http"):
        self.app = app
        self.scheme = scheme
        self.cookies = {}

    async def send(self, method, path, *, headers=(), body=b"", csrf=None):
        headers = dict(headers)
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if csrf == "valid":
            headers["x-csrftoken"] = self.cookies["csrftoken"]
        elif csrf == "wrong":
            headers["x-csrftoken"] = "x" * 32
        if body:
            headers.setdefault("content-type", "application/x-www-form-urlencoded")
        result = await arequest(
            self.app, method, path, headers=headers, body=body, scheme=self.scheme
        )
        for raw in result.header_list("set-cookie"):
            for name, morsel in SimpleCookie(raw).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return result


def normalized(result):
    """Status, body, headers and cookies, with random cookie values and dates masked."""
    cookies = []
    for raw in result.header_list("set-cookie"):
        for name, morsel in SimpleCookie(raw).items():
            value = morsel.value
            if name in RANDOM_COOKIES and value:
                value = f"<{len(value)} chars>"
            elif name == "messages" and value:
                # Signed with a timestamp: compare the payload, not the second it was signed.
                value = value.split(":")[0]
            attrs = {k: (bool(v) if k == "expires" else v) for k, v in morsel.items() if v}
            cookies.append((name, value, sorted(attrs.items())))
    headers = [(k, v) for k, v in result.headers if k != "set-cookie"]
    body = result.body
    if result.header("content-encoding") == "gzip":
        # Django adds random bytes to each gzip stream (BREACH mitigation).
        body = gzip.decompress(body)
        headers = [(k, v) for k, v in headers if k != "content-length"]
    return result.status, body, headers, sorted(cookies)


async def run_scenario(middleware, steps, *, scheme="http", setup=None):
    outcomes = {}
    for name, stack in (("django", middleware), ("ours", async_native(middleware))):
        if setup is not None:
            await setup()
        with override_settings(ROOT_URLCONF="tests.support.views_app.urls", MIDDLEWARE=stack):
            browser = Browser(ASGIHandler(), scheme)
            results = []
            for step in steps:
                method, path, *rest = step
                options = rest[0] if rest else {}
                if "before" in options:
                    await options["before"](browser)
                kwargs = {k: v for k, v in options.items() if k != "before"}
                results.append(await browser.send(method, path, **kwargs))
        outcomes[name] = results
    for index, (theirs, ours) in enumerate(zip(outcomes["django"], outcomes["ours"], strict=True)):
        assert normalized(ours) == normalized(theirs), f"step {index}: {steps[index][:2]}"
    return outcomes


def statuses(outcome):
    return [result.status for result in outcome]


async def test_drop_ins_replace_each_default_in_place():
    assert async_native(DJANGO_FULL) == [DROP_INS[path] for path in DJANGO_FULL]
    assert async_native(["my.Middleware", *DJANGO])[0] == "my.Middleware"


def test_drop_ins_map_each_drop_in_from_the_django_class_it_subclasses():
    drop_ins = [
        value
        for name in middleware.__all__
        if isinstance(value := getattr(middleware, name), type)
        and (issubclass(value, LoopMiddlewareMixin) or value is middleware.WhiteNoiseMiddleware)
    ]
    derived = {
        f"{base.__module__}.{base.__qualname__}": f"django_asyncx.middleware.{drop_in.__name__}"
        for drop_in in drop_ins
        for base in drop_in.__bases__
        if base is not LoopMiddlewareMixin
    }
    assert derived == DROP_INS
    for django_path, path in DROP_INS.items():
        assert issubclass(import_string(path), import_string(django_path))


async def test_async_native_rejects_a_string_with_a_clear_error():
    with pytest.raises(TypeError, match="takes a list of middleware paths"):
        async_native("django.middleware.common.CommonMiddleware")
    with pytest.raises(TypeError, match="item 1 is 3"):
        async_native(["a.B", 3])


async def test_plain_requests_match():
    outcome = await run_scenario(
        DJANGO,
        [
            ("GET", "/views/hello/"),
            ("POST", "/views/form/", {"body": b"name=x"}),
            ("GET", "/views/missing/"),
            ("GET", "/views/whoami/"),
            ("GET", "/views/stream/"),
        ],
    )
    assert statuses(outcome["ours"]) == [200, 200, 404, 200, 200]
    assert outcome["ours"][0].header("x-frame-options") == "DENY"


async def test_append_slash_redirects_match():
    outcome = await run_scenario(
        DJANGO,
        [
            ("GET", "/views/hello"),
            ("GET", "/views/hello?a=1"),
            ("GET", "/views/noslash"),
            ("GET", "/views/nowhere"),
        ],
    )
    assert statuses(outcome["ours"]) == [301, 301, 200, 404]
    assert outcome["ours"][1].header("location") == "/views/hello/?a=1"


@override_settings(DISALLOWED_USER_AGENTS=[__import__("re").compile("evilbot")])
async def test_disallowed_user_agent_is_refused_by_both():
    outcome = await run_scenario(
        DJANGO, [("GET", "/views/hello/", {"headers": {"user-agent": "evilbot/1"}})]
    )
    assert statuses(outcome["ours"]) == [403]


@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=3600,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_REDIRECT_EXEMPT=[r"^views/stream/$"],
)
async def test_insecure_requests_redirect_and_secure_ones_get_hsts():
    insecure = await run_scenario(DJANGO, [("GET", "/views/hello/"), ("GET", "/views/stream/")])
    assert statuses(insecure["ours"]) == [301, 200]
    assert insecure["ours"][0].header("location") == "https://testserver/views/hello/"
    secure = await run_scenario(DJANGO, [("GET", "/views/hello/")], scheme="https")
    assert secure["ours"][0].header("strict-transport-security") == (
        "max-age=3600; includeSubDomains"
    )


@override_settings(DEBUG=True)  # the failure page names the reason
async def test_csrf_good_and_bad_requests_match():
    outcome = await run_scenario(
        DJANGO,
        [
            ("POST", "/views/protected/", {"body": b"name=a"}),  # no cookie
            ("GET", "/views/csrf-token/"),  # sets the cookie
            ("POST", "/views/protected/", {"body": b"name=b"}),  # cookie, no token
            ("POST", "/views/protected/", {"body": b"name=c", "csrf": "wrong"}),
            ("POST", "/views/protected/", {"body": b"name=d", "csrf": "valid"}),
            ("POST", "/views/protected/", {"body": b"csrfmiddlewaretoken=short&name=e"}),
            ("PUT", "/views/protected/", {"body": b"x", "csrf": "valid"}),
            ("GET", "/views/protected/"),  # safe method
        ],
    )
    assert statuses(outcome["ours"]) == [403, 200, 403, 403, 200, 403, 200, 200]
    assert b"CSRF cookie not set" in outcome["ours"][0].body
    assert b"CSRF token missing" in outcome["ours"][2].body
    assert b"CSRF token from the &#x27;X-Csrftoken&#x27; HTTP header incorrect" in (
        outcome["ours"][3].body
    )
    assert outcome["ours"][4].body == b"posted d"


async def test_csrf_over_https_checks_origin_and_referer_the_same():
    outcome = await run_scenario(
        DJANGO,
        [
            ("GET", "/views/csrf-token/"),
            ("POST", "/views/protected/", {"body": b"n=1", "csrf": "valid"}),  # no referer
            (
                "POST",
                "/views/protected/",
                {"body": b"n=1", "csrf": "valid", "headers": {"origin": "https://evil.example"}},
            ),
            (
                "POST",
                "/views/protected/",
                {"body": b"n=1", "csrf": "valid", "headers": {"referer": "https://evil.example/"}},
            ),
            (
                "POST",
                "/views/protected/",
                {"body": b"n=1", "csrf": "valid", "headers": {"origin": "https://testserver"}},
            ),
        ],
        scheme="https",
    )
    assert statuses(outcome["ours"]) == [200, 403, 403, 403, 200]


@override_settings(CSRF_USE_SESSIONS=True, DEBUG=True)
async def test_csrf_in_sessions_matches():
    outcome = await run_scenario(
        DJANGO,
        [
            ("GET", "/views/csrf-token/"),
            ("POST", "/views/protected/", {"body": b"name=z"}),
        ],
    )
    assert statuses(outcome["ours"]) == [200, 403]
    assert b"CSRF token missing" in outcome["ours"][1].body


async def expire_all_sessions(browser):
    await sync_to_async(Session.objects.update)(expire_date=timezone.now())


async def test_sessions_set_read_and_expire_the_same():
    outcome = await run_scenario(
        DJANGO,
        [
            ("GET", "/views/session-read/"),  # untouched: no cookie
            ("GET", "/views/session-set/"),
            ("GET", "/views/session-set/"),
            ("GET", "/views/session-read/"),
            ("GET", "/views/session-read/", {"before": expire_all_sessions}),
            ("GET", "/views/session-read/"),
        ],
    )
    assert [r.body for r in outcome["ours"]] == [b"n=0", b"n=1", b"n=2", b"n=2", b"n=0", b"n=0"]
    assert outcome["ours"][1].header_list("set-cookie")
    # The expired session's cookie is deleted, as Django does.
    assert 'sessionid=""' in outcome["ours"][4].header("set-cookie")


@override_settings(SESSION_SAVE_EVERY_REQUEST=True)
async def test_session_save_every_request_matches():
    outcome = await run_scenario(
        DJANGO, [("GET", "/views/session-set/"), ("GET", "/views/session-read/")]
    )
    assert len(outcome["ours"][1].header_list("set-cookie")) == 1


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies")
async def test_signed_cookie_sessions_match():
    outcome = await run_scenario(
        DJANGO, [("GET", "/views/session-set/"), ("GET", "/views/session-set/")]
    )
    assert [r.body for r in outcome["ours"]] == [b"n=1", b"n=2"]


async def make_user():
    await User.objects.filter(username="ada").adelete()
    await User.objects.acreate(username="ada")


async def test_login_and_auser_match():
    outcome = await run_scenario(
        DJANGO,
        [
            ("GET", "/views/whoami/"),
            ("GET", "/views/login/?username=ada"),
            ("GET", "/views/whoami/"),
        ],
        setup=make_user,
    )
    assert [r.body for r in outcome["ours"]][2] == b'{"user": "ada", "auth": true}'


async def test_messages_round_trip_the_same():
    outcome = await run_scenario(
        DJANGO, [("GET", "/views/add-message/"), ("GET", "/views/show-messages/")]
    )
    assert statuses(outcome["ours"]) == [302, 200]
    assert outcome["ours"][1].body == b"hello there"


@override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage")
async def test_session_message_storage_matches():
    outcome = await run_scenario(
        DJANGO,
        [
            ("GET", "/views/add-message/"),
            ("GET", "/views/show-messages/"),
            ("GET", "/views/show-messages/"),
        ],
    )
    assert [r.body for r in outcome["ours"]][1:] == [b"hello there", b""]


async def test_gzip_and_conditional_get_match():
    outcome = await run_scenario(
        DJANGO_FULL,
        [
            ("GET", "/views/big/", {"headers": {"accept-encoding": "gzip"}}),
            ("GET", "/views/big/"),
            ("GET", "/views/stream/", {"headers": {"accept-encoding": "gzip"}}),
        ],
    )
    ours = outcome["ours"]
    assert ours[0].header("content-encoding") == "gzip"
    etag = ours[1].header("etag")
    assert etag
    again = await run_scenario(
        DJANGO_FULL, [("GET", "/views/big/", {"headers": {"if-none-match": etag}})]
    )
    assert statuses(again["ours"]) == [304]


# Hop counts, per request, through the whole stack: counted, not guessed.


async def count(middleware, method, path, **kwargs):
    with override_settings(ROOT_URLCONF="tests.support.views_app.urls", MIDDLEWARE=middleware):
        browser = Browser(ASGIHandler())
        for step in kwargs.pop("warmup", []):
            await browser.send(*step)
        with count_hops() as hops:
            result = await browser.send(method, path, **kwargs)
    return result, hops


async def test_async_stack_makes_zero_hops_for_a_plain_request():
    result, hops = await count(async_native(DJANGO_FULL), "GET", "/views/hello/")
    assert result.status == 200
    assert hops.count == 0, hops.by_owner()


async def test_django_stack_makes_three_hops_for_the_same_request():
    _, hops = await count(DJANGO, "GET", "/views/hello/")
    # The seven in one hop (they run in sync mode, one after the other), CSRF's process_view
    # in one, request_finished in the request's thread: 3 (15 with Django's handler, which
    # hops twice per MiddlewareMixin middleware; see test_handler).
    assert hops.count == 3, hops.by_owner()


async def test_async_stack_makes_zero_hops_for_csrf_checked_post_and_redirect():
    result, hops = await count(
        async_native(DJANGO),
        "POST",
        "/views/protected/",
        body=b"name=q",
        csrf="valid",
        warmup=[("GET", "/views/csrf-token/")],
    )
    assert result.body == b"posted q"
    assert hops.count == 0, hops.by_owner()
    result, hops = await count(async_native(DJANGO), "GET", "/views/hello")
    assert result.status == 301
    assert hops.count == 0


async def test_session_save_is_the_only_middleware_hop_when_the_session_changes():
    result, hops = await count(async_native(DJANGO), "GET", "/views/session-set/")
    assert result.body == b"n=1"
    # The save, through the DB bridge; nothing else (a new session has nothing to load).
    assert [hop.owner for hop in hops.hops] == ["django_asyncx.executors"], hops.hops


def test_drop_ins_under_wsgi_answer_as_djangos():
    """Under WSGI the drop-ins are Django's classes: same answers through the sync path."""
    from django.test import Client

    steps = [
        ("get", "/views/hello/", {}),
        ("get", "/views/hello", {}),
        ("post", "/views/protected/", {"data": {"name": "a"}}),
        ("get", "/views/csrf-token/", {}),
        ("get", "/views/missing/", {}),
    ]
    answers = {}
    for name, stack in (("django", DJANGO), ("ours", async_native(DJANGO))):
        with override_settings(ROOT_URLCONF="tests.support.views_app.urls", MIDDLEWARE=stack):
            client = Client(enforce_csrf_checks=True)
            answers[name] = [
                (r.status_code, sorted(k for k in r.headers), sorted(r.cookies))
                for r in (getattr(client, m)(p, **kw) for m, p, kw in steps)
            ]
    assert answers["ours"] == answers["django"]
    assert [a[0] for a in answers["ours"]] == [200, 301, 403, 200, 404]


@override_settings(CSRF_FAILURE_VIEW="tests.support.views_app.views.custom_csrf_failure")
async def test_custom_csrf_failure_view_matches_and_runs_in_a_thread():
    outcome = await run_scenario(DJANGO, [("POST", "/views/protected/", {"body": b"n=1"})])
    assert outcome["ours"][0].body == b"custom failure: CSRF cookie not set."
    _, hops = await count(async_native(DJANGO), "POST", "/views/protected/", body=b"n=1")
    # The check in a thread (a custom failure view may query), then closing in that thread.
    assert hops.count == 2, hops.hops
