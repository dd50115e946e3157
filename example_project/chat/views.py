"""The chat pages: pick a room, then the room (its JavaScript opens the WebSocket)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


async def index(request: HttpRequest) -> HttpResponse:
    return render(request, "chat/index.html")


async def room(request: HttpRequest, room: str) -> HttpResponse:
    user = await request.auser()
    return render(request, "chat/room.html", {"room": room, "chat_user": user})
