"""The example project runs on the native engine when DATABASE_URL names PostgreSQL."""

from django_asyncx.testing import services
from tests.examples.test_settings import shell


def test_a_postgresql_database_url_selects_the_native_engine():
    code = "from django.db import connection as c; print(c.settings_dict['ENGINE'])"
    url = services.postgres_url()
    assert shell({"DATABASE_URL": url}, code) == "django_asyncx.db.backends.postgresql"
    assert shell({"DATABASE_URL": ""}, code) == "django.db.backends.sqlite3"
