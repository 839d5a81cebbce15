"""Spreadsheets built to take the server down (security review, issue 12, item 1).

Every hostile file is built here, small and inline. The test process itself
is the proof that reading them stays alive: before the fix, the first test
below aborted pytest with "memory allocation of 549755813888 bytes failed".
"""

from __future__ import annotations

import datetime
import io
import os
import re
import struct
import time
import tracemalloc
import zipfile
from unittest.mock import patch

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from branches.spreadsheets import reading as spreadsheet_reader
from branches.spreadsheets.reading import SpreadsheetError, read_csv, read_rows
from branches.tree_sheets import plan_tree_import
from members import import_runs
from members.models import ImportRun, Member
from members.roster_parse import RosterFileError
from members.roster_plan import plan_import
from members.tasks import check_import
from tests.members import roster_helpers
from tests.members.roster_helpers import HEADER, id_number, xls, xlsx

pytestmark = pytest.mark.django_db

ROSTER = [HEADER, ["张三", id_number(), "甲村党支部"]]
TOO_FAR = "超出了可读取的范围"
UNREADABLE = "无法读取：读取它所需的内存或时间超出了限制"


def rewritten(data: bytes, edit, pad: int = 0) -> bytes:
    """*data* (an xlsx) with its sheet XML passed through *edit*, padded by *pad* stored bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = edit(content)
            archive.writestr(info.filename, content)
        if pad:  # random bytes do not compress: the file really is that big
            archive.writestr("docProps/padding.bin", os.urandom(pad), zipfile.ZIP_STORED)
    return out.getvalue()


def far_cell(pad: int = 0) -> bytes:
    """The roster, its last cell moved to XFD1048576, the very last cell a sheet has."""
    return rewritten(xlsx(ROSTER), lambda xml: xml.replace(b'r="C2"', b'r="XFD1048576"'), pad)


def lying_dimension(pad: int = 0) -> bytes:
    claim = b'<dimension ref="A1:XFD1048576"'
    return rewritten(xlsx(ROSTER), lambda xml: re.sub(rb'<dimension ref="[^"]*"', claim, xml), pad)


# -- xlsx --------------------------------------------------------------------------------------


def test_it_refuses_a_cell_far_away_before_the_reader_builds_the_sheet(tree, clerk_a):
    data = far_cell()
    assert len(data) < 5000

    started = time.monotonic()
    with pytest.raises(RosterFileError) as error:
        plan_import(data=data, filename="far.xlsx", user=clerk_a)

    message = str(error.value)
    assert "单元格 XFD1048576" in message and TOO_FAR in message
    assert "最多 200 列、100020 行" in message
    assert time.monotonic() - started < 5


def test_it_refuses_a_lone_cell_far_away(tree, clerk_a):
    only = rewritten(xlsx([["张三"]]), lambda xml: xml.replace(b'r="A1"', b'r="XFD1048576"'))

    with pytest.raises(RosterFileError, match="单元格 XFD1048576"):
        plan_import(data=only, filename="far.xlsx", user=clerk_a)


def test_it_ignores_a_dimension_that_lies_and_reads_the_real_cells(tree, clerk_a):
    plan = plan_import(data=lying_dimension(), filename="lie.xlsx", user=clerk_a)

    assert plan.counts["new"] == 1
    assert plan.rows[0].values["name"] == "张三"


def test_it_reads_a_sheet_two_hundred_columns_wide_and_refuses_one_more(tree, clerk_a):
    wide = [[*HEADER, *[f"备注{i}" for i in range(197)]], ["张三", id_number(), "甲村党支部"]]
    assert len(wide[0]) == 200
    assert plan_import(data=xlsx(wide), filename="wide.xlsx", user=clerk_a).counts["new"] == 1

    wide[1] += [""] * 197 + ["多出的一列"]
    with pytest.raises(RosterFileError, match="单元格 GS2"):
        plan_import(data=xlsx(wide), filename="wide.xlsx", user=clerk_a)


def test_it_refuses_a_far_cell_hidden_in_a_namespace_or_unusual_xml_by_the_memory_limit():
    # A prefixed, single-quoted reference is not what programs write; the
    # extent check does not look for it, the child's memory limit stops it.
    def hide(xml):
        return xml.replace(b'<c r="C2"', b"<c r='XFD1048576'")

    with pytest.raises(SpreadsheetError, match=UNREADABLE):
        read_rows(rewritten(xlsx(ROSTER), hide), "hidden.xlsx", max_rows=100_020)


def test_it_survives_the_reader_aborting_when_the_extent_check_is_out_of_the_way():
    # The real abort of the Rust reader (512 GiB asked for), in the child only.
    with (
        patch.object(spreadsheet_reader, "MAX_COLUMNS", 20_000),
        pytest.raises(SpreadsheetError, match=UNREADABLE),
    ):
        read_rows(far_cell(), "far.xlsx", max_rows=2_000_000)

    assert read_rows(xlsx(ROSTER), "ok.xlsx", max_rows=10)[1][0] == "张三"


def test_it_stops_a_read_that_takes_too_long():
    with (
        patch.object(spreadsheet_reader, "READ_SECONDS", 0.01),
        pytest.raises(SpreadsheetError, match=UNREADABLE),
    ):
        read_rows(xlsx(ROSTER), "slow.xlsx", max_rows=10)


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("a.ods", b"PK\x03\x04"),  # OpenDocument repeats rows and columns without bound
        ("a.xlsb", b"PK\x03\x04"),
    ],
)
def test_it_refuses_formats_it_cannot_bound(filename, data):
    with pytest.raises(SpreadsheetError, match="不支持的文件类型"):
        read_rows(data, filename, max_rows=10)


def test_it_refuses_a_file_that_calamine_would_read_as_another_format():
    ods_inside = io.BytesIO()
    with zipfile.ZipFile(ods_inside, "w") as archive:
        for info in zipfile.ZipFile(io.BytesIO(xlsx(ROSTER))).infolist():
            archive.writestr(info.filename, b"")
        archive.writestr("content.xml", b"<office:document-content/>")
    xls_named_xlsx = xls(ROSTER)

    for data in (ods_inside.getvalue(), xls_named_xlsx):
        with pytest.raises(SpreadsheetError, match="不是有效的 Excel 文件"):
            read_rows(data, "a.xlsx", max_rows=10)


def test_it_reads_a_roster_whose_references_use_lower_case_or_two_letters(tree, clerk_a):
    rows = [[*HEADER, *[""] * 24, "备注"], ["张三", id_number(), "甲村党支部", *[""] * 24, "x"]]

    plan = plan_import(data=xlsx(rows), filename="aa.xlsx", user=clerk_a)

    assert plan.unknown_columns == ["备注"] and plan.counts["new"] == 1


# -- xls ---------------------------------------------------------------------------------------


def _with_records(extra: bytes, dimensions: tuple[int, int] | None = None):
    """roster_helpers' xls, with *extra* cell records and, if given, a made-up DIMENSIONS."""
    original = roster_helpers._biff8

    def biff8(rows):
        stream = original(rows)
        if dimensions:
            old = re.search(rb"\x00\x02\x0e\x00.{14}", stream, re.DOTALL).group()
            new = struct.pack("<HHIIHHH", 0x0200, 14, 0, dimensions[0], 0, dimensions[1], 0)
            stream = stream.replace(old, new)
        eof = stream.rindex(b"\x0a\x00\x00\x00")
        return stream[:eof] + extra + stream[eof:]

    return patch.object(roster_helpers, "_biff8", biff8)


