from django_asyncx.asgi import get_asgi_application

application = get_asgi_application()
