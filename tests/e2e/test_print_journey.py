"""Printing a report: county staff print the compliance report of a township with
many branches; the PDF Chromium makes is read back page by page with pypdfium2."""

import re

import pytest
from django.urls import reverse

from branches.roles import Role
from tests.e2e.conftest import SCREENSHOTS, account, log_in, pdf_pages
from tests.factories import BranchFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VILLAGES = "东庄 西庄 南营 北营 前屯 后屯 上湾 下湾 大沟 小沟 高坪 王岭 李桥 张河 刘台 陈店".split()


def test_it_prints_the_compliance_report_with_page_numbers_a_running_head_and_one_total(page, tree):
    # 2 + 32 branches: both of the report's tables run over a page.
    for name in VILLAGES:
        BranchFactory(parent=tree.township_a, name=f"{name}村党支部")
        BranchFactory(parent=tree.township_a, name=f"{name}社区党支部", category="community")
    account("county", tree.county, Role.COUNTY)

    log_in(page, "county")
    page.goto(reverse("reports:compliance", args=[tree.township_a.pk]) + "?year=2025")
    page.wait_for_function("document.querySelector('#report-chart').width > 0")
    page.emulate_media(media="print")
    path = SCREENSHOTS / "report-compliance-print.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The page's own @page rules decide size and margins, as the browser's print does.
    page.pdf(path=str(path), prefer_css_page_size=True)
    texts = pdf_pages(path, "report-compliance-print")

    pages = len(texts)
    assert pages >= 3
    for number, text in enumerate(texts, start=1):
        flat = re.sub(r"\s+", "", text)
        assert f"第{number}页共{pages}页" in flat, number
        assert "甲镇党委·2025年三会一课·截至2025年12月31日" in flat, number
    whole = "\n".join(texts)
    # Two tables, one total each, after their last row (not under every page's part).
    assert whole.count("合计") == 2
    assert whole.index("合计") > whole.index("陈店社区党支部")
    # Column headers and organisation names on one line each, not broken inside.
    assert "支部党员大会" in whole and "民主评议党员" in whole
    assert "陈店社区党支部" in whole
