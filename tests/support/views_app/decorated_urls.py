"""URLs of the decorated views."""

from django.urls import path

from . import decorated

urlpatterns = [
    path("gated/", decorated.gated),
    path("gated-per-user/", decorated.gated_per_user),
    path("queued/", decorated.queued),
    path("short-wait/", decorated.short_wait),
    path("sync-gated/", decorated.sync_gated),
    path("cached/", decorated.cached),
    path("cached-slow/", decorated.cached_slow),
    path("cached-sync/", decorated.cached_sync),
    path("cached-template/", decorated.cached_template),
    path("sync-orm/", decorated.sync_orm),
    path("plain-sync-orm/", decorated.plain_sync_orm),
    path("plain/", decorated.plain),
    path("sync-write/", decorated.sync_write),
    path("timeout/", decorated.writes_then_hangs),
    path("hanging/", decorated.HangingView.as_view()),
    path("gated-class/", decorated.GatedClassView.as_view()),
    path("cached-class/", decorated.CachedClassView.as_view()),
]
