"""The roster ``manage.py bench_import`` measures: a city's tree and N generated members."""

from __future__ import annotations

import datetime
import io
import random

from openpyxl import Workbook

from branches.labels import labels_by_pk
from branches.models import Organization, OrgKind, User
from members.idcard import make_id_number
from members.roster_columns import COLUMNS
from reports.demo import DemoBuilder
from reports.demo.builder import COUNTY_AREA_CODE


def bench_tree_and_user(seed: int) -> User:
    """The city-scale tree (no members) and a superuser to import with."""
    if not Organization.objects.filter(kind=OrgKind.BRANCH).exists():
        builder = DemoBuilder(scale="city", seed=seed)
        county = builder.county()
        townships = builder._townships(county)
        _committees, committee_branches = builder._committees(county, townships)
        builder._branches_and_groups(townships, committee_branches)
    user, _ = User.objects.get_or_create(username="bench_import", defaults={"is_superuser": True})
    return user


def bench_roster(rows: int, user, rng: random.Random) -> bytes:
    """A 19-column roster of *rows* valid members spread over the user's branches, as xlsx."""
    found = list(Organization.objects.visible_to(user).filter(kind=OrgKind.BRANCH))
    labels = labels_by_pk(found)
    branches = [(labels[b.pk], b) for b in found]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(["某县党员花名册（基准测试）"])
    headers = [c.header for c in COLUMNS][:19]
    sheet.append(headers)
    used = set()
    for i in range(rows):
        label, branch = branches[i % len(branches)]
        year = rng.randint(1940, 2000)
        birth = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        joined = max(2010, year + 19)  # of age when they joined
        while True:
            seq = rng.randrange(1000)
            number = make_id_number(COUNTY_AREA_CODE, datetime.date.fromisoformat(birth), seq)
            if number not in used:
                used.add(number)
                break
        values = {
            "name": f"党员{i:05d}",
            "branch": label,
            "id_number": number,
            "sex": "男" if seq % 2 else "女",
            "ethnicity": "汉族",
            "birth_date": birth,
            "education": "高中",
            "category": "正式党员",
            "joined_on": f"{joined}-07-01",
            "full_member_on": f"{joined + 1}-07-01",
            "occupation": "农牧渔民",
            "mobile_phone": f"138{i:08d}",
            "landline": "",
            "address": f"{branch.name}{i}号",
            "party_status": "正常",
            "lost_contact": "否",
            "lost_contact_on": "",
            "is_mobile": "否",
            "mobile_destination": "",
        }
        sheet.append([values.get(c.field, "") for c in COLUMNS][:19])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
