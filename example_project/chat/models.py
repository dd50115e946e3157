"""The chat's messages: one row per message sent to a room."""

from django.conf import settings
from django.db import models


class Message(models.Model):
    room = models.CharField(max_length=50, db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()
    sent = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent", "-id"]

    def as_event(self) -> dict[str, str]:
        return {"user": self.author.get_username(), "message": self.text}
