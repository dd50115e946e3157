"""One request, one trace: request span, a span per query on every path, per upstream call."""

import pytest
from django.db import connections
from django.test import override_settings

from django_asyncx.asgi import get_asgi_application
from django_asyncx.testing.client import arequest
from tests.observability.conftest import span_tree

pytestmark = pytest.mark.django_db(databases=["postgres", "native"], transaction=True)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def traced_app(asyncx_upstream):
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    asyncx_upstream.route("/hello", text="hi")
    with (
        override_settings(
            ROOT_URLCONF="tests.support.traced_views",
            MIDDLEWARE=["django_asyncx.middleware.HttpClientMiddleware"],
        ),
        asyncx_upstream.override_clients("default"),
    ):
        # The ASGI instrumentation around django_asyncx's application makes the request span.
        yield OpenTelemetryMiddleware(get_asgi_application(), exclude_spans=["send", "receive"])


def by_name(spans, name):
    return [span for span in spans if span.name == name]


async def test_one_request_gives_one_trace_with_every_query_and_call(
    otel_spans, traced_app, asyncx_upstream
):
    result = await arequest(traced_app, "GET", "/every-path/", headers={"traceparent": TRACEPARENT})
    assert result.status == 200, result.body

    spans = otel_spans.get_finished_spans()
    print(span_tree(spans))
    assert {format(span.context.trace_id, "032x") for span in spans} == {TRACE_ID}
    [request] = by_name(spans, "GET /every-path/")
    assert request.parent.span_id == int("00f067aa0ba902b7", 16)  # the incoming traceparent
    children = [s for s in spans if s.parent and s.parent.span_id == request.context.span_id]
    ids = {span.context.span_id for span in spans}
    assert all(s.parent.span_id in ids for s in spans if s is not request)  # one tree

    # psycopg's spans: the bridge call (a db pool thread) and the a-method (request's thread).
    psycopg = [s for s in children if s.instrumentation_scope.name.endswith(".psycopg")]
    statements = [s.attributes["db.statement"] for s in psycopg]
    assert 'SELECT COUNT(*) AS "__count" FROM "testapp_book"' in statements  # run_in_db
    assert any('FROM "testapp_book" WHERE' in st and "LIMIT 1" in st for st in statements)
    assert {s.name for s in psycopg} <= {"SELECT", "SET"}  # SET: lock_timeout, on connect
    assert all(s.attributes["db.system"] == "postgresql" for s in psycopg)

    # The native engine's span for its acount(), as asyncpg's instrumentation would make it.
    native = [s for s in children if s.instrumentation_scope.name == "django_asyncx"]
    [count] = [s for s in native if "nativeapp_author" in s.attributes["db.statement"]]
    settings = connections["native"].settings_dict
    assert count.name == "SELECT"
    assert count.kind.name == "CLIENT"
    assert count.attributes["db.statement"] == (
        'SELECT COUNT(*) AS "__count" FROM "nativeapp_author"'
    )
    assert count.attributes["db.name"] == settings["NAME"]
    assert count.attributes["db.user"] == settings["USER"]
    assert count.attributes["db.system"] == "postgresql"
    assert count.attributes["net.peer.port"] == int(settings["PORT"] or 5432)

    # aiohttp's span for the upstream call; the upstream saw that span as its parent.
    [call] = [s for s in children if s.instrumentation_scope.name.endswith(".aiohttp_client")]
    assert call.name == "GET"
    assert call.attributes["http.status_code"] == 200
    [received] = asyncx_upstream.requests
    assert received.headers["traceparent"] == (f"00-{TRACE_ID}-{call.context.span_id:016x}-01")
    assert received.headers["X-Request-ID"]  # the hand-written header still goes along
