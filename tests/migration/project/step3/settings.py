"""Step 3: the middleware swapped for django_asyncx's drop-ins, ``request.http`` added."""

from step2.settings import *  # noqa: F403

from django_asyncx.middleware import async_native

MIDDLEWARE = [
    *async_native(
        [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
    ),
    "django_asyncx.middleware.HttpClientMiddleware",
]

ASYNCX = {
    "HTTP_CLIENTS": {
        "default": {
            # Like requests: a 404 is an answer the view looks at, not an exception.
            "raise_for_status": False,
            # The tests run the rates service on loopback, which the SSRF guard refuses.
            "allowed_hosts": ["127.0.0.1"],
        }
    },
}
