"""Recipe: static files from the event loop with the WhiteNoise drop-in, in settings.py."""

from django_asyncx.middleware import async_native

MIDDLEWARE = async_native(
    [
        "django.middleware.security.SecurityMiddleware",
        # Where WhiteNoise's documentation puts it; async_native() swaps in the drop-in.
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
)
STATIC_URL = "static/"
STATIC_ROOT = "staticfiles"  # filled by manage.py collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


async def demo():
    """Run the recipe: a collected stylesheet is served, gzip variant included, no hop."""
    import gzip
    import tempfile
    from pathlib import Path

    from django.test import override_settings

    from django_asyncx.asgi import ASGIHandler
    from django_asyncx.hops import count_hops
    from django_asyncx.testing.client import arequest

    assert MIDDLEWARE[1] == "django_asyncx.middleware.WhiteNoiseMiddleware"
    css = b"body { margin: 0 }\n" * 100
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "site.css").write_bytes(css)
        (Path(root) / "site.css.gz").write_bytes(gzip.compress(css))
        with override_settings(MIDDLEWARE=MIDDLEWARE, STATIC_URL="/static/", STATIC_ROOT=root):
            app = ASGIHandler()  # the drop-in reads the small files into memory here
            with count_hops() as hops:
                result = await arequest(
                    app, "GET", "/static/site.css", headers={"Accept-Encoding": "gzip"}
                )
    assert (result.status, result.header("content-encoding"), hops.count) == (200, "gzip", 0)
    assert gzip.decompress(result.body) == css
