"""Browser fixtures: Debian's Chromium driven by Playwright against the live server.

The browser is launched in exactly one fixture, ``browser``, so switching to
Selenium with /usr/bin/chromedriver would be a change here alone.
"""

import os
import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from tests.concurrency import restore_roles
from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run in such a thread unless told it is safe (it is: one thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "a-long-pass-phrase"


def account(username: str, org, role, **fields):
    """An account at *org* holding *role*, with the journeys' password."""
    user = UserFactory(username=username, org=org, **fields)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=role.label))
    return user


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles the data migration creates.

    Live-server tests flush the database after each test, and the flush
    drops the groups the migration made (serialized rollback does not
    survive the live server's connection handling on SQLite).
    """
    restore_roles()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    # The Content Security Policy forbids inline script: a page that needs
    # one breaks here, not in production.
    violations = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    yield page
    context.close()
    assert not violations, violations


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot to var/screenshots/<name>.png, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pdf_pages(path: Path, name: str) -> list[str]:
    """The text of each page of the PDF at *path*; each page also rendered to
    var/screenshots/<name>-<n>.png, to look at.

    pypdfium2 renders the pages; the PNG is written with zlib alone, as
    pypdfium2's own image export needs Pillow, which nothing else here does.
    """
    import pypdfium2

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = pypdfium2.PdfDocument(str(path))
    texts = []
    for number, pdf_page in enumerate(pdf, start=1):
        texts.append(pdf_page.get_textpage().get_text_range())
        bitmap = pdf_page.render(scale=1.5, rev_byteorder=True)  # RGB(A), not BGR(A)
        _write_png(bitmap, SCREENSHOTS / f"{name}-{number}.png")
    pdf.close()
    return texts


def _write_png(bitmap, path: Path) -> None:
    width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
    data = bytes(bitmap.buffer)
    rows = bytearray()
    for y in range(height):
        row = data[y * stride : y * stride + width * channels]
        rows.append(0)  # no filter
        # An RGB row as it is; only an RGBA row is cut to RGB, pixel by pixel (slow in Python).
        rows += (
            row if channels == 3 else b"".join(row[i : i + 3] for i in range(0, len(row), channels))
        )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + chunk(b"IEND", b"")
    )
