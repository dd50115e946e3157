"""Real Chromium for the realtime tests: Debian's ``chromium`` driven through its
``chromedriver`` by Selenium, headless, one fresh profile per browser.

:func:`browsers` yields a function that starts a browser; every browser it started is closed
when the block ends. When Chromium or its driver is not installed (``.ci/dev`` installs both
as root), the test skips, or fails under ``ASYNCX_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from django_asyncx.testing.services import service_unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 20.0  # seconds a page may take to show what a test waits for

# Headless, and nothing that reaches out on its own: on a closed network, Chromium's
# background requests (updates, sync, field trials) are refused and slow every page down.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def _require_chromium() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        service_unavailable(
            f"Chromium is not installed ({', '.join(missing)} missing; .ci/dev installs "
            "Debian's chromium and chromium-driver when run as root)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        service_unavailable("selenium is not installed (the dev dependency group has it)")


@contextlib.contextmanager
def browsers(*, size: tuple[int, int] = (900, 700)) -> Iterator[Callable[[], Any]]:
    """Start headless Chromium browsers (Selenium ``WebDriver`` objects) of ``size`` pixels."""
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with contextlib.ExitStack() as cleanup:

        def start() -> Any:
            profile = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="chromium-"))
            options = webdriver.ChromeOptions()
            # Both paths given: Selenium uses them as they are and looks nothing up online.
            options.binary_location = CHROMIUM
            for flag in [
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
            ]:
                options.add_argument(flag)
            driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
            cleanup.callback(driver.quit)
            return driver

        yield start


def wait_until(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    """Wait until ``condition(driver)`` is true, and return it; fail saying ``what`` was awaited."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT).until(condition)
    except TimeoutException:
        fields = driver.execute_script(
            "return Array.from(document.querySelectorAll('input, textarea'), f => f.value)"
        )
        raise AssertionError(
            f"{what}: not seen within {WAIT:g} s on {driver.current_url}\n"
            f"--- page text ---\n{driver.find_element('tag name', 'body').text}\n"
            f"--- form fields ---\n{fields}"
        ) from None
