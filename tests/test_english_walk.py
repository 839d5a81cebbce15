"""Every page of the site, the admin's included, read for English words left in the UI.

The site speaks Simplified Chinese only. The walk opens every page
``page_urls`` knows (township A's objects filled in) as each account a
county has – a superuser, each of the four roles of ``branches.roles`` (the
cast of tests/conftest.py) – and anonymously, and reads what a user sees or
hears from a screen reader: the text outside <script>, <style>, <code> and
<pre>, the ``title``, ``placeholder``, ``aria-label`` and ``alt`` attributes
and the captions of input buttons, the 403 and 404 pages a role meets on
the way included. A word of two or more Latin letters there is an
untranslated label unless ``ALLOWED`` names it, with its reason; the words
of ``BANNED`` (those users reported, and Django's and its add-ons' English
defaults) are never allowed. Each error page (400, 403, 404, 500 and the
CSRF failure) is also rendered for every account and must show inside the
site's layout.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import get_resolver, reverse

from tests.factories import UserFactory
from tests.urlwalk import page_urls

# Database-independent: run on PostgreSQL only (tests/conftest.py).
pytestmark = pytest.mark.walk

# A token of letters, digits and underscores holding two Latin letters in a row
# ("Search", "md5", "clerk_a"); single letters are organisation codes ("A-V").
WORD = re.compile(r"[A-Za-z0-9_]*[A-Za-z]{2}[A-Za-z0-9_]*")

ALLOWED = {
    # File formats, units and encodings the upload and download pages name.
    "Excel": "the spreadsheet program the clerks use",
    "CSV": "file format",
    "csv": "file extension, and django-import-export's format list",
    "xlsx": "file extension, and django-import-export's format list",
    "xls": "file extension",
    "pdf": "file extension (the test attachment 甲村签到表.pdf)",
    "PDF": "file format",
    "JPG": "file format",
    "PNG": "file format",
    "MB": "unit",
    "UTF": "character encoding, as in UTF-8",
    "GBK": "character encoding",
    "IP": "network term: IP 地址 is the usual Chinese name (the lock-out records)",
    # Keys and systems named by their own names on the keyboard and in Django's zh_Hans text.
    "Tab": "key name (the attendance form's keyboard help)",
    "Control": "key name (Django's zh_Hans help of multiple selects)",
    "Command": "key name (Django's zh_Hans help of multiple selects)",
    "Mac": "product name (Django's zh_Hans help of multiple selects)",
    "LDAP": "protocol name (Django's zh_Hans help of the usable-password switch)",
    # Django labels every automatic primary key with the literal "ID"
    # (django/db/models/options.py); the read-only admin pages show record numbers under it.
    "ID": "Django's label of automatic primary keys, common usage in Chinese software",
    # Django's account page shows the password hasher by its name; the tests hash with MD5.
    "md5": "password hasher name (tests/conftest.py's fast hasher)",
    # Usernames of the test data: the cast of tests/conftest.py and this walk's superuser.
    "root": "test username (this walk's superuser)",
    "county": "test username (tests/conftest.py CAST)",
    "clerk_a": "test username (tests/conftest.py CAST)",
    "clerk_b": "test username (tests/conftest.py CAST)",
    "secretary_a": "test username (tests/conftest.py CAST)",
    "admin_role": "test username (tests/conftest.py CAST)",
    # django-axes stores "<unknown>" as the browser of a client that sent no
    # User-Agent header (the test client): a logged value, not a label.
    "unknown": "django-axes' stored user agent of the test client",
}

# English a user met or Django and its add-ons show by default (the admin's
# buttons, django-axes' and django-tasks' sections, Django's bare error pages,
# the admin's "Id number masked" for a method without a description): never
# allowed, whatever ALLOWED says. Matched as whole words, in any case.
BANNED = [
    "Forbidden",
    "Not Found",
    "Server Error",
    "Bad Request",
    "masked",
    "Access attempts",
    "Access failures",
    "Access logs",
    "Task results",
    "Add",
    "Change",
    "Delete",
    "Save",
    "History",
    "CSRF",
    "Log in",
    "Log out",
    "Welcome",
    "Home",
    "Filter",
    "Search",
    "Action",
    "None",
]
BANNED_RE = re.compile(
    r"(?<![A-Za-z])(" + "|".join(map(re.escape, BANNED)) + r")(?![A-Za-z])", re.IGNORECASE
)

SKIPPED_TAGS = {"script", "style", "code", "pre"}
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Inputs whose value is a caption; any other input's value is data the user typed.
CAPTION_INPUTS = {"submit", "button", "reset"}
# Django's admin writes a boolean's Python value ("True", "False", "None") as its
# icon's alt text (django/contrib/admin/templatetags/admin_list.py, _boolean_icon),
# outside any catalogue and with no way to override it short of patching Django.
BOOLEAN_ICON = re.compile(r"/admin/img/icon-(yes|no|unknown)\.svg$")


class VisibleText(HTMLParser):
    """(where, text) for each piece of a page a user reads or hears, in document order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, str]] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skipping.append(tag)
        if self._skipping:
            return
        values = {name: value or "" for name, value in attrs}
        for name in READ_ATTRIBUTES:
            if values.get(name) and not (name == "alt" and BOOLEAN_ICON.search(values["src"])):
                self.pieces.append((f"<{tag} {name}>", values[name]))
        if tag == "input" and values.get("type") in CAPTION_INPUTS and values.get("value"):
            self.pieces.append((f"<{tag} value>", values["value"]))

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.pieces.append(("text", " ".join(data.split())))


