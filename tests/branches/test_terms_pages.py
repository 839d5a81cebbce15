"""换届 pages: an organisation's term, the election form (refusals write nothing), the
printed record, postponement and filing, scope, the county's report and its export,
the worklist's section and the overview's 一肩挑 count."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from branches.models import Candidate, Election, Organization, Post, PostTitle, TermPostponement
from branches.services import org_update, post_assign
from branches.terms import forms as terms_forms
from tests.factories import BranchFactory, MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _clock():
    with frozen(beijing(2026, 6, 15)):
        yield


@pytest.fixture
def people(tree):
    return [MemberFactory(group=tree.group_a1, name=f"候选人{i}") for i in range(3)]


def election_url(org) -> str:
    return reverse("terms:election_record", args=[org.pk])


def payload(people, **changes) -> dict:
    data = {
        "held_on": "2026-06-01",
        "by_election": "0",
        "method": "direct",
        "electors": "50",
        "present": "41",
        "approval_document": "甲镇党委〔2026〕5号",
        "c1_member": f"{people[0].name}（甲村党支部）#{people[0].pk}",
        "c1_title": PostTitle.SECRETARY,
        "c1_votes": "40",
        "c1_elected": "on",
        "c2_member": people[1].name,  # typed by name: unique in the branch
        "c2_title": PostTitle.ORGANIZATION,
        "c2_votes": "21",
        "c2_elected": "on",
    }
    data.update(changes)
    return data


def test_the_clerk_records_an_election_and_prints_it(tree, clerk_a_client, people):
    page = clerk_a_client.get(election_url(tree.village_a)).content.decode()
    assert f"#{people[0].pk}" in page and 'list="org-members"' in page
    assert page.count("<fieldset") == 9
    response = clerk_a_client.post(election_url(tree.village_a), payload(people))
    election = Election.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "terms:election_detail", args=[election.pk]
    )
    assert Post.objects.filter(ended_on=None).count() == 2
    detail = clerk_a_client.get(response["Location"]).content.decode()
    assert "选举结果报告单" in detail and "css/record.css" in detail and people[0].name in detail
    org_page = clerk_a_client.get(reverse("terms:term_org", args=[tree.village_a.pk]))
    text = org_page.content.decode()
    assert org_page.status_code == 200 and "2031年6月1日" in text  # the new term's due date
    assert Organization.objects.get(pk=tree.village_a.pk).term_started_on == D(2026, 6, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"present": "40"}, "至少须到会41人"),
        ({"c2_votes": "20"}, "至少须得21票"),
        ({"c2_title": PostTitle.SECRETARY}, "只能选出一名书记"),
        ({"held_on": "2026-06-16"}, "不能晚于今天"),
        ({"c3_title": PostTitle.PUBLICITY}, "第3行未填完整"),
        ({"c2_member": "不存在的人"}, "不是本组织的在册党员"),
        ({"c2_member": "某人#999999999"}, "不是本组织的在册党员"),
        ({"electors": "abc"}, "应到会有选举权党员数"),
        ({"held_on": "2026-13-45"}, "选举日期"),
    ],
)
def test_a_refused_or_garbled_result_is_a_message_and_writes_nothing(
    tree, clerk_a_client, people, changes, message
):
    response = clerk_a_client.post(election_url(tree.village_a), payload(people, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Election.objects.exists() and not Candidate.objects.exists()
    assert not Post.objects.exists()


def test_namesakes_are_named_with_their_numbers_to_choose_from(tree, clerk_a_client, people):
    twin = MemberFactory(group=tree.group_a2, name=people[1].name)
    refused = clerk_a_client.post(election_url(tree.village_a), payload(people))
    text = refused.content.decode()
    assert refused.status_code == 400 and f"有不止一名党员叫{twin.name}" in text
    assert f"#{people[1].pk}" in text and f"#{twin.pk}" in text
    assert not Election.objects.exists()
    chosen = payload(people, c2_member=f"{twin.name}（甲村党支部）#{twin.pk}")
    assert clerk_a_client.post(election_url(tree.village_a), chosen).status_code == 302
    assert Candidate.objects.get(title=PostTitle.ORGANIZATION).member == twin


def test_a_big_organisations_members_are_typed_not_listed(
    tree, clerk_a_client, people, monkeypatch
):
    monkeypatch.setattr(terms_forms, "MEMBER_LIST_MAX", 2)
    page = clerk_a_client.get(election_url(tree.village_a)).content.decode()
    assert "<datalist" not in page and "本组织党员较多" in page
    response = clerk_a_client.post(election_url(tree.village_a), payload(people))
    assert response.status_code == 302 and Election.objects.count() == 1


def test_a_member_of_another_township_is_not_offered_nor_accepted(tree, clerk_a_client, people):
    stranger = MemberFactory(group=tree.group_b1, name="乙村党员")
    page = clerk_a_client.get(election_url(tree.village_a)).content.decode()
    assert "乙村党员" not in page
    data = payload(people, c2_member=f"乙村党员（乙村党支部）#{stranger.pk}")
    assert (
        "不是本组织的在册党员"
        in clerk_a_client.post(election_url(tree.village_a), data).content.decode()
    )
    assert not Election.objects.exists()


def test_the_county_postpones_and_the_clerk_may_not(tree, county_client, clerk_a_client):
    org_update(org=tree.village_a, term_started_on=D(2021, 3, 1))
    url = reverse("terms:term_postpone", args=[tree.village_a.pk])
    data = {
        "until": "2026-12-31",
        "approved_on": "2026-02-01",
        "document": "县组〔2026〕2号",
        "reason": "与村委会换届同步",
    }
    assert clerk_a_client.post(url, data).status_code == 403
    assert county_client.post(url, data).status_code == 302
    page = county_client.get(reverse("terms:term_org", args=[tree.village_a.pk])).content.decode()
    assert "县组〔2026〕2号" in page and "2026年12月31日" in page
    assert TermPostponement.objects.get().term_started_on == D(2021, 3, 1)


def test_the_county_files_a_village_secretary(tree, county_client, clerk_a_client, people):
    post = post_assign(
        org=tree.village_a, member=people[0], title=PostTitle.SECRETARY, started_on=D(2024, 1, 1)
    )
    url = reverse("terms:post_filing", args=[post.pk])
    data = {
        "filed_on": "2024-02-01",
        "filed_document": "县组备〔2024〕1号",
        "chairs_village_committee": "on",
    }
    assert clerk_a_client.post(url, data).status_code == 403
    assert 'id="filing-form"' not in clerk_a_client.get(url).content.decode()
    assert county_client.post(url, data).status_code == 302
    post.refresh_from_db()
    assert post.filed_document == "县组备〔2024〕1号" and post.chairs_village_committee
    overview = county_client.get(reverse("reports:overview", args=[tree.county.pk]))
    assert 'id="one-shoulder"' in overview.content.decode()
    assert overview.context["one_shoulder"].percent == 100.0
    bad = county_client.post(url, {"filed_on": "2024-02-01", "filed_document": ""})
    assert "同时填写备案日期和备案文号" in bad.content.decode()


def test_another_townships_records_do_not_exist_for_clerk_b(tree, clerk_a, clerk_b_client, people):
    from branches.terms.services import CandidateRow, election_record

    election = election_record(
        org=tree.village_a,
        held_on=D(2026, 6, 1),
        by_election=False,
        method="direct",
        electors=10,
        present=10,
        candidates=[CandidateRow(people[0], PostTitle.SECRETARY, 9, True)],
        by=clerk_a,
    )
    post = election.candidates.get().post
    for url in (
        reverse("terms:term_org", args=[tree.village_a.pk]),
        election_url(tree.village_a),
        reverse("terms:term_postpone", args=[tree.village_a.pk]),
        reverse("terms:election_detail", args=[election.pk]),
        reverse("terms:post_filing", args=[post.pk]),
        reverse("reports:terms", args=[tree.township_a.pk]),
    ):
        assert clerk_b_client.get(url).status_code == 404, url
    assert clerk_b_client.post(election_url(tree.village_a), payload(people)).status_code == 404


def test_the_read_only_secretary_may_read_but_not_record(tree, secretary_a_client):
    assert (
        secretary_a_client.get(reverse("terms:term_org", args=[tree.village_a.pk])).status_code
        == 200
    )
    assert secretary_a_client.get(election_url(tree.village_a)).status_code == 403


def test_a_party_group_has_no_term(tree, clerk_a_client):
    page = clerk_a_client.get(reverse("terms:term_org", args=[tree.group_a1.pk])).content.decode()
    assert "不实行任期制" in page and "登记选举结果" not in page


# --- the report and the worklist ------------------------------------------------------------


def _branches(tree, n):
    for i in range(n):
        branch = BranchFactory(parent=tree.township_a, name=f"新{i}村党支部", code=f"N{i}")
        org_update(org=branch, term_started_on=D(2021, 1 + i % 12, 1))
        MemberFactory(branch=branch)


def test_the_report_lists_terms_due_and_exports_them(tree, county_client):
    org_update(org=tree.village_a, term_started_on=D(2021, 3, 1))
    org_update(org=tree.organ_a, term_started_on=D(2023, 9, 1))
    url = reverse("reports:terms", args=[tree.county.pk])
    page = county_client.get(url).content.decode()
    assert "甲村党支部" in page and "甲镇机关党支部" in page and "已到期未换届" in page
    assert reverse("reports:terms", args=[tree.township_a.pk]) in page
    response = county_client.get(url, {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    names = [row[0] for row in rows[3:]]
    assert names[:2] == ["甲村党支部", "甲镇机关党支部"]  # the most urgent first
    assert "乙村党支部" in names  # term start unknown


@pytest.mark.parametrize("children", [2, 20])
def test_the_report_runs_a_constant_number_of_queries(
    tree, county_client, children, django_assert_num_queries
):
    _branches(tree, children)
    url = reverse("reports:terms", args=[tree.township_a.pk])
    county_client.get(url)
    # session + user (2), permissions (2), node (1), breadcrumb (1), children, every
    # term's length and start, the postponements, the terms listed, unfiled
    # secretaries (5), session saved (3)
    with django_assert_num_queries(14):
        response = county_client.get(url)
    assert len(response.context["data"].rows) == children + 3  # 本级 + the tree's two


def test_the_worklist_lists_terms_needing_an_election(tree, clerk_a_client):
    org_update(org=tree.village_a, term_started_on=D(2021, 3, 1))
    org_update(org=tree.organ_a, term_started_on=D(2023, 10, 1))  # due 2026-10-01
    org_update(org=tree.organ_b, term_started_on=D(2021, 3, 1))  # another township's
    page = clerk_a_client.get(reverse("activities:worklist")).content.decode()
    section = page[page.index('<section id="terms">') :]
    section = section[: section.index("</section>")]
    assert "任期已到期，尚未换届：甲村党支部" in section
    assert "任期将于六个月内到期，应按期换届：甲镇机关党支部" in section
    assert "乙镇" not in section
    assert reverse("terms:term_org", args=[tree.village_a.pk]) in section
