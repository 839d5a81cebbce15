"""Every page and export of the site, opened by a user who may not see personal data.

The user holds every permission but ``members.view_pii`` and sits at the
county, so every page shows township A's member. No response (HTML, xlsx,
csv or file) may hold the member's whole ID number, birth date, mobile or
landline: the masks of ``members.pii`` apply everywhere, a page added
tomorrow included.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import Group, Permission
from openpyxl import load_workbook

from members.models import Member
from tests.factories import UserFactory
from tests.urlwalk import LANDLINE, MOBILE, OLD_MOBILE, build_world, page_urls

# Database-independent: run on PostgreSQL only (tests/conftest.py).
pytestmark = pytest.mark.walk


@pytest.fixture
def no_pii_user(tree):
    group = Group.objects.create(name="全部权限但不含个人信息")
    group.permissions.set(Permission.objects.exclude(codename="view_pii"))
    user = UserFactory(username="no_pii", org=tree.county)
    user.groups.add(group)
    assert not user.has_perm("members.view_pii") and user.has_perm("members.view_member")
    return user


def body_text(response) -> str:
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if content.startswith(b"PK") and zipfile.is_zipfile(io.BytesIO(content)):
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            " ".join(str(v) for v in row if v is not None)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8", errors="replace")


def whole_values(member: Member) -> list[str]:
    born = member.birth_date
    return [
        member.id_number,
        MOBILE,
        OLD_MOBILE,
        LANDLINE,
        LANDLINE.replace("-", ""),
        born.isoformat(),
        f"{born.year}年{born.month}月{born.day}日",
        f"{born:%Y年%m月%d日}",
        f"{born:%Y/%m/%d}",
        f"{born:%Y.%m.%d}",
    ]


def test_it_shows_no_whole_personal_data_on_any_page_or_export(
    tree, clerk_a, no_pii_user, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.SESSION_SAVE_EVERY_REQUEST = False  # as in the other walks (tests/conftest.py)
    world = build_world(tree, clerk_a)
    member = Member.objects.get(name="甲村秘密党员")
    secrets = whole_values(member)
    client.force_login(no_pii_user)
    searches = [f"?q={member.id_number}", f"?q={MOBILE}", f"?q={LANDLINE}"]
    urls = page_urls(world)
    assert len(urls) > 100, "the walk reaches the whole site"
    opened = 0
    for url in urls:
        variants = ["", "?format=xlsx", "?format=csv"]
        if url.endswith("/member/") or url.endswith("/autocomplete/"):
            variants += searches
        page, downloads = "", 0
        for query in variants:
            if query == "?format=csv" and not _may_have_csv(page, downloads):
                continue
            response = client.get(url + query)
            assert response.status_code < 500, (url + query, response.status_code)
            if query == "":
                page = _html(response)
            if response.status_code != 200:
                continue
            if query == "?format=xlsx" and _html(response) is None:
                downloads += 1
            opened += 1
            text = body_text(response)
            for secret in secrets:
                # What the user typed comes back in the search box: not a leak.
                if secret not in query:
                    assert secret not in text, (url + query, secret)
    assert opened > 100


def _html(response) -> str | None:
    if getattr(response, "streaming", False):
        return None
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    return response.content.decode("utf-8", errors="replace")


def _may_have_csv(page: str | None, downloads: int) -> bool:
    """Whether to ask the URL for a csv too: it answered the xlsx with a file, or its
    page links a csv. A page that shows itself again for both is asked once (most
    pages are; the csv request was a third of the walk)."""
    return downloads > 0 or page is None or "format=csv" in page


def test_the_walk_would_find_a_whole_birth_date(tree, clerk_a, client, settings, tmp_path):
    """The check itself: a user who may see personal data does see the values it looks for."""
    settings.MEDIA_ROOT = tmp_path
    build_world(tree, clerk_a)
    member = Member.objects.get(name="甲村秘密党员")
    client.force_login(clerk_a)
    text = body_text(client.get(f"/admin/members/member/{member.pk}/change/"))
    assert f"{member.birth_date:%Y/%m/%d}" in text
    assert MOBILE in text and LANDLINE in text and member.id_number in text
    export = body_text(client.get("/members/export/?format=csv"))
    assert member.birth_date.isoformat() in export and LANDLINE in export