def test_it_refuses_an_xls_cell_far_away(tree, clerk_a):
    far = roster_helpers._cell_record(65535, 255, 1.0)
    with _with_records(far):
        data = xls(ROSTER)

    with pytest.raises(RosterFileError, match="单元格 IV65536"):
        plan_import(data=data, filename="far.xls", user=clerk_a)


def test_it_refuses_an_xls_whose_dimensions_claim_billions_of_rows(tree, clerk_a):
    with _with_records(b"", dimensions=(4_000_000_000, 3)):
        data = xls(ROSTER)

    with pytest.raises(RosterFileError, match=TOO_FAR):
        plan_import(data=data, filename="lie.xls", user=clerk_a)


def test_it_still_reads_an_ordinary_xls(tree, clerk_a):
    plan = plan_import(data=xls(ROSTER), filename="ok.xls", user=clerk_a)

    assert plan.counts["new"] == 1


# -- csv ---------------------------------------------------------------------------------------


def test_it_refuses_20_mb_of_blank_lines_at_the_row_limit_quickly(tree, clerk_a):
    data = "\ufeff姓名,公民身份证号,所在党支部\n".encode() + b"\n" * (20 * 1024 * 1024)

    started = time.monotonic()
    with pytest.raises(RosterFileError, match="超过 100020 行"):
        plan_import(data=data, filename="blank.csv", user=clerk_a)

    # The message comes from the child, so it finished within its 512 MB.
    assert time.monotonic() - started < 10


