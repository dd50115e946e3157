"""Values come back from the native path exactly as from psycopg, for every field type.

Two kinds of test: a differential one runs the same querysets on the psycopg path (sync code,
no loop) and on the native path and compares results and their types; a hypothesis one
round-trips random values of each field type through both paths.
"""

import asyncio
import datetime
import decimal
import math
import uuid

import django
import pytest
from django.contrib.postgres.aggregates import ArrayAgg, JSONBAgg

try:
    from django.db.models import StringAgg  # Django >= 6.0
except ImportError:
    from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.backends.postgresql.psycopg_any import DateRange, DateTimeTZRange, NumericRange
from django.db.models import DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Cast, ExtractYear, Lower, TruncDay
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_asyncx.db.backends.postgresql.native import run_native
from tests.support.nativeapp.models import AllTypes

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"
UTC = datetime.UTC

FULL = {
    "big": -(2**62),
    "small": -32768,
    "integer": 2**31 - 1,
    "pos_big": 2**63 - 1,
    "pos_int": 7,
    "pos_small": 32767,
    "boolean": True,
    "char": "naïve ☃ 'quoted' %s %% \\",
    "text": "line1\nline2 café",
    "slug": "a-slug",
    "email": "a@example.com",
    "url": "https://example.com/?q=1",
    "file": "uploads/a.txt",
    "file_path": "/tmp/x",
    "date": datetime.date(2024, 2, 29),
    "datetime": datetime.datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
    "time": datetime.time(23, 59, 59, 999999),
    "duration": datetime.timedelta(days=-3, seconds=5, microseconds=7),
    "decimal": decimal.Decimal("-12345678901234567890.0123456789"),
    "floating": 0.1,
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "binary": b"\x00\xff bytes",
    "json": {"a": [1, 2.5, None, True, "x"], "b": {"c": "d"}},
    "ip": "2001:db8::1",
    "int_array": [1, None, -3],
    "text_array": ["a", "b c", ""],
    "hstore": {"k": "v", "n": None},
    "int_range": NumericRange(1, 10),
    "big_range": NumericRange(-(2**40), None),
    "decimal_range": NumericRange(decimal.Decimal("1.5"), decimal.Decimal("2.5"), "[]"),
    "date_range": DateRange(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)),
    "datetime_range": DateTimeTZRange(
        datetime.datetime(2024, 1, 1, tzinfo=UTC), datetime.datetime(2024, 1, 2, tzinfo=UTC)
    ),
}
FIELDS = list(FULL)


