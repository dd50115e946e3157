"""URLs of the views test app, mounted at /views/."""

from django.urls import path

from . import views

urlpatterns = [
    path("views/hello/", views.hello),
    path("views/sync/", views.sync_hello),
    path("views/missing/", views.not_found),
    path("views/forbidden/", views.forbidden),
    path("views/broken/", views.broken),
    path("views/stream/", views.stream),
    path("views/sync-stream/", views.sync_stream),
    path("views/upload/", views.upload),
    path("views/echo/", views.echo_body),
    path("views/whoami/", views.whoami),
    path("views/slow/", views.slow),
    path("views/form/", views.form),
    path("views/session-set/", views.session_set),
    path("views/session-read/", views.session_read),
    path("views/add-message/", views.add_message),
    path("views/show-messages/", views.show_messages),
    path("views/noslash", views.hello),
    path("views/protected/", views.protected_form),
    path("views/csrf-token/", views.csrf_token),
    path("views/login/", views.login_view),
    path("views/big/", views.big),
]