def test_it_reads_a_csv_streaming_without_keeping_blank_lines():
    data = b"a,b\n" + b",,,,\n" * 99_000 + b"c,d\n"

    tracemalloc.start()
    try:
        rows = read_csv(data, "a.csv", (100_020, 200))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (rows[0], rows[-1], len(rows)) == (["a", "b"], ["c", "d"], 99_002)
    assert all(row == [] for row in rows[1:-1])
    # 99,000 rows of five empty strings read whole would take about 60 MB.
    assert peak < 20 * 1024 * 1024


def test_it_refuses_a_csv_line_wider_than_the_column_limit():
    data = b"a" + b"," * 5000 + b"x\n"

    with pytest.raises(SpreadsheetError, match="第1行第201列之后"):
        read_rows(data, "wide.csv", max_rows=10)


def test_it_ignores_empty_fields_past_the_column_limit():
    rows = read_rows(b"a,b" + b"," * 500 + b"\n", "wide.csv", max_rows=10)

    assert rows == [["a", "b", *[""] * 198]]


# -- through the pages and the worker ----------------------------------------------------------


@pytest.mark.parametrize("make", [far_cell, lying_dimension])
def test_the_import_page_answers_a_hostile_file_and_stays_up(tree, clerk_a, client, make):
    client.force_login(clerk_a)

    response = client.post(
        reverse("members:import_upload"), {"file": SimpleUploadedFile("a.xlsx", make())}
    )

    assert response.status_code in (200, 302)
    if make is far_cell:
        assert TOO_FAR in response.content.decode()
        assert not ImportRun.objects.exists()
    assert not Member.objects.exists()


@pytest.mark.parametrize("make", [far_cell, lying_dimension])
def test_the_worker_fails_a_padded_hostile_file_and_stays_up(tree, clerk_a, settings, make):
    settings.IMPORT_BACKGROUND_BYTES = 256 * 1024
    data = make(pad=300 * 1024)
    assert len(data) > settings.IMPORT_BACKGROUND_BYTES

    run = import_runs.import_run_upload(user=clerk_a, data=data, file_name="padded.xlsx")
    check_import.call(run.pk)

    run.refresh_from_db()
    assert run.in_background
    if make is far_cell:
        assert (run.status, run.rows_new) == (ImportRun.Status.FAILED, 0)
        assert "单元格 XFD1048576" in run.error
    else:
        assert (run.status, run.rows_new) == (ImportRun.Status.PREVIEWED, 1)
    assert not Member.objects.exists()


def test_the_tree_import_refuses_a_far_cell(tree, county_user, client):
    data = rewritten(
        xlsx([["路径", "类别", "组织代码"], ["县委", "县委", tree.county.code]]),
        lambda xml: xml.replace(b'r="C2"', b'r="XFD1048576"'),
    )
    with pytest.raises(SpreadsheetError, match="单元格 XFD1048576"):
        plan_tree_import(data=data, filename="tree.xlsx", user=county_user)

    client.force_login(county_user)
    response = client.post(reverse("tree_import"), {"file": SimpleUploadedFile("t.xlsx", data)})

    assert response.status_code == 200
    assert TOO_FAR in response.content.decode()


def test_it_keeps_dates_from_the_reader(tree, clerk_a):
    rows = read_rows(xlsx([["日期"], [datetime.date(2018, 7, 1)]]), "d.xlsx", max_rows=10)

    assert rows[1][0] in (datetime.date(2018, 7, 1), datetime.datetime(2018, 7, 1))
