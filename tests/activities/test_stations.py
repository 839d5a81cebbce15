"""远程教育站点: the services and their refusals, the clerk's unchecked station-months on
the worklist, the scoped list (export, print), the phone form, a station's page with a
month's check recorded and corrected, the yearly summary with exact figures, and the
query counts of the list, the station page and the summary."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities.ledgers.stations import services
from activities.ledgers.stations.selectors import station_summary, station_work
from activities.models import PointEntry, Station, StationCheck
from tests.factories import BranchFactory, MemberFactory, UserFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
LAST_JUNE, MARCH = D(2025, 6, 1), D(2026, 3, 1)
NOW = beijing(2026, 9, 15)  # January to August have ended
LIST = "activities:station_list"
DETAIL = "activities:station_detail"


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


def station(branch, by, *, opened_on=LAST_JUNE, name=None, manager=None, **details):
    return services.station_create(
        org=branch,
        name=name or f"{branch.name}远程教育站点",
        address=details.pop("address", "村委会二楼会议室"),
        manager=manager or MemberFactory(branch=branch, name="张管理"),
        opened_on=opened_on,
        by=by,
        **details,
    )


def check(where, by, *, month=MARCH, on=None, state="normal", playbacks=4, comment=""):
    return services.station_check_record(
        station=where,
        month=month,
        checked_on=on or month + datetime.timedelta(days=19),
        state=state,
        playbacks=playbacks,
        comment=comment,
        by=by,
    )


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as refused:
        call()
    return {k: " ".join(v) for k, v in refused.value.message_dict.items()}


# --- Services ----------------------------------------------------------------------------


def test_a_station_is_set_up_checked_once_a_month_corrected_and_closed(tree, clerk_a):
    site = station(
        tree.village_a, clerk_a, has_tv=True, has_set_top_box=True, equipment_note=" 音响一套 "
    )
    assert (site.org, site.equipment, site.recorded_by) == (
        tree.village_a,
        "电视机、机顶盒、音响一套",
        clerk_a,
    )
    march = check(site, clerk_a, month=D(2026, 3, 18), on=D(2026, 3, 20))
    assert (march.month, march.checked_by, march.playbacks) == (D(2026, 3, 1), clerk_a, 4)
    # A second check of March is refused, in Chinese; the month's check is corrected instead.
    again = refusal(lambda: check(site, clerk_a, month=D(2026, 3, 1), on=D(2026, 3, 25)))
    assert "2026年3月已于2026年3月20日检查，一个月只登记一次" in again["month"]
    fixed = services.station_check_change(
        check=march,
        checked_on=D(2026, 3, 21),
        state="fault",
        playbacks=1,
        comment="机顶盒无信号，已报修",
        by=clerk_a,
    )
    assert StationCheck.objects.get() == fixed and fixed.get_state_display() == "设备故障"
    assert fixed.history.count() == 2
    # Closed: not before the month already checked, and its later months cannot be checked.
    early = refusal(
        lambda: services.station_change(station=site, closed_on=D(2026, 2, 28), by=clerk_a)
    )
    assert "该站点2026年3月已有检查记录，停用日期不能早于该月" in early["closed_on"]
    late = refusal(
        lambda: services.station_change(station=site, opened_on=D(2026, 4, 1), by=clerk_a)
    )
    assert "建站日期不能晚于该月" in late["opened_on"]
    services.station_change(station=site, closed_on=D(2026, 4, 10), by=clerk_a)
    after = refusal(lambda: check(site, clerk_a, month=D(2026, 5, 1)))
    assert "该站点已于2026年4月10日停用，不能检查此后的月份" in after["month"]
    # Stations are not a member's deed: no points.
    assert not PointEntry.objects.exists()


def test_it_refuses_what_cannot_be_in_chinese(tree, clerk_a):
    site = station(tree.village_a, clerk_a, opened_on=D(2026, 2, 10))
    cases = [
        ({"month": D(2026, 10, 1), "on": D(2026, 9, 15)}, "month", "2026年10月还没有开始"),
        ({"month": D(2026, 1, 1)}, "month", "该站点2026年2月10日建站，不能检查此前的月份"),
        ({"on": D(2026, 2, 28)}, "checked_on", "检查日期不能早于2026年3月1日"),
        ({"month": D(2026, 9, 1), "on": D(2026, 9, 16)}, "checked_on", "检查日期不能晚于今天"),
        ({"playbacks": 100}, "playbacks", "播放次数应在0到99次之间"),
        ({"state": "idle", "playbacks": 2}, "playbacks", "未开展的月份播放次数应为0"),
        ({"state": "normal", "playbacks": 0}, "playbacks", "没有播放的请选“未开展”"),
        ({"state": "fault", "comment": " "}, "comment", "写明哪件设备出了什么故障"),
    ]
    for change, field, message in cases:
        assert message in refusal(lambda c=change: check(site, clerk_a, **c))[field], change
    assert not StationCheck.objects.exists()
    # The station itself: a branch's, kept by a member of it, not opened in the future.
    stranger = MemberFactory(branch=tree.organ_a, name="机关党员")
    for kwargs, field, message in [
        ({"branch": tree.township_a, "manager": site.manager}, "org", "甲镇党委不是在册的党支部"),
        ({"manager": stranger}, "manager", "机关党员不是甲村党支部在册的党员"),
        ({"opened_on": D(2026, 9, 16)}, "opened_on", "建站日期不能晚于今天"),
    ]:
        branch = kwargs.pop("branch", tree.village_a)
        made = refusal(lambda b=branch, k=kwargs: station(b, clerk_a, name="新站点", **k))
        assert message in made[field], kwargs
    assert Station.objects.count() == 1


# --- The worklist ------------------------------------------------------------------------


def test_the_clerk_sees_the_unchecked_months_until_they_are_checked(
    tree, clerk_a, clerk_a_client, clerk_b_client, secretary_a_client
):
    village = station(tree.village_a, clerk_a, opened_on=D(2026, 5, 10))  # May to August due
    organ = station(tree.organ_a, clerk_a, opened_on=D(2024, 1, 1))
    for month in range(1, 8):
        check(organ, clerk_a, month=D(2026, month, 1))  # August left
    closed = station(tree.village_a, clerk_a, name="旧站点", opened_on=D(2024, 1, 1))
    services.station_change(station=closed, closed_on=D(2025, 12, 31), by=clerk_a)
    other = station(tree.village_b, clerk_a, opened_on=D(2026, 1, 1))
    worklist = reverse("activities:worklist")
    page = clerk_a_client.get(worklist).content.decode()
    section = page[page.index('<section id="stations">') :]
    section = section[: section.index("</section>")]
    assert "远程教育站点待检查" in section
    village_item = section[section.index(f'data-station="{village.pk}"') :]
    village_item = village_item[: village_item.index("</li>")]
    months = [f'data-station-month="2026-0{m}"' for m in (5, 6, 7, 8)]
    assert all(m in village_item for m in months) and "2026-04" not in village_item
    organ_item = section[section.index(f'data-station="{organ.pk}"') :]
    organ_item = organ_item[: organ_item.index("</li>")]
    assert organ_item.count("data-station-month=") == 1 and "2026-08" in organ_item
    # This month is not due yet; a station closed last year and another township's are not listed.
    assert "2026-09" not in section and f'data-station="{closed.pk}"' not in section
    assert f'data-station="{other.pk}"' not in section
    assert f'data-station="{other.pk}"' in clerk_b_client.get(worklist).content.decode()
    # The secretary does not check stations: no section.
    assert '<section id="stations">' not in secretary_a_client.get(worklist).content.decode()
    check(organ, clerk_a, month=D(2026, 8, 1))
    for month in (5, 6, 7, 8):
        check(village, clerk_a, month=D(2026, month, 1) if month > 5 else D(2026, 5, 10))
    assert '<section id="stations">' not in clerk_a_client.get(worklist).content.decode()


@pytest.mark.parametrize("n", [2, 20])
def test_the_worklist_section_reads_one_query(tree, clerk_a, n, django_assert_num_queries):
    for _ in range(n):
        site = station(BranchFactory(parent=tree.township_a), clerk_a, opened_on=D(2026, 1, 5))
        check(site, clerk_a, month=D(2026, 2, 1))
    # The stations with a month due and unchecked, each month tested on the row: one query.
    with django_assert_num_queries(1):
        work = station_work(user=clerk_a, root=tree.township_a, today=D(2026, 9, 15))
    assert len(work["stations"]) == n
    assert {len(s.months) for s in work["stations"]} == {7}


# --- Pages ---------------------------------------------------------------------------------


def _row(page: str, pk: int) -> str:
    row = page[page.index(f'data-station="{pk}"') :]
    return row[: row.index("</tr>")]


def test_the_list_is_scoped_filtered_and_prints_as_the_paper_sheet(tree, clerk_a, clerk_a_client):
    site = station(tree.village_a, clerk_a, name="甲村站点", opened_on=D(2026, 2, 3))
    check(site, clerk_a, month=D(2026, 2, 1), playbacks=3)
    check(site, clerk_a, month=D(2026, 3, 1), state="fault", playbacks=1, comment="电视机黑屏")
    check(site, clerk_a, month=D(2026, 4, 1), state="idle", playbacks=0)
    quiet = station(tree.organ_a, clerk_a, name="机关站点")
    old = station(tree.organ_a, clerk_a, name="去年停用的站点", opened_on=D(2024, 1, 1))
    services.station_change(station=old, closed_on=D(2025, 10, 1), by=clerk_a)
    other = station(tree.village_b, clerk_a, name="乙村站点")
    page = clerk_a_client.get(reverse(LIST)).content.decode()
    assert "甲村站点" in page and "机关站点" in page
    assert "乙村站点" not in page and "去年停用的站点" not in page
    # January before it opened, February to April checked, May to August overdue, the rest open.
    marks = [
        cell.split(">", 1)[1].split("<", 1)[0]
        for cell in _row(page, site.pk).split('data-month="')[1:]
    ]
    assert marks == ["/", "√3", "故障", "未开展", *["未检"] * 4, "", "", "", ""]
    assert '<td class="num">4</td>' in _row(page, site.pk)  # the year's playbacks
    faults = clerk_a_client.get(reverse(LIST), {"state": "fault"}).content.decode()
    assert "甲村站点" in faults and f'data-station="{quiet.pk}"' not in faults
    last_year = clerk_a_client.get(reverse(LIST), {"year": 2025}).content.decode()
    assert "去年停用的站点" in last_year and "甲村站点" not in last_year
    # Another township as the filter does not exist; a bad id is refused; an unknown state
    # falls back to all, as branches.params does.
    assert clerk_a_client.get(reverse(LIST), {"org": tree.township_b.pk}).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": "x"}).status_code == 400
    assert "机关站点" in clerk_a_client.get(reverse(LIST), {"state": "x"}).content.decode()
    assert clerk_a_client.get(reverse(DETAIL, args=[other.pk])).status_code == 404
    # The print: the sheet's title, the marks' legend and the signature line.
    printed = clerk_a_client.get(reverse(LIST), {"org": tree.village_a.pk}).content.decode()
    assert "<h1>甲村党支部2026年远程教育站点检查登记表</h1>" in printed
    assert "√：运行正常（数字为当月播放次数）" in printed
    assert 'class="print-only signature">检查人（签字）' in printed


def test_the_export_has_a_row_per_station_with_its_twelve_months(tree, clerk_a, clerk_a_client):
    site = station(
        tree.village_a, clerk_a, name="甲村站点", opened_on=D(2026, 2, 3), has_computer=True
    )
    check(site, clerk_a, month=D(2026, 2, 1), playbacks=3)
    check(site, clerk_a, month=D(2026, 3, 1), state="fault", playbacks=1, comment="电脑无法开机")
    station(tree.village_b, clerk_a, name="乙村站点")
    response = clerk_a_client.get(reverse(LIST), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "甲镇党委2026年远程教育站点检查登记表"
    assert rows[2][:7] == (
        "党支部",
        "站点名称",
        "站点地址",
        "设备情况",
        "管理员",
        "建站日期",
        "停用日期",
    )
    assert rows[2][7:] == (*[f"{m}月" for m in range(1, 13)], "全年播放次数")
    assert rows[3][:5] == ("甲镇党委/甲村党支部", "甲村站点", "村委会二楼会议室", "电脑", "张管理")
    assert rows[3][5].date() == D(2026, 2, 3) and rows[3][6] is None
    assert rows[3][7:] == ("—", "正常", "设备故障", *["未检查"] * 5, None, None, None, None, 4)
    assert len(rows) == 4


def test_the_phone_form_picks_a_branch_then_sets_up_the_station(tree, clerk_a_client):
    manager = MemberFactory(branch=tree.village_a, name="王管理")
    MemberFactory(branch=tree.village_b, name="乙村党员")
    add = reverse("activities:station_add")
    picker = clerk_a_client.get(add).content.decode()
    assert f"?branch={tree.village_a.pk}" in picker and f"?branch={tree.village_b.pk}" not in picker
    form = clerk_a_client.get(add, {"branch": tree.village_a.pk}).content.decode()
    # One column of native inputs: the phone's date picker, the equipment as ticks.
    assert 'class="activity-form"' in form and 'type="date"' in form
    assert 'type="checkbox" name="equipment" value="has_set_top_box"' in form
    assert "王管理" in form and "乙村党员" not in form
    assert clerk_a_client.get(add, {"branch": tree.village_b.pk}).status_code == 404
    data = {
        "name": "甲村党员远程教育站点",
        "address": "村委会二楼",
        "equipment": ["has_tv", "has_set_top_box"],
        "manager": manager.pk,
        "opened_on": "2026-03-01",
    }
    url = f"{add}?branch={tree.village_a.pk}"
    for bad, message in [
        ({"opened_on": "2026-09-16"}, "建站日期不能晚于今天"),
        ({"equipment": ["satellite"]}, "satellite"),
        ({"manager": "x"}, "管理员"),
    ]:
        refused = clerk_a_client.post(url, {**data, **bad})
        assert refused.status_code == 400 and message in refused.content.decode(), bad
    assert not Station.objects.exists()
    assert clerk_a_client.post(url, data).status_code == 302
    made = Station.objects.get()
    assert (made.org, made.manager, made.has_tv, made.has_set_top_box, made.has_computer) == (
        tree.village_a,
        manager,
        True,
        True,
        False,
    )


def test_the_station_page_records_a_month_then_corrects_it(
    tree, clerk_a, clerk_a_client, clerk_b_client
):
    site = station(tree.village_a, clerk_a)
    url = reverse(DETAIL, args=[site.pk])
    march = "?year=2026&month=3"
    page = clerk_a_client.get(url + march).content.decode()
    assert "登记2026年3月的检查" in page and 'type="date"' in page and 'type="radio"' in page
    data = {"step": "check", "checked_on": "2026-03-20", "state": "normal", "playbacks": "6"}
    for bad, query, message in [
        ({"checked_on": "2026-02-27"}, march, "检查日期不能早于2026年3月1日"),
        ({"checked_on": "2026-09-15"}, "?year=2026&month=10", "2026年10月还没有开始"),
        ({"playbacks": "100"}, march, "播放次数不能超过99次"),
        ({"playbacks": "-1"}, march, "播放次数不能是负数"),
        ({"state": "fault"}, march, "写明哪件设备出了什么故障"),
        ({"state": "broken"}, march, "运行情况"),
    ]:
        refused = clerk_a_client.post(url + query, {**data, **bad})
        assert refused.status_code == 400 and message in refused.content.decode(), bad
    assert not StationCheck.objects.exists()
    assert clerk_a_client.post(url + march, data).status_code == 302
    # The month's form now corrects its check: posting again edits, never a second row.
    page = clerk_a_client.get(url + march).content.decode()
    assert "修改2026年3月的检查" in page and 'value="6"' in page
    fixed = {**data, "state": "fault", "playbacks": "2", "comment": "投影仪灯泡坏"}
    assert clerk_a_client.post(url + march, fixed).status_code == 302
    done = StationCheck.objects.get()
    assert (done.month, done.state, done.playbacks, done.comment) == (
        D(2026, 3, 1),
        "fault",
        2,
        "投影仪灯泡坏",
    )
    row = clerk_a_client.get(url + march).content.decode()
    assert 'data-month="2026-03"' in row and "投影仪灯泡坏" in row
    # The details: closed on a day before the checked month is refused at the field.
    edit = {
        "step": "edit",
        "name": site.name,
        "address": "村部一楼",
        "equipment": ["has_tv"],
        "manager": site.manager_id,
        "opened_on": "2025-06-01",
    }
    refused = clerk_a_client.post(url + march, {**edit, "closed_on": "2026-02-01"})
    assert refused.status_code == 400 and "停用日期不能早于该月" in refused.content.decode()
    assert clerk_a_client.post(url + march, {**edit, "closed_on": "2026-08-31"}).status_code == 302
    site.refresh_from_db()
    assert (site.address, site.has_tv, site.has_set_top_box, site.closed_on) == (
        "村部一楼",
        True,
        False,
        D(2026, 8, 31),
    )
    assert clerk_a_client.post(url, {"step": "nonsense"}).status_code == 400
    assert clerk_b_client.get(url).status_code == 404
    assert clerk_b_client.post(url + march, data).status_code == 404


def test_roles_without_the_permission_are_refused(tree, clerk_a, secretary_a_client):
    site = station(tree.village_a, clerk_a)
    url = reverse(DETAIL, args=[site.pk]) + "?year=2026&month=3"
    # The secretary reads the branch's station but neither sets one up nor checks it.
    assert secretary_a_client.get(reverse(LIST)).status_code == 200
    page = secretary_a_client.get(url).content.decode()
    assert page.count("station-check-form") == 0 and "station-edit-form" not in page
    add = reverse("activities:station_add") + f"?branch={tree.village_a.pk}"
    assert secretary_a_client.get(add).status_code == 403
    check = {"step": "check", "checked_on": "2026-03-20", "state": "normal", "playbacks": "6"}
    assert secretary_a_client.post(url, check).status_code == 403
    assert secretary_a_client.post(url, {"step": "edit"}).status_code == 403
    assert not StationCheck.objects.exists()
    # An account without a role reads nothing of it.
    nobody = UserFactory(org=tree.township_a)
    secretary_a_client.force_login(nobody)
    assert secretary_a_client.get(reverse(LIST)).status_code == 403
    summary = reverse("activities:station_summary", args=[tree.township_a.pk])
    assert secretary_a_client.get(summary).status_code == 403


def test_the_roles_hold_the_station_permissions_the_migration_grants():
    from django.contrib.auth.models import Group

    def codenames(role):
        group = Group.objects.get(name=role)
        return set(
            group.permissions.filter(codename__contains="station").values_list(
                "codename", flat=True
            )
        )

    everything = {
        f"{a}_{m}" for a in ("view", "add", "change") for m in ("station", "stationcheck")
    }
    for role in ("县委组织部", "乡镇专干", "系统管理员"):
        assert codenames(role) == everything, role
    assert codenames("支部书记") == {"view_station", "view_stationcheck"}


# --- The yearly summary ------------------------------------------------------------------------

FIGURES = ("stations", "standing", "due", "checked", "faults", "idle", "playbacks")


def _of(row) -> tuple:
    return tuple(row.values[k] for k in FIGURES)


def test_the_township_summary_gives_exact_figures_by_branch(tree, clerk_a, county_client):
    # 甲村: a station since 2025 (January to August due) checked four months and this
    # month (not counted yet), and one opened in May (May to August due) checked once.
    first = station(tree.village_a, clerk_a, name="村部站点", opened_on=D(2025, 6, 1))
    check(first, clerk_a, month=D(2026, 1, 1), playbacks=3)
    check(first, clerk_a, month=D(2026, 2, 1), playbacks=5)
    check(first, clerk_a, month=D(2026, 3, 1), state="fault", playbacks=1, comment="无信号")
    check(first, clerk_a, month=D(2026, 4, 1), state="idle", playbacks=0)
    check(first, clerk_a, month=D(2026, 9, 1), on=D(2026, 9, 10), playbacks=7)
    second = station(tree.village_a, clerk_a, name="小学站点", opened_on=D(2026, 5, 10))
    check(second, clerk_a, month=D(2026, 5, 1), on=D(2026, 5, 20), playbacks=2)
    # 机关: a station closed in March (January to March due), one closed last year.
    closing = station(tree.organ_a, clerk_a, name="机关站点", opened_on=D(2024, 1, 1))
    check(closing, clerk_a, month=D(2026, 1, 1), playbacks=1)
    check(closing, clerk_a, month=D(2026, 2, 1), playbacks=1)
    services.station_change(station=closing, closed_on=D(2026, 3, 15), by=clerk_a)
    gone = station(tree.organ_a, clerk_a, name="旧站点", opened_on=D(2025, 2, 1))
    check(gone, clerk_a, month=D(2025, 5, 1), playbacks=6)
    services.station_change(station=gone, closed_on=D(2025, 12, 31), by=clerk_a)
    # 乙镇: a station opened in January, never checked.
    station(tree.village_b, clerk_a, opened_on=D(2026, 1, 1))

    summary = station_summary(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    village, organ = summary.rows
    assert (village.org, organ.org) == (tree.village_a, tree.organ_a)
    assert _of(village) == (2, 2, 12, 5, 1, 1, 11)
    assert _of(organ) == (1, 0, 3, 2, 0, 0, 2)
    assert _of(summary.total) == (3, 2, 15, 7, 1, 1, 13)
    county = station_summary(node=tree.county, year=2026, today=D(2026, 9, 15))
    assert [_of(r) for r in county.rows] == [(3, 2, 15, 7, 1, 1, 13), (1, 1, 8, 0, 0, 0, 0)]
    # 2025, a year ended: 村部站点 June to December, 机关站点 all twelve, 旧站点 February on.
    last = station_summary(node=tree.township_a, year=2025, today=D(2026, 9, 15))
    assert [_of(r) for r in last.rows] == [(1, 1, 7, 0, 0, 0, 0), (2, 1, 23, 1, 0, 0, 6)]
    page = county_client.get(
        reverse("activities:station_summary", args=[tree.county.pk]), {"year": 2026}
    ).content.decode()
    assert '<td class="num">7 / 15</td>' in page and "统计至8月底" in page


@pytest.mark.parametrize("n", [2, 20])
def test_the_pages_read_a_fixed_number_of_queries(
    tree, clerk_a, county_client, clerk_a_client, n, django_assert_num_queries
):
    sites = []
    for _ in range(n):
        site = station(BranchFactory(parent=tree.township_a), clerk_a)
        check(site, clerk_a)
        sites.append(site)
    for month in range(1, 3 if n == 2 else 9):  # the first station: 2 or 8 more months
        if month != 3:
            check(sites[0], clerk_a, month=D(2026, month, 1))
    # Session, user, permissions (two), the picker's nodes, the count, the page of stations
    # with their branches and managers, their year's checks, the labels, and the session's
    # save (savepoint, update, release).
    with django_assert_num_queries(12):
        response = county_client.get(reverse(LIST))
    assert response.content.decode().count("data-station=") == n
    # Session, user, permissions (two), the node, the stations by child, the checks by
    # child, the children, the breadcrumb, and the session's save (three).
    with django_assert_num_queries(12):
        response = county_client.get(
            reverse("activities:station_summary", args=[tree.township_a.pk])
        )
    assert response.content.decode().count("ledgers/stations/summary/") >= n
    # Session, user, permissions (two), the station with its branch and manager, its year's
    # checks with who checked, the label, the members the details form offers, and the
    # session's save (three).
    with django_assert_num_queries(11):
        response = clerk_a_client.get(reverse(DETAIL, args=[sites[0].pk]), {"year": 2026})
    assert response.content.decode().count('<td class="num">4</td>') >= 2
