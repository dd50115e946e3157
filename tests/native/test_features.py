"""The native path declares the tests of Django's suite it cannot pass, through Django's own
mechanism, with a reason each."""

import pytest
from django.db import connections

from django_asyncx.db.backends.postgresql.features import EXPECTED_FAILURES, NativeFeatures
from django_asyncx.db.backends.postgresql.native import run_native

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"


async def test_the_native_wrapper_declares_its_expected_failures_and_keeps_djangos():
    def declared():
        features = connections[DB].features
        return type(features), features.django_test_expected_failures

    features_class, expected = await run_native(declared, using=DB)
    assert features_class is NativeFeatures
    djangos = connections[DB].features.django_test_expected_failures  # the psycopg side
    listed = set().union(*EXPECTED_FAILURES.values())
    assert expected == set(djangos) | listed
    assert all(reason and tests for reason, tests in EXPECTED_FAILURES.items())
