"""django_asyncx's application, with the hops of each request recorded for the tests.

``GET /__hops__/`` answers, as JSON, the owners of the thread hops the last request to each
path made (counted with :func:`django_asyncx.hops.count_hops` in the server process).
"""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.static_project.settings")

from django_asyncx.asgi import get_asgi_application
from django_asyncx.hops import count_hops

django_application = get_asgi_application()
_hops: dict[str, list[str]] = {}


async def application(scope, receive, send):
    if scope["type"] != "http":
        return await django_application(scope, receive, send)
    if scope["path"] == "/__hops__/":
        body = json.dumps(_hops).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None
    with count_hops() as hops:
        await django_application(scope, receive, send)
    _hops[scope["path"]] = [hop.owner for hop in hops.hops]
    return None
