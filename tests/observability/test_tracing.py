"""One request, one trace: request span, a span per query on every path, per upstream call."""

from contextlib import nullcontext

import pytest
from django.db import connections
from django.test import override_settings

from django_asyncx.asgi import get_asgi_application
from django_asyncx.observability.tracing import SCOPE
from django_asyncx.testing.client import arequest
from tests.observability.conftest import span_tree

ASYNCPG = "opentelemetry.instrumentation.asyncpg"

pytestmark = pytest.mark.django_db(databases=["postgres", "native"], transaction=True)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(params=["asgi", "django"])
def traced_app(request, asyncx_upstream):
    """django_asyncx's application with the request span from the ASGI instrumentation
    (a middleware around the application) or from the Django instrumentation (a Django
    middleware it inserts first in MIDDLEWARE)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.django import DjangoInstrumentor

    asyncx_upstream.route("/hello", text="hi")
    with (
        override_settings(
            ROOT_URLCONF="tests.support.traced_views",
            MIDDLEWARE=["django_asyncx.middleware.HttpClientMiddleware"],
        ),
        asyncx_upstream.override_clients("default"),
    ):
        if request.param == "asgi":
            yield OpenTelemetryMiddleware(get_asgi_application(), exclude_spans=["send", "receive"])
            return
        DjangoInstrumentor().instrument()
        try:
            yield get_asgi_application()
        finally:
            DjangoInstrumentor().uninstrument()


async def test_the_request_span_costs_a_thread_hop_only_with_django_instrumentation(
    otel_spans, traced_app
):
    from django_asyncx.hops import count_hops

    with count_hops() as hops:
        result = await arequest(traced_app, "GET", "/plain/")
    assert result.status == 200
    [span] = otel_spans.get_finished_spans()
    if span.instrumentation_scope.name.endswith(".asgi"):
        assert hops.count == 0, hops.by_owner()
    else:  # its middleware is sync-only: Django adapts it with sync_to_async (twice)
        assert span.instrumentation_scope.name.endswith(".django")
        owner = "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
        assert hops.by_owner()[owner] == 2


async def test_one_request_gives_one_trace_with_every_query_and_call(
    otel_spans, traced_app, asyncx_upstream
):
    result = await arequest(traced_app, "GET", "/every-path/", headers={"traceparent": TRACEPARENT})
    assert result.status == 200, result.body

    spans = otel_spans.get_finished_spans()
    print(span_tree(spans))
    assert {format(span.context.trace_id, "032x") for span in spans} == {TRACE_ID}
    [request] = [s for s in spans if s.name in ("GET /every-path/", "GET every-path/")]
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

    # One span for the native engine's acount(): asyncpg's instrumentation's, as it wraps
    # the prepared statement the engine runs (the engine's own span stands in for releases
    # that wrap none: the tests below), never both.
    native = [s for s in children if s.instrumentation_scope.name in (SCOPE, ASYNCPG)]
    [count] = [s for s in native if "nativeapp_author" in s.attributes["db.statement"]]
    assert count.instrumentation_scope.name == ASYNCPG
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
    assert received.headers["traceparent"] == (
        f"00-{TRACE_ID}-{call.context.span_id:016x}-{call.context.trace_flags:02x}"
    )
    assert received.headers["X-Request-ID"]  # the hand-written header still goes along


def native_connect_kwargs():
    settings = connections["native"].settings_dict
    return {
        "host": settings["HOST"] or None,
        "port": int(settings["PORT"]) if settings["PORT"] else None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "database": settings["NAME"],
    }


def comparable(span):
    return span.name, span.kind, dict(span.attributes), span.status.status_code, len(span.events)


async def native_and_asyncpg_spans(spans, sql, param, *, raises=None):
    """The native engine's span for ``sql``, then asyncpg instrumentation's for the same
    statement (as the engine sent it) on a plain asyncpg connection."""
    import asyncpg

    from django_asyncx.db import run_in_db

    def query():
        with connections["native"].cursor() as cursor:
            cursor.execute(sql, [param])
            return cursor.fetchone()[0]

    with pytest.raises(raises[0]) if raises else nullcontext():
        await run_in_db(query, using="native")
    # The statement's own span: a new connection's setup queries have theirs too.
    head = sql.split("%s")[0]
    [ours] = [
        s
        for s in spans.get_finished_spans()
        if s.instrumentation_scope.name == SCOPE and s.attributes["db.statement"].startswith(head)
    ]
    spans.clear()
    statement = ours.attributes["db.statement"]
    connection = await asyncpg.connect(**native_connect_kwargs())
    try:
        with pytest.raises(raises[1]) if raises else nullcontext():
            await connection.fetchval(statement, param)
    finally:
        await connection.close()
    [theirs] = [s for s in spans.get_finished_spans() if s.attributes["db.statement"] == statement]
    assert theirs.instrumentation_scope.name == ASYNCPG
    return ours, theirs


async def test_a_native_query_span_is_the_one_asyncpg_instrumentation_makes(
    otel_spans_by_the_engine,
):
    ours, theirs = await native_and_asyncpg_spans(
        otel_spans_by_the_engine, "/* why */ SELECT %s::int + 1", 41
    )
    assert comparable(ours) == comparable(theirs)
    assert ours.name == "SELECT"
    # The statement as asyncpg received it: $n placeholders, with the casts of the values.
    assert ours.attributes["db.statement"] == "/* why */ SELECT $1::int4::int + 1"


async def test_a_failed_native_query_has_an_error_span_like_asyncpg_instrumentation(
    otel_spans_by_the_engine,
):
    import asyncpg
    from django.db import ProgrammingError

    ours, theirs = await native_and_asyncpg_spans(
        otel_spans_by_the_engine,
        "SELECT no_such_column FROM nativeapp_author WHERE id = %s",
        1,
        raises=(ProgrammingError, asyncpg.UndefinedColumnError),
    )
    assert comparable(ours) == comparable(theirs)
    assert ours.status.status_code.name == "ERROR"
    assert [e.name for e in ours.events] == ["exception"]


async def test_bridge_queries_are_children_of_the_callers_span_in_and_out_of_atomic(otel_spans):
    from opentelemetry import trace

    from django_asyncx.db import atomic, run_in_db
    from tests.support.testapp.models import Author

    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("outside") as outside:
        await run_in_db(lambda: Author.objects.using("postgres").count(), using="postgres")
    with tracer.start_as_current_span("block") as block:
        async with atomic(using="postgres"):
            await run_in_db(lambda: Author.objects.using("postgres").exists(), using="postgres")
            await Author.objects.using("postgres").acount()
    spans = otel_spans.get_finished_spans()
    print(span_tree(spans))

    def statements_under(parent):
        return [
            s.attributes["db.statement"]
            for s in spans
            if s.parent and s.parent.span_id == parent.context.span_id
        ]

    assert 'SELECT COUNT(*) AS "__count" FROM "testapp_author"' in statements_under(outside)
    under_block = statements_under(block)
    assert any(st.startswith('SELECT %s AS "a" FROM "testapp_author"') for st in under_block)
    assert 'SELECT COUNT(*) AS "__count" FROM "testapp_author"' in under_block


async def test_trace_headers_are_by_hand_without_a_current_span_by_opentelemetry_with_one(
    otel_spans,
):
    from opentelemetry import trace

    from django_asyncx.http.tracing import CallContext

    context = CallContext.from_headers({"traceparent": TRACEPARENT})
    by_hand = context.outbound_headers()["traceparent"]
    assert by_hand.startswith(f"00-{TRACE_ID}-")
    assert by_hand.endswith("-01")
    with trace.get_tracer("tests").start_as_current_span("view") as span:
        headers = context.outbound_headers()
    # With a span current, OpenTelemetry's propagator writes that span's context.
    assert headers["traceparent"] == (
        f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-{span.context.trace_flags:02x}"
    )
    assert headers["X-Request-ID"] == context.request_id


async def test_a_native_stream_traces_its_declare_and_each_fetch(otel_spans_by_the_engine):
    from django_asyncx.db.backends.postgresql.native import native_iterator
    from tests.support.nativeapp.models import Author

    await Author.objects.using("native").abulk_create([Author(name=f"a{i}") for i in range(5)])
    otel_spans_by_the_engine.clear()
    names = [a.name async for a in native_iterator(Author.objects.using("native"), chunk_size=2)]
    assert len(names) == 5
    ours = [
        s
        for s in otel_spans_by_the_engine.get_finished_spans()
        if s.instrumentation_scope.name == SCOPE
    ]
    # 2 + 2 + 1 rows, then the empty chunk that ends Django's iteration.
    assert [s.name for s in ours] == ["DECLARE", "FETCH", "FETCH", "FETCH", "FETCH"]
    assert ours[0].attributes["db.statement"].startswith("DECLARE ")
    assert 'FROM "nativeapp_author"' in ours[0].attributes["db.statement"]


async def test_suppressed_instrumentation_makes_no_native_span(otel_spans_by_the_engine):
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    from tests.support.nativeapp.models import Author

    with suppress_instrumentation():
        assert await Author.objects.using("native").acount() == 0
    assert await Author.objects.using("native").acount() == 0
    ours = [
        s
        for s in otel_spans_by_the_engine.get_finished_spans()
        if s.instrumentation_scope.name == SCOPE
    ]
    assert len(ours) == 1  # the second count only


async def test_each_attempt_of_a_retried_call_is_a_span_the_upstream_saw(
    otel_spans, asyncx_upstream
):
    from aiohttp import web
    from opentelemetry import trace

    from django_asyncx.http import get_client

    attempts = []

    async def flaky(request):
        attempts.append(request)
        status = 503 if len(attempts) == 1 else 200
        return web.Response(status=status, text="ok", headers={"Retry-After": "0"})

    asyncx_upstream.route("/flaky", flaky)
    with (
        asyncx_upstream.override_clients("default"),
        trace.get_tracer("tests").start_as_current_span("view") as view,
    ):
        response = await get_client().get("/flaky", retries={"max_retries": 1})
    assert response.status == 200
    calls = [s for s in otel_spans.get_finished_spans() if s.name == "GET"]
    assert len(calls) == 2
    assert all(call.parent.span_id == view.context.span_id for call in calls)
    sent = [request.headers["traceparent"] for request in asyncx_upstream.requests]
    assert sent == [
        f"00-{c.context.trace_id:032x}-{c.context.span_id:016x}-{c.context.trace_flags:02x}"
        for c in calls
    ]


async def test_with_prepared_statements_instrumented_a_native_query_has_one_span(otel_spans):
    from tests.support.nativeapp.models import Author

    assert await Author.objects.using("native").acount() == 0
    counts = [
        s
        for s in otel_spans.get_finished_spans()
        if 'FROM "nativeapp_author"' in s.attributes.get("db.statement", "")
    ]
    assert [s.instrumentation_scope.name for s in counts] == [ASYNCPG]