def same(left, right):
    """Equal values of identical types, recursively (NaN equals NaN)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, datetime.datetime):
        return left == right and left.utcoffset() == right.utcoffset()
    return left == right


def native(fn):
    return run_native(fn, using=DB)


def seed():
    full = AllTypes.objects.using(DB).create(**FULL)
    AllTypes.objects.using(DB).filter(pk=full.pk).update(search=SearchVector("text", "char"))
    AllTypes.objects.using(DB).create()  # every field NULL
    AllTypes.objects.using(DB).create(
        big=0,
        char="",
        int_array=[],
        text_array=[],
        hstore={},
        json="a string",
        int_range=NumericRange(empty=True),
        floating=float("inf"),
        decimal=decimal.Decimal("0"),
    )


QUERIES = {
    "rows": lambda: list(AllTypes.objects.using(DB).values_list(*FIELDS)),
    "instances": lambda: [
        [getattr(obj, name) for name in FIELDS] for obj in AllTypes.objects.using(DB).all()
    ],
    "values": lambda: list(AllTypes.objects.using(DB).values("json", "hstore", "search")),
    "literals": lambda: list(
        AllTypes.objects.using(DB)
        .annotate(
            i=Value(1),
            f=Value(1.5),
            d=Value(decimal.Decimal("2.50")),
            s=Value("x"),
            day=Value(datetime.date(2024, 1, 1)),
            u=Value(uuid.UUID(int=1)),
            b=Value(True),
        )
        .values_list("i", "f", "d", "s", "day", "u", "b")[:1]
    ),
    "functions": lambda: list(
        AllTypes.objects.using(DB)
        .filter(datetime__isnull=False)
        .annotate(
            day=TruncDay("datetime"),
            year=ExtractYear("datetime"),
            lower=Lower("char"),
            as_text=Cast("integer", output_field=AllTypes._meta.get_field("char")),
            doubled=ExpressionWrapper(F("duration") * 2, output_field=DurationField()),
        )
        .values_list("day", "year", "lower", "as_text", "doubled")
    ),
    "lookups": lambda: (
        [
            AllTypes.objects.using(DB).filter(**lookup).count()
            for lookup in (
                {"json__a__1": 2.5},
                {"json__b__c": "d"},
                {"json__has_key": "a"},
                {"int_array__contains": [1]},
                {"int_array__len": 3},
                {"text_array__overlap": ["b c"]},
                {"hstore__k": "v"},
                {"hstore__has_key": "n"},
                {"int_range__contains": 5},
                {"big_range__startswith": -(2**40)},
                {"date_range__contains": datetime.date(2024, 1, 15)},
                {"datetime_range__contains": datetime.datetime(2024, 1, 1, 5, tzinfo=UTC)},
                # Django 5.2 and 6.0 themselves fail this one (they cast to
                # "numeric(None, None)").
                *(
                    [{"decimal_range__contains": decimal.Decimal("2.5")}]
                    if django.VERSION >= (6, 1)
                    else []
                ),
                {"ip": "2001:db8::1"},
                {"uuid": FULL["uuid"]},
                {"binary": FULL["binary"]},
                {"datetime__date": datetime.date(2024, 3, 1)},
                {"duration__lt": datetime.timedelta(0)},
                {"decimal": FULL["decimal"]},
                {"floating__gt": 0.05},
                {"char__icontains": "QUOTED"},
                {"char__contains": "%s %%"},
                {"search": "line1"},
                {"time": FULL["time"]},
                {"pos_big": 2**63 - 1},
            )
        ]
        + [AllTypes.objects.using(DB).filter(Q(small__lt=0) | Q(boolean=False)).count()]
    ),
    "aggregates": lambda: AllTypes.objects.using(DB).aggregate(
        ids=ArrayAgg("small", order_by="id"),
        chars=StringAgg("char", delimiter=Value(","), order_by="id"),
        docs=JSONBAgg("json", order_by="id"),
    ),
    "search": lambda: list(
        AllTypes.objects.using(DB)
        .annotate(rank=SearchRank(SearchVector("text"), SearchQuery("line1")))
        .filter(rank__gt=0)
        .values_list("rank", flat=True)
    ),
}


async def psycopg_path(fn):
    def call():
        try:
            return fn()
        finally:
            connections.close_all()

    return await asyncio.to_thread(call)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_native_results_equal_psycopg_results(name):
    await native(seed)
    expected = await psycopg_path(QUERIES[name])
    got = await native(QUERIES[name])
    assert same(got, expected), f"{name}:\n native  {got!r}\n psycopg {expected!r}"


async def test_values_written_by_the_native_path_read_back_the_same_on_psycopg():
    pk = await native(lambda: AllTypes.objects.using(DB).create(**FULL).pk)
    expected = await psycopg_path(
        lambda: [getattr(AllTypes.objects.using(DB).get(pk=pk), name) for name in FIELDS]
    )
    written = await psycopg_path(lambda: AllTypes.objects.using(DB).create(**FULL).pk)
    got = await native(
        lambda: [getattr(AllTypes.objects.using(DB).get(pk=written), name) for name in FIELDS]
    )
    for name, left, right in zip(FIELDS, got, expected, strict=True):
        assert same(left, right), name


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
async def test_naive_datetimes_without_use_tz_match_psycopg():
    moment = datetime.datetime(2024, 7, 1, 8, 30)

    def work():
        AllTypes.objects.using(DB).create(datetime=moment)
        return list(
            AllTypes.objects.using(DB)
            .annotate(day=TruncDay("datetime"))
            .values_list("datetime", "day")
        )

    got = await native(work)
    expected = await psycopg_path(
        lambda: list(
            AllTypes.objects.using(DB)
            .annotate(day=TruncDay("datetime"))
            .values_list("datetime", "day")
        )
    )
    assert got == expected == [(moment, datetime.datetime(2024, 7, 1))]
    assert got[0][0].tzinfo is None


# ------------------------------------------------------------------------- hypothesis

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
_int32 = st.integers(-(2**31), 2**31 - 1)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=10,
)


def _ranges(values, cls):
    return st.tuples(
        st.none() | values, st.none() | values, st.sampled_from(["[)", "[]", "()", "(]"])
    ).map(
        lambda t: (
            cls(*sorted(t[:2], key=lambda v: (v is not None, v)), t[2])
            if None not in t[:2]
            else cls(t[0], t[1], t[2])
        )
    )


STRATEGIES = {
    "big": st.integers(-(2**63), 2**63 - 1),
    "small": st.integers(-(2**15), 2**15 - 1),
    "integer": _int32,
    "pos_big": st.integers(0, 2**63 - 1),
    "pos_small": st.integers(0, 2**15 - 1),
    "boolean": st.booleans(),
    "char": _text.filter(lambda s: len(s) <= 100),
    "text": _text,
    "date": st.dates(),
    "datetime": st.datetimes(
        min_value=datetime.datetime(1, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.just(UTC),
    ),
    "time": st.times(),
    "duration": st.timedeltas(
        min_value=datetime.timedelta(days=-(10**6)), max_value=datetime.timedelta(days=10**6)
    ),
    "decimal": st.decimals(
        min_value=-(10**19), max_value=10**19, places=10, allow_nan=False, allow_infinity=False
    ),
    "floating": st.floats(),
    "uuid": st.uuids(),
    "binary": st.binary(max_size=64),
    "json": _json,
    "ip": st.ip_addresses().map(str),
    "int_array": st.lists(st.none() | _int32, max_size=5),
    "text_array": st.lists(_text.filter(lambda s: len(s) <= 20), max_size=5),
    "hstore": st.dictionaries(_text, st.none() | _text, max_size=4),
    # Inclusive bounds at the int4 limits overflow when PostgreSQL canonicalises them.
    "int_range": _ranges(st.integers(-(2**31) + 1, 2**31 - 2), NumericRange),
    "date_range": _ranges(st.dates(), DateRange),
    "decimal_range": _ranges(
        st.decimals(
            allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000
        ),
        NumericRange,
    ),
    "datetime_range": _ranges(
        st.datetimes(
            min_value=datetime.datetime(1900, 1, 1),
            max_value=datetime.datetime(2100, 1, 1),
            timezones=st.just(UTC),
        ),
        DateTimeTZRange,
    ),
}


@pytest.fixture
def loop_runner():
    with asyncio.Runner() as runner:
        yield runner


@pytest.mark.parametrize("field", sorted(STRATEGIES))
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_values_round_trip_identically_on_both_paths(loop_runner, field, data):
    value = data.draw(STRATEGIES[field], label=field)

    def read(pk):
        return getattr(AllTypes.objects.using(DB).get(pk=pk), field)

    def read_native(pk):
        return loop_runner.run(run_native(read, pk, using=DB))

    # Written natively, read on both paths.
    pk = loop_runner.run(
        run_native(lambda: AllTypes.objects.using(DB).create(**{field: value}).pk, using=DB)
    )
    expected = read(pk)  # sync code, no running loop: psycopg
    got = read_native(pk)
    assert same(got, expected), (value, got, expected)
    # Written by psycopg, read natively.
    other = AllTypes.objects.using(DB).create(**{field: value}).pk
    assert same(read_native(other), read(other))
    # The value finds its own rows on both paths.
    if field not in ("floating", "json", "binary") or (
        field == "floating" and not math.isnan(value)
    ):
        count = AllTypes.objects.using(DB).filter(**{field: value}).count()
        native_count = loop_runner.run(
            run_native(
                lambda: AllTypes.objects.using(DB).filter(**{field: value}).count(), using=DB
            )
        )
        assert native_count == count
    AllTypes.objects.using(DB).all().delete()
    connections[DB].close()
