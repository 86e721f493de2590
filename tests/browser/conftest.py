"""A real Chromium for the desk's pages, driven by Playwright against `live_server`.

Debian's Chromium (`apt-get install chromium`), never a browser Playwright downloads.
Without it the tests skip on a developer's machine and fail in CI (see `require_service`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
# The recipe's flags (shared/recipes/real-services-in-tests.md): nothing reaches out on
# its own, so every request the tests see was made by the page under test.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# The same test as `is_remote`, as a pattern Playwright matches inside its driver: only
# remote requests are intercepted (and aborted, so no test waits on a network).
REMOTE_URL = re.compile(
    r"^(?:https?|wss?|ftp)://(?!(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/?#]|$))", re.IGNORECASE
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium (Debian's chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Yield a headless Chromium for one test module (each launch gets a fresh profile).

    Playwright's sync API keeps its asyncio loop marked as running in the main thread
    while it is open, and Django then refuses ORM calls there ("async context"). The calls
    really are synchronous, so Django's documented escape hatch is set for exactly as long
    as the browser lives; module scope keeps the loop away from every other test module.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("chromium not installed (the playwright module is missing)")
    if not CHROMIUM.exists():
        require_service("chromium not installed")
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as p:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def is_remote(url: str) -> bool:
    """Return whether *url* goes over the network to a host other than this machine."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss", "ftp"} and (
        (parts.hostname or "") not in LOCAL_HOSTS
    )


class PageWatch:
    """What a page did that it should not: dialogs opened, requests to other hosts."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.remote_requests: list[str] = []


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """Yield a page in a fresh context that records dialogs and blocks remote requests.

    `page.watch` holds what was recorded; a request to any host but the live server's is
    recorded and aborted, so a leak shows up in the test and never waits on a network.
    """
    context = browser.new_context()
    page = context.new_page()
    watch = PageWatch()

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_request(request: Any) -> None:
        if is_remote(request.url):
            watch.remote_requests.append(request.url)

    page.on("dialog", on_dialog)
    page.on("request", on_request)
    context.route(REMOTE_URL, lambda route: route.abort())
    page.watch = watch
    page.set_default_timeout(10_000)
    yield page
    context.close()