def english_words(html: str) -> list[tuple[str, str]]:
    """(word, snippet) for each Latin word of the page's visible text that ALLOWED lacks,
    and for each BANNED word or phrase."""
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    found = []
    for where, text in parser.pieces:
        banned = list(BANNED_RE.finditer(text))
        for match in banned:
            start = max(match.start() - 25, 0)
            found.append((match.group(), f"{where} …{text[start : match.end() + 25]}…"))
        for match in WORD.finditer(text):
            if any(b.start() <= match.start() < b.end() for b in banned):
                continue  # reported above
            # A masked value's visible head (a password hash's salt: "JH****"), not a word.
            if match.group() in ALLOWED or text.startswith("*", match.end()):
                continue
            start = max(match.start() - 25, 0)
            found.append((match.group(), f"{where} …{text[start : match.end() + 25]}…"))
    return found


def test_it_reads_text_attributes_and_captions_but_not_scripts_or_data():
    html = """<title>Dashboard</title><script>var label = "Search";</script>
    <p title="Help">说明 <code>manage.py</code></p><img src="/static/admin/img/icon-yes.svg" alt="True">
    <input type="hidden" name="next" value="/admin/"><input type="text" value="root">
    <input type="submit" value="Save"><select><option>Yes</option></select>
    <span>1101**********1234 JH******</span>"""
    assert [word for word, _ in english_words(html)] == ["Dashboard", "Help", "Save", "Yes"]


def test_it_reports_every_banned_word_even_one_allowed_by_mistake():
    html = "<p>" + " · ".join(BANNED) + "</p><p>Id number masked</p>"
    reported = [word for word, _ in english_words(html)]
    for phrase in BANNED:
        assert phrase in reported, phrase
    assert "masked" in reported
    assert not {word.lower() for word in ALLOWED} & {phrase.lower() for phrase in BANNED}


@pytest.fixture
def superuser(tree):
    return UserFactory(username="root", org=tree.county, is_superuser=True)


# Every kind of account: the superuser, the four roles (branches.roles.Role), nobody.
WHO = ["superuser", "county_user", "clerk_a", "secretary_a", "admin_role_user", "anonymous"]


def account(who: str, request):
    return AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)


# The tree, cast and township A's objects are built once for the module (tests/conftest.py).
@pytest.mark.usefixtures("shared_world")
@pytest.mark.parametrize("who", WHO)
def test_it_shows_no_english_word_on_any_page(who, world, client, request):
    if who != "anonymous":
        client.force_login(account(who, request))
    urls = page_urls(world)
    assert len(urls) > 150, "the walk reaches the whole site"
    failures, read = [], 0
    for url in urls:
        response = client.get(url)
        if response.status_code in (301, 302) or getattr(response, "streaming", False):
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # exports and files; their column headers are tested with the exports
        read += 1
        words = set()
        for word, snippet in english_words(response.content.decode()):
            if word not in words:  # one line per word and page is enough to find it
                words.add(word)
                failures.append((url, word, snippet))
    assert read > (150 if who != "anonymous" else 0)
    assert not failures, "English words in the UI:\n" + "\n".join(map(repr, failures))


def _error_request(rf, user):
    request = rf.get("/reports/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


ERRORS = {
    400: BadRequest("bad"),
    403: PermissionDenied("Forbidden"),
    404: Http404("Not Found"),
    500: None,
}


def _in_layout(html: str) -> bool:
    return 'class="topbar"' in html and "css/app.css" in html and '<main class="page">' in html


@pytest.mark.usefixtures("shared_world")
@pytest.mark.parametrize("who", WHO)
def test_it_shows_each_error_page_in_chinese_inside_the_sites_layout(who, db, rf, request):
    # ``db`` even for the anonymous case: pytest-django orders tests without it
    # after the transactional ones, whose flush removes the roles the cast needs.
    user = account(who, request)
    client = Client(enforce_csrf_checks=True)
    if who != "anonymous":
        client.force_login(user)
    pages = {}
    for status, exception in ERRORS.items():
        handler = get_resolver().resolve_error_handler(status)
        args = () if exception is None else (exception,)
        pages[status] = handler(_error_request(rf, user), *args)
    # The same pages as the site answers them: a URL nobody has, and a form
    # posted without its CSRF token (a page left open past the session).
    pages["404 (real)"] = client.get("/此页不存在/")
    pages["403 (csrf)"] = client.post(reverse("logout"))
    for status, response in pages.items():
        assert str(response.status_code) == str(status)[:3], status
        html = response.content.decode()
        assert _in_layout(html), (status, html[:300])
        assert not english_words(html), (status, english_words(html))
        assert "党建台账" in html
