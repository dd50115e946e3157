"""The example's chat in real Chromium: two users on two server processes sharing Redis.

Ann's browser talks to daphne, Bob's to uvicorn (``channels_application``, Channels' router
outermost); both log in through the admin's form, open the same room and type into the chat
page's input. Each sees both messages, with the right names, in the page; a third browser, a
guest on the room's follow page, sees them through server-sent events. The test saves what
the pages show into ``docs/_static/`` for the realtime guide: a fixed room and fixed
messages, so the pictures only change when the pages do.
"""

import random
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.realtime.browser import browsers, wait_until
from tests.realtime.chat_project import PASSWORD, ROOT, ChatProject

pytestmark = pytest.mark.servers

SCREENSHOTS = ROOT / "docs" / "_static"
ROOM = "lobby"
ANN_SAYS = "Hello Bob! I am on daphne."
BOB_SAYS = "Hi Ann, uvicorn here: same room, other process."


@pytest.fixture
def project(tmp_path, asyncx_redis_url):
    # The room's name is fixed (it shows on the screenshots); a Redis database of its own
    # keeps another run of this test out of it.
    parts = urlsplit(asyncx_redis_url)
    redis_url = urlunsplit(parts._replace(path=f"/{random.randint(1, 15)}"))
    project = ChatProject(f"sqlite:///{tmp_path / 'chat.sqlite3'}", redis_url=redis_url)
    project.prepare("ann", "bob")
    return project


def enter_room(driver, base_url: str, username: str) -> None:
    """Log in through the admin's form, land in the room, wait for its WebSocket to open."""
    driver.get(f"{base_url}/admin/login/?next=/chat/{ROOM}/")
    driver.find_element("id", "id_username").send_keys(username)
    driver.find_element("id", "id_password").send_keys(PASSWORD)
    driver.find_element("css selector", "input[type=submit]").click()
    wait_until(driver, lambda d: d.find_element("id", "who").text == f"You write as {username}.",
               f"{username} in room {ROOM}")  # fmt: skip
    wait_until(driver, lambda d: d.execute_script("return chatSocket.readyState === 1"),
               f"{username}'s WebSocket open")  # fmt: skip


def say(driver, text: str) -> None:
    """Type ``text`` into the chat input and press Enter, as a user does."""
    driver.find_element("id", "chat-message-input").send_keys(text + "\n")


def chat_log(driver) -> str:
    return driver.find_element("id", "chat-log").get_property("value")


def followed(driver) -> list[tuple[str, str]]:
    items = driver.find_elements("css selector", "#chat-events li")
    return [
        (
            item.find_element("class name", "user").text,
            item.find_element("class name", "message").text,
        )
        for item in items
    ]


def screenshot(driver, name: str) -> Path:
    # No focus (a blinking caret would make each picture differ from the last), from the top.
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    target = SCREENSHOTS / name
    assert driver.save_screenshot(str(target)), target
    return target


def test_two_browsers_on_two_processes_chat_and_a_third_follows_by_server_sent_events(project):
    with (
        project.server("daphne") as daphne,
        project.server("uvicorn", "channels_application") as uvicorn,
        browsers() as browser,
    ):
        ann, bob, guest = browser(), browser(), browser()
        enter_room(ann, daphne.url, "ann")
        enter_room(bob, uvicorn.url, "bob")
        guest.get(f"{uvicorn.url}/chat/{ROOM}/follow/")
        wait_until(guest, lambda d: d.find_element("id", "status").text == "live",
                   "the follow page's stream joined the room")  # fmt: skip

        say(ann, ANN_SAYS)
        for driver in (ann, bob):
            wait_until(driver, lambda d: f"ann: {ANN_SAYS}\n" in chat_log(d), "ann's message")
        say(bob, BOB_SAYS)
        for driver in (ann, bob):
            wait_until(driver, lambda d: f"bob: {BOB_SAYS}\n" in chat_log(d), "bob's message")
        wait_until(guest, lambda d: len(followed(d)) == 2, "both messages on the follow page")

        expected = f"ann: {ANN_SAYS}\nbob: {BOB_SAYS}\n"
        assert chat_log(ann) == chat_log(bob) == expected
        assert followed(guest) == [("ann", ANN_SAYS), ("bob", BOB_SAYS)]
        assert ann.find_element("id", "who").text == "You write as ann."
        assert bob.find_element("id", "who").text == "You write as bob."
        shots = [
            screenshot(ann, "chat-room-ann.png"),
            screenshot(bob, "chat-room-bob.png"),
            screenshot(guest, "chat-follow.png"),
        ]
    for shot in shots:
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), shot
