from django.http import HttpResponse


async def home(request):
    return HttpResponse("home")


def report(request):
    return HttpResponse("report")
