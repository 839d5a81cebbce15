"""民情日志: the services and their refusals, the secretary's unchecked months on the
worklist, the scoped list (export, print), the phone form, a branch's month with its
check, and the yearly summary with exact figures and its query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities.ledgers.diary import services
from activities.ledgers.diary.selectors import diary_summary, diary_work
from activities.models import DiaryCheck, DiaryEntry
from branches.models import PostTitle
from branches.services import post_assign
from tests.factories import BranchFactory, MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = beijing(2026, 9, 15)
LIST = "activities:diary_list"


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


def cadre_of(branch, name="王村官"):
    member = MemberFactory(branch=branch, name=name)
    post_assign(org=branch, member=member, title=PostTitle.ORGANIZATION, started_on=D(2024, 1, 1))
    return member


def secretary_of(branch, name="李书记"):
    member = MemberFactory(branch=branch, name=name)
    post_assign(org=branch, member=member, title=PostTitle.SECRETARY, started_on=D(2024, 1, 1))
    return member


def entry(branch, cadre, by, *, on=None, outcome="resolved", passed_to="", **text):
    on = on or D(2026, 3, 5)
    return services.diary_entry_record(
        org=branch,
        cadre=cadre,
        date=on,
        household=text.get("household", "三组 张大军家"),
        concern=text.get("concern", "村道坑洼，雨天出行难"),
        action=text.get("action", "联系村民小组组织填补"),
        outcome=outcome,
        passed_to=passed_to,
        by=by,
    )


def check(branch, checker, by, *, month=None, on=None, comment=""):
    month, on = month or D(2026, 3, 1), on or D(2026, 4, 2)
    return services.diary_check(
        org=branch, month=month, checked_on=on, checked_by=checker, comment=comment, by=by
    )


# --- Services ----------------------------------------------------------------------------


def test_an_entry_is_written_and_its_month_checked(tree, clerk_a, secretary_a):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    written = entry(tree.village_a, cadre, clerk_a, outcome="reported", passed_to=" 镇民政办 ")
    checked = check(tree.village_a, secretary, secretary_a, month=D(2026, 3, 20))
    assert (written.org, written.cadre, written.passed_to, written.recorded_by) == (
        tree.village_a,
        cadre,
        "镇民政办",
        clerk_a,
    )
    # The month is kept as its first day, whichever day of it was given.
    assert (checked.month, checked.checked_by, checked.recorded_by) == (
        D(2026, 3, 1),
        secretary,
        secretary_a,
    )
    assert written.history.count() == 1 and checked.history.count() == 1


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"on": D(2026, 9, 16)}, "date", "走访日期不能晚于今天"),
        ({"outcome": "reported"}, "passed_to", "已上报的须填写上报（转交）单位"),
        ({"org": "township_a"}, "org", "不是在册的党支部"),
        ({"cadre": "organ"}, "cadre", "不是甲村党支部在册的党员"),
        ({"on": D(2026, 2, 10)}, "date", "2026年2月的民情日志已于2026年3月1日审阅，不能再补记"),
    ],
)
def test_it_refuses_an_entry_that_cannot_be(tree, clerk_a, change, field, message):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    check(tree.village_a, secretary, clerk_a, month=D(2026, 2, 1), on=D(2026, 3, 1))
    org = getattr(tree, change.pop("org", "village_a"))
    if change.pop("cadre", None):
        cadre = MemberFactory(branch=tree.organ_a)
    with pytest.raises(ValidationError) as refused:
        entry(org, cadre, clerk_a, **change)
    assert message in " ".join(refused.value.message_dict[field])
    assert not DiaryEntry.objects.exists()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"month": D(2026, 10, 1), "on": D(2026, 9, 15)}, "month", "2026年10月还没有开始"),
        ({"on": D(2026, 9, 16)}, "checked_on", "审阅日期不能晚于今天"),
        ({"on": D(2026, 2, 28)}, "checked_on", "审阅日期不能早于2026年3月1日"),
        ({"checker": "other"}, "checked_by", "不是甲村党支部在册的党员"),
        ({"twice": True}, "month", "甲村党支部2026年3月的民情日志已审阅"),
        ({"following": True}, "comment", "本月有1条诉求仍在跟进中"),
    ],
)
def test_it_refuses_a_check_that_cannot_be(tree, clerk_a, change, field, message):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    entry(tree.village_a, cadre, clerk_a)
    if change.pop("following", False):
        entry(tree.village_a, cadre, clerk_a, outcome="following")
    if change.pop("twice", False):
        check(tree.village_a, secretary, clerk_a)
    before = DiaryCheck.objects.count()
    if change.pop("checker", None):
        secretary = MemberFactory(branch=tree.village_b)
    with pytest.raises(ValidationError) as refused:
        check(tree.village_a, secretary, clerk_a, **change)
    assert message in " ".join(refused.value.message_dict[field])
    assert DiaryCheck.objects.count() == before


def test_a_month_under_way_can_be_checked_and_open_concerns_need_a_comment(tree, clerk_a):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 9, 1), outcome="following")
    done = check(
        tree.village_a,
        secretary,
        clerk_a,
        month=D(2026, 9, 1),
        on=D(2026, 9, 15),
        comment="月底前回访",
    )
    assert (done.month, done.comment) == (D(2026, 9, 1), "月底前回访")


# --- The worklist ------------------------------------------------------------------------


def test_the_secretary_sees_the_unchecked_months_until_they_are_checked(
    tree, clerk_a, secretary_a, secretary_a_client, clerk_a_client, clerk_b_client
):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 3, 5))
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 3, 9), outcome="following")
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 5, 5))
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 9, 1))  # this month: not due yet
    entry(tree.village_a, cadre, clerk_a, on=D(2025, 11, 1))  # last year: not listed
    entry(tree.organ_a, cadre_of(tree.organ_a, "机关干部"), clerk_a, on=D(2026, 4, 1))
    entry(tree.village_b, cadre_of(tree.village_b, "乙村干部"), clerk_a, on=D(2026, 4, 1))
    worklist = reverse("activities:worklist")
    page = secretary_a_client.get(worklist).content.decode()
    section = page[page.index('<section id="diary">') :]
    section = section[: section.index("</section>")]
    assert "民情日志待审阅" in section
    assert f'data-diary-org="{tree.village_a.pk}"' in section
    assert 'data-diary-month="2026-03"' in section and "3月（2条，跟进中1条）" in section
    assert 'data-diary-month="2026-05"' in section
    assert "2026-09" not in section and "2025-11" not in section
    # The secretary's account sits at the branch: the township's other branches are not theirs.
    assert f'data-diary-org="{tree.organ_a.pk}"' not in section
    # The township's clerk sees its branches' months; another township's clerk none of them.
    clerk_page = clerk_a_client.get(worklist).content.decode()
    assert f'data-diary-org="{tree.organ_a.pk}"' in clerk_page
    assert f'data-diary-org="{tree.village_b.pk}"' not in clerk_page
    b_page = clerk_b_client.get(worklist).content.decode()
    assert f'data-diary-org="{tree.village_a.pk}"' not in b_page
    assert f'data-diary-org="{tree.village_b.pk}"' in b_page
    # Checked, March leaves the list; May is still there.
    check(tree.village_a, secretary, secretary_a, comment="跟进中的一条下月回访")
    page = secretary_a_client.get(worklist).content.decode()
    assert 'data-diary-month="2026-03"' not in page and 'data-diary-month="2026-05"' in page
    check(tree.village_a, secretary, secretary_a, month=D(2026, 5, 1), on=D(2026, 6, 1))
    assert '<section id="diary">' not in secretary_a_client.get(worklist).content.decode()


@pytest.mark.parametrize("n", [2, 20])
def test_the_worklist_section_reads_one_query(tree, clerk_a, n, django_assert_num_queries):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        cadre = cadre_of(branch)
        for month in (2, 4, 6):
            entry(branch, cadre, clerk_a, on=D(2026, month, 3))
    # The branch-months with entries and no check, grouped in the database: one query.
    with django_assert_num_queries(1):
        work = diary_work(user=clerk_a, root=tree.township_a, today=D(2026, 9, 15))
    assert len(work["branches"]) == n and {len(b.months) for b in work["branches"]} == {3}


# --- Pages ---------------------------------------------------------------------------------


def test_the_list_is_scoped_and_filtered(tree, clerk_a, clerk_b, clerk_a_client):
    cadre = cadre_of(tree.village_a)
    entry(tree.village_a, cadre, clerk_a, concern="灌溉水渠堵塞", outcome="following")
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 5, 2), concern="低保申请咨询")
    entry(tree.village_b, cadre_of(tree.village_b, "乙村干部"), clerk_b, concern="乙村的诉求")
    entry(tree.village_a, cadre, clerk_a, on=D(2025, 6, 1), concern="去年的诉求")
    page = clerk_a_client.get(reverse(LIST)).content.decode()
    assert "灌溉水渠堵塞" in page and "低保申请咨询" in page
    assert "乙村的诉求" not in page and "去年的诉求" not in page
    march = clerk_a_client.get(reverse(LIST), {"month": 3}).content.decode()
    assert "灌溉水渠堵塞" in march and "低保申请咨询" not in march
    resolved = clerk_a_client.get(reverse(LIST), {"outcome": "resolved"}).content.decode()
    assert "灌溉水渠堵塞" not in resolved and "低保申请咨询" in resolved
    assert "去年的诉求" in clerk_a_client.get(reverse(LIST), {"year": 2025}).content.decode()
    # Another township as the filter does not exist; a bad id is refused; a month or
    # outcome out of the choices falls back to the whole year, as branches.params does.
    assert clerk_a_client.get(reverse(LIST), {"org": tree.township_b.pk}).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": "x"}).status_code == 400
    for odd in ({"month": "13"}, {"outcome": "nonsense"}, {"year": "x"}):
        odd_page = clerk_a_client.get(reverse(LIST), odd).content.decode()
        assert "灌溉水渠堵塞" in odd_page and "低保申请咨询" in odd_page, odd


def test_the_export_holds_the_list_rows(tree, clerk_a, clerk_a_client):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    entry(tree.village_a, cadre, clerk_a, outcome="reported", passed_to="镇水利站")
    check(tree.village_a, secretary, clerk_a)
    response = clerk_a_client.get(reverse(LIST), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "甲镇党委2026年民情日志"
    assert rows[1] == (
        "党支部",
        "走访日期",
        "记录人",
        "走访农户或地点",
        "群众诉求",
        "办理情况",
        "办理结果",
        "上报（转交）单位",
        "本月已审阅",
    )
    assert rows[2][0] == "甲镇党委/甲村党支部" and rows[2][1].date() == D(2026, 3, 5)
    assert rows[2][2:] == (
        "王村官",
        "三组 张大军家",
        "村道坑洼，雨天出行难",
        "联系村民小组组织填补",
        "已上报",
        "镇水利站",
        "是",
    )
    assert len(rows) == 3


def test_the_printed_list_is_the_paper_diary_with_the_checks_at_its_foot(
    tree, clerk_a, clerk_a_client
):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    entry(tree.village_a, cadre, clerk_a)
    check(tree.village_a, secretary, clerk_a, comment="办理及时")
    page = clerk_a_client.get(reverse(LIST), {"org": tree.village_a.pk}).content.decode()
    assert "<h1>甲村党支部2026年民情日志</h1>" in page
    assert 'class="print-only signature">记录人（签字）' in page
    foot = page[page.index('id="diary-checks"') :]
    assert "2026年3月" in foot and "李书记" in foot and "办理及时" in foot


def test_the_form_picks_a_branch_then_writes_the_entry(tree, clerk_a_client):
    cadre = cadre_of(tree.village_a)
    MemberFactory(branch=tree.village_b, name="乙村党员")
    add = reverse("activities:diary_add")
    picker = clerk_a_client.get(add).content.decode()
    assert f"?branch={tree.village_a.pk}" in picker and f"?branch={tree.village_b.pk}" not in picker
    form = clerk_a_client.get(add, {"branch": tree.village_a.pk}).content.decode()
    # One column of native inputs: the phone's date picker and keyboard.
    assert 'class="activity-form"' in form and 'type="date"' in form
    assert "王村官" in form and "乙村党员" not in form
    assert clerk_a_client.get(add, {"branch": tree.village_b.pk}).status_code == 404
    data = {
        "cadre": cadre.pk,
        "date": "2026-09-10",
        "household": "二组 刘家",
        "concern": "医保缴费不会操作",
        "action": "上门帮助用手机缴费",
        "outcome": "resolved",
    }
    url = f"{add}?branch={tree.village_a.pk}"
    refused = clerk_a_client.post(url, {**data, "outcome": "reported"})
    assert (
        refused.status_code == 400 and "已上报的须填写上报（转交）单位" in refused.content.decode()
    )
    assert clerk_a_client.post(url, {**data, "date": "2026-09-16"}).status_code == 400
    assert clerk_a_client.post(url, {**data, "cadre": "x"}).status_code == 400
    assert not DiaryEntry.objects.exists()
    response = clerk_a_client.post(url, data)
    assert response.status_code == 302
    written = DiaryEntry.objects.get()
    assert (written.org, written.cadre, written.concern) == (
        tree.village_a,
        cadre,
        "医保缴费不会操作",
    )


def test_the_check_page_shows_the_month_and_records_the_check(
    tree, clerk_a, secretary_a_client, clerk_b_client
):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    entry(tree.village_a, cadre, clerk_a, concern="邻里宅基地纠纷", outcome="following")
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 4, 1), concern="四月的诉求")
    url = reverse("activities:diary_check", args=[tree.village_a.pk])
    march = {"year": 2026, "month": 3}
    page = secretary_a_client.get(url, march).content.decode()
    assert "邻里宅基地纠纷" in page and "四月的诉求" not in page
    # The form starts from the branch's secretary.
    assert f'<option value="{secretary.pk}" selected>' in page and 'type="date"' in page
    query = "?year=2026&month=3"
    refused = secretary_a_client.post(
        url + query, {"checked_by": secretary.pk, "checked_on": "2026-04-02"}
    )
    assert refused.status_code == 400 and "仍在跟进中" in refused.content.decode()
    assert not DiaryCheck.objects.exists()
    data = {"checked_by": secretary.pk, "checked_on": "2026-04-02", "comment": "下周回访"}
    assert secretary_a_client.post(url + query, data).status_code == 302
    done = DiaryCheck.objects.get()
    assert (done.month, done.comment) == (D(2026, 3, 1), "下周回访")
    page = secretary_a_client.get(url, march).content.decode()
    assert "李书记于2026年4月2日审阅" in page and "diary-check-form" not in page
    twice = secretary_a_client.post(url + query, data)
    assert twice.status_code == 400 and "民情日志已审阅" in twice.content.decode()
    assert DiaryCheck.objects.count() == 1
    # Another township's branch, a township, and bad parameters.
    assert clerk_b_client.get(url, march).status_code == 404
    township = reverse("activities:diary_check", args=[tree.township_a.pk])
    assert secretary_a_client.get(township).status_code == 404
    # A month out of the choices is last month, as branches.params falls back.
    odd = secretary_a_client.get(url, {"month": "0", "year": "x"})
    assert odd.status_code == 200 and odd.context["month"] == D(2026, 8, 1)


def test_the_secretary_reads_the_entries_but_does_not_write_them(tree, clerk_a, secretary_a_client):
    entry(tree.village_a, cadre_of(tree.village_a), clerk_a)
    assert secretary_a_client.get(reverse(LIST)).status_code == 200
    add = reverse("activities:diary_add") + f"?branch={tree.village_a.pk}"
    assert secretary_a_client.get(add).status_code == 403


# --- The yearly summary ------------------------------------------------------------------------


def test_the_township_summary_gives_exact_figures_by_branch(tree, clerk_a):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    # 甲村: March (2 entries, checked), May (3 entries, one passed on, one open; unchecked).
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 3, 2))
    entry(tree.village_a, secretary, clerk_a, on=D(2026, 3, 20))
    check(tree.village_a, secretary, clerk_a)
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 5, 2))
    entry(
        tree.village_a, cadre, clerk_a, on=D(2026, 5, 3), outcome="reported", passed_to="镇司法所"
    )
    entry(tree.village_a, cadre, clerk_a, on=D(2026, 5, 4), outcome="following")
    # 机关: one entry in March (its own month, unchecked), one last year.
    organ_cadre = cadre_of(tree.organ_a, "机关干部")
    entry(tree.organ_a, organ_cadre, clerk_a, on=D(2026, 3, 2))
    entry(tree.organ_a, organ_cadre, clerk_a, on=D(2025, 3, 2))
    # A check of a month without entries counts in neither figure.
    check(tree.organ_a, organ_cadre, clerk_a, month=D(2026, 1, 1), on=D(2026, 2, 1))
    summary = diary_summary(node=tree.township_a, year=2026)
    village, organ = summary.rows
    assert village.org == tree.village_a and organ.org == tree.organ_a
    figures = ("entries", "resolved", "reported", "following", "months", "checked")

    def of(row):
        return tuple(row.values[k] for k in figures)

    assert of(village) == (5, 3, 1, 1, 2, 1)
    assert of(organ) == (1, 1, 0, 0, 1, 0)
    # The total counts branch-months: 甲村's March and 机关's March are two.
    assert of(summary.total) == (6, 4, 1, 1, 3, 1)
    county = diary_summary(node=tree.county, year=2026)
    assert [of(r) for r in county.rows] == [(6, 4, 1, 1, 3, 1), (0, 0, 0, 0, 0, 0)]


@pytest.mark.parametrize("n", [2, 20])
def test_the_summary_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        entry(branch, cadre_of(branch), clerk_a)
    url = reverse("activities:diary_summary", args=[tree.county.pk])
    # Session, user, permissions (two), the node, the sums by child, the children, the
    # breadcrumb, and the session's save (savepoint, update, release).
    with django_assert_max_num_queries(11):
        response = county_client.get(url, {"year": 2026})
    assert f">{n}</td>" in response.content.decode()
    township = reverse("activities:diary_summary", args=[tree.township_a.pk])
    with django_assert_max_num_queries(11):
        response = county_client.get(township, {"year": 2026})
    assert response.content.decode().count("ledgers/diary/summary/") >= n


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        cadre = cadre_of(branch)
        entry(branch, cadre, clerk_a)
        check(branch, cadre, clerk_a)
    # Session, user, permissions (two), the picker's nodes, the count, the page of entries
    # with their branches, members and checks, the labels, the checks of the page's
    # branches, and the session's save (savepoint, update, release).
    with django_assert_max_num_queries(12):
        response = county_client.get(reverse(LIST))
    content = response.content.decode()
    assert content.count("data-diary-entry=") == n and content.count("data-diary-check=") == n


def test_the_roles_hold_the_diary_permissions_the_migration_grants():
    from django.contrib.auth.models import Group

    def codenames(role):
        group = Group.objects.get(name=role)
        return set(
            group.permissions.filter(codename__contains="diary").values_list("codename", flat=True)
        )

    everything = {
        f"{a}_{m}" for a in ("view", "add", "change") for m in ("diaryentry", "diarycheck")
    }
    for role in ("县委组织部", "乡镇专干", "系统管理员"):
        # With taking back an entry written by mistake (0034).
        assert codenames(role) == everything | {"delete_diaryentry"}, role
    # The secretary reads the entries and checks the month; the cadres' entries are the
    # township's to keep.
    assert codenames("支部书记") == {
        "view_diaryentry",
        "view_diarycheck",
        "add_diarycheck",
        "change_diarycheck",
    }


@pytest.mark.parametrize("n", [2, 20])
def test_the_month_page_reads_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, n, django_assert_max_num_queries
):
    cadre = cadre_of(tree.village_a)
    secretary_of(tree.village_a)
    for _ in range(n):
        entry(tree.village_a, cadre, clerk_a)
    url = reverse("activities:diary_check", args=[tree.village_a.pk])
    # Session, user, permissions (two), the branch, the month's entries with their cadres,
    # its check, the members the form offers and its secretary, the label, and the
    # session's save (savepoint, update, release): thirteen for 2 entries as for 20.
    with django_assert_max_num_queries(13):
        response = clerk_a_client.get(url, {"year": 2026, "month": 3})
    assert response.content.decode().count("村道坑洼，雨天出行难") == n
