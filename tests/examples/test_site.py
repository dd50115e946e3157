"""The example project as a visitor and a load test see it, on its default database (SQLite).

One uvicorn server in a subprocess (DEBUG off, as deployed), the example's own upstream
service in another, a fresh SQLite file migrated and seeded with ``manage.py``: every page and
asset linked from ``/`` answers 200, the bank's form is CSRF-protected and shows its errors,
and 2,000 transfers at 100 concurrent all succeed with the money conserved.
"""

import asyncio
import random
import re
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest

from django_asyncx.testing.servers import free_port
from tests.examples.test_example import EXAMPLE, manage

pytestmark = pytest.mark.servers

ACCOUNTS = {"alice": 120_000, "bob": 45_000, "carol": 800, "dave": 0}  # seed_bank's


@pytest.fixture(scope="module")
def upstream_url():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "upstream_service.py", "--port", str(port), "--failure-rate", "0"],
        cwd=EXAMPLE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def site(tmp_path, upstream_url, live_server_factory):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'example.sqlite3'}",
        "UPSTREAM_URL": upstream_url,
        "DJANGO_DEBUG": "0",
    }
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_demo", "--authors", "3", "--books-per-author", "4")
    manage(env, "seed_bank")
    return live_server_factory("config.asgi:application", cwd=EXAMPLE, env=env)


class Links(HTMLParser):
    """The href and src attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


async def test_every_page_and_asset_linked_from_home_answers_200(site):
    origin = site.url
    seen: dict[str, int] = {}
    queue = [f"{origin}/"]
    async with aiohttp.ClientSession() as client:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            async with client.get(url) as response:
                seen[url] = response.status
                body = await response.text()
                if response.content_type != "text/html":
                    continue
            parser = Links()
            parser.feed(body)
            for link in parser.found:
                target = urljoin(str(response.url), link).split("#")[0]
                if urlsplit(target).netloc == urlsplit(origin).netloc:
                    queue.append(target)
    assert {url: status for url, status in seen.items() if status != 200} == {}
    paths = {urlsplit(url).path for url in seen}
    assert {"/static/site.css", "/bank/", "/aggregator/", "/showcase/slow/"} <= paths
    assert len(paths) >= 15


async def test_the_aggregator_renders_upstream_data_as_content(site):
    page = site.get("/aggregator/").text
    assert "Lyon: clear, 21 °C" in page
    assert "<li>Async Django ships</li>" in page
    assert "{'" not in page  # no dict repr


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


async def test_the_bank_form_is_csrf_protected_and_shows_validation_errors(site):
    url = f"{site.url}/bank/"
    jar = aiohttp.CookieJar(unsafe=True)  # keep the CSRF cookie of an IP-address host
    async with aiohttp.ClientSession(cookie_jar=jar) as client:

        async def post(**form: str) -> tuple[int, str]:
            async with client.post(url, data=form) as response:
                return response.status, await response.text()

        async with client.get(url) as response:
            page = await response.text()
        assert response.status == 200
        assert '<th>total</th><th class="amount">165800</th>' in page
        token = _token(page)

        status, _ = await post(source="1", target="2", amount="500")
        assert status == 403  # no CSRF token

        status, page = await post(csrfmiddlewaretoken=token, source="1", target="2", amount="0")
        assert status == 400
        assert "Ensure this value is greater than or equal to 1." in page
        status, page = await post(csrfmiddlewaretoken=token, source="1", target="1", amount="5")
        assert (status, "Choose two different accounts." in page) == (400, True)
        status, page = await post(csrfmiddlewaretoken=token, source="x", target="1", amount="5")
        assert (status, "Select a valid choice." in page) == (400, True)

        ids = dict(re.findall(r'<option value="(\d+)">(\w+)</option>', page))
        by_owner = {owner: pk for pk, owner in ids.items()}
        carol, dave = by_owner["carol"], by_owner["dave"]
        status, page = await post(
            csrfmiddlewaretoken=token, source=carol, target=dave, amount="801"
        )
        assert status == 400
        assert "The transfer was refused: insufficient funds." in page

        status, page = await post(
            csrfmiddlewaretoken=token, source=carol, target=dave, amount="300"
        )
        assert status == 200  # after the redirect
        assert "Moved 300 cents." in page
        assert '<td>carol</td><td class="amount">500</td>' in page
        assert '<td>dave</td><td class="amount">300</td>' in page


async def test_2000_transfers_at_100_concurrent_all_succeed_on_sqlite(site):
    summary = site.get("/bank/summary/").json()
    assert summary["total"] == sum(ACCOUNTS.values())
    page = site.get("/bank/").text
    ids = {owner: pk for pk, owner in re.findall(r'<option value="(\d+)">(\w+)</option>', page)}
    rng = random.Random(14)
    # alice and bob can cover every transfer they make, so each one must succeed.
    transfers = [
        (source, rng.choice([o for o in ACCOUNTS if o != source]), rng.randint(1, 20))
        for source in rng.choices(["alice", "bob"], k=2000)
    ]
    expected = dict(ACCOUNTS)
    for source, target, amount in transfers:
        expected[source] -= amount
        expected[target] += amount

    connector = aiohttp.TCPConnector(limit=100)  # 100 requests in flight at once
    async with aiohttp.ClientSession(connector=connector) as client:

        async def transfer(source: str, target: str, amount: int) -> tuple[int, str]:
            form = {"source": ids[source], "target": ids[target], "amount": str(amount)}
            async with client.post(f"{site.url}/bank/transfer/", data=form) as response:
                return response.status, await response.text()

        results = await asyncio.gather(*(transfer(*t) for t in transfers))
    failures = [result for result in results if result[0] != 200]
    assert failures == []
    assert site.get("/bank/summary/").json()["total"] == sum(ACCOUNTS.values())
    page = site.get("/bank/").text
    for owner, balance in expected.items():
        assert f'<td>{owner}</td><td class="amount">{balance}</td>' in page
    assert "database is locked" not in site.stderr
