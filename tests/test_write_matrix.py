"""Every view that writes, posted to by every role, against an object in the role's scope.

The targets come from Django's resolver, the admin's included: every site
URL whose view accepts POST, every admin add, change and delete page, each
changelist action of every registered ModelAdmin, the version pages of the
history and the admin's password form. What a target needs is declared:
site views carry ``write_permission`` or ``write_exempt`` (branches.writes),
a site view accepting POST with neither fails here; admin pages are declared
by their ModelAdmin's ``has_*_permission`` and actions by their permissions.

Each role (the four role groups) posts a plausible payload – one that does
write when a superuser sends it – against an object in its own scope. A
role holding the permission gets anything but a server error; a role
without it is refused (403, or the admin's redirect / re-shown page without
the action) and no row of any model changes. 支部书记 is read only
(README): it holds no write permission but its own duty, the monthly check of
its branch's 民情日志 (``OWN_DUTIES``).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from openpyxl import Workbook

from activities.assessment.selectors import graded_orgs
from activities.models import (
    Activity,
    ActivityKind,
    Appraisal,
    CadenceRule,
    GradeLevel,
    GroupRank,
    ModelSite,
    PointEntry,
    PointRule,
    RatingPublication,
    RatingRule,
    StarBand,
    StudyTarget,
)
from activities.ratings.selectors import draft_fingerprint
from activities.ratings.services import rating_draft_compute
from activities.services import activity_log
from branches.audit import acting_as
from branches.models import Organization, Post, PostTitle, TermLength, User
from branches.roles import Role, role_of
from branches.services import post_assign
from branches.tree_sheets import tree_rows
from members.import_runs import import_run_preview
from members.models import (
    CalendarDay,
    DevelopmentSettings,
    DuesRetention,
    DuesRule,
    ImportRun,
    Member,
)
from tests.adminforms import admin_form_data
from tests.conftest import session_of, sign_in
from tests.factories import GroupFactory, MemberFactory, UserFactory
from tests.helpers import log_meeting
from tests.members.roster_helpers import HEADER, csv_bytes, id_number
from tests.urlwalk import Writes, _walk, declared, model_admin_of

# The tree, cast and township A's objects are built once for the module (tests/conftest.py).
# Database-independent: run on PostgreSQL only (tests/conftest.py).
pytestmark = [pytest.mark.walk, pytest.mark.usefixtures("shared_world", "module_objects")]

DAY = datetime.timedelta(days=1)
ROLES = ["county_user", "clerk_a", "secretary_a", "admin_role_user"]
READ_ONLY_ROLES = {Role.SECRETARY}
# What a read-only role may still do because it is the role's own duty: the branch
# secretary's monthly check of the 民情日志 (activities.migrations.0025_diary_defaults), and
# the groups' monthly reports and the branch's quarter summary it submits
# (activities.migrations.0031_group_reports_defaults).
OWN_DUTIES = {
    Role.SECRETARY: {
        "activities.add_diarycheck",
        "activities.change_diarycheck",
        "activities.add_groupreport",
        "activities.add_branchsummary",
    }
}
# The admin site's own pages (not a ModelAdmin's): reads, or the user's own session.
ADMIN_SITE_VIEWS = {
    "admin:index": "只读",
    "admin:app_list": "只读",
    "admin:login": "转到网站的登录页",
    "admin:logout": "只结束本人的会话",
    "admin:password_change": "每个账号都可以修改自己的密码",
    "admin:password_change_done": "只读",
    "admin:autocomplete": "只读",
    "admin:jsi18n": "只读",
    "admin:view_on_site": "只读（转到对象的页面）",
}


@dataclass(frozen=True)
class Target:
    name: str  # test id
    url_name: str
    kind: str  # site | add | change | delete | action | version | password
    callback: object = None
    model_admin: object = None
    action: str = ""


def allowed_methods(callback) -> set[str] | None:
    """The methods a view accepts, from Django's method decorators or a class view; None: any."""
    view = callback
    while view is not None:
        cls = getattr(view, "view_class", None)
        if cls is not None:
            return {m.upper() for m in cls.http_method_names if hasattr(cls, m)}
        code = getattr(view, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]
            return set(cell.cell_contents)
        view = getattr(view, "__wrapped__", None)
    return None


def _admin_targets(name: str, entry: URLPattern, model_admin) -> list[Target]:
    if name.endswith("_changelist"):
        return [
            Target(f"{name}:{action}", name, "action", model_admin=model_admin, action=action)
            for _func, action, _desc in model_admin._get_base_actions()
        ]
    for suffix, kind in [
        ("_add", "add"),
        ("_password_change", "password"),  # before "_change": the admin's password form
        ("_change", "change"),
        ("_delete", "delete"),
        ("_simple_history", "version"),
    ]:
        if name.endswith(suffix):
            return [Target(name, name, kind, model_admin=model_admin)]
    # The history list is a read; the export (django-import-export) a download of
    # the list, which needs the view permission and writes only the access log.
    assert name.endswith(("_history", "_export")), f"{name}: an admin page this test does not know"
    return []


def targets() -> list[Target]:
    found = []
    for name, _pattern, entry in _walk(get_resolver()):
        model_admin = model_admin_of(entry.callback)
        if model_admin is not None:
            found += _admin_targets(name, entry, model_admin)
        elif name.startswith("admin:"):
            assert name in ADMIN_SITE_VIEWS, f"{name}: an admin site page this test does not know"
        elif "POST" in (allowed_methods(entry.callback) or {"POST"}):
            found.append(Target(name, name, "site", callback=entry.callback))
    return found


TARGETS = targets()


# --- the objects each role posts against -----------------------------------------------------


@pytest.fixture
def cast(request, tree) -> dict[str, User]:
    return {name: request.getfixturevalue(name) for name in ROLES}


@pytest.fixture(scope="module")
def module_objects(shared_world, django_db_blocker) -> tuple[User, dict]:
    """The superuser and the candidates, built once for the module with its shared world."""
    tree = shared_world.tree
    with django_db_blocker.unblock():
        superuser = UserFactory(username="root", org=tree.county, is_superuser=True)
        shared_world.sessions[superuser.pk] = session_of(superuser)
        cast = {name: shared_world.cast[name] for name in ROLES}
        return superuser, build_candidates(shared_world.world, tree, cast, superuser)


@pytest.fixture
def superuser(module_objects) -> User:
    return module_objects[0]


@pytest.fixture
def candidates(module_objects) -> dict:
    return module_objects[1]


def _run(user, status, branch="甲村党支部") -> ImportRun:
    """A run of *user* previewed as the import page does; a failed one is marked so after."""
    rows = [HEADER, ["新党员", id_number(datetime.date(1993, 5, 6), 57), branch]]
    run, _plan = import_run_preview(user=user, data=csv_bytes(rows), file_name="花名册.csv")
    if status == ImportRun.Status.FAILED:
        ImportRun.objects.filter(pk=run.pk).update(status=status, error="写入时出错")
        run.refresh_from_db()
    return run


def build_candidates(world, tree, cast, superuser) -> dict:
    """Per model, objects deepest in the tree first, so one object is in every role's scope.

    Besides the world's: a member and a meeting nothing else points at (the
    ones that can be deleted), an account in the village, a first version
    of each rule, lock-out records, each user's own import runs, and rating
    drafts to publish and decide ties on (``_rating_years``).
    """
    for rule in (PointRule, StarBand, RatingRule, DuesRule, GradeLevel, TermLength):
        rule.objects.order_by("pk").first().save()  # a first version for the version page
    DuesRetention.objects.create(level="township", share=0, valid_from=datetime.date(2000, 1, 1))
    MemberFactory(branch=tree.village_a, name="甲村交费党员")  # whose month the ledger records
    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="10.0.0.9", failures_since_start=1
    )
    # Expired, so the clean-up action has something to do.
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - DAY)
    AccessLog.objects.create(username="someone", ip_address="10.0.0.9")
    AccessFailureLog.objects.create(username="someone", ip_address="10.0.0.9")
    clerk = cast["clerk_a"]
    with acting_as(clerk):
        # Its members moved away in May: nobody was expected, so no points hang on it.
        meeting = activity_log(
            org=tree.group_a2,
            kind=ActivityKind.GROUP_MEETING,
            held_on=datetime.date(2025, 7, 1),
            marks=[],
            recorded_by=clerk,
            topic="无人出席的会",
        )
    # Before the deletable member is made: a draft's ratings would hold on to it.
    _rating_years(tree, clerk)
    objects = {**world.objects}
    objects[Organization] = [tree.group_a1, tree.village_a, tree.township_a]
    objects[Member] = [MemberFactory(group=tree.group_a1, name="新来的党员"), *objects[Member]]
    objects[Activity] = [meeting, *objects[Activity]]
    objects[User] = [UserFactory(username="village_user", org=tree.village_a), *objects[User]]
    objects[PointEntry] = sorted(objects[PointEntry], key=lambda e: e.status != "pending")
    users = [*cast.values(), superuser]
    objects[ImportRun] = [_run(u, status) for status in ("previewed", "failed") for u in users]
    # Runs naming a branch the tree lacks, for the page that creates it.
    objects[ImportRun] += [_run(u, "previewed", "甲镇党委/青山村党支部") for u in users]
    return objects


def _rating_years(tree, clerk) -> None:
    """Drafts to publish and decide on: 2024 publishable, 2023 with a tie at the bottom.

    A third group in 甲村 with one member; in 2023 nobody met, so the three
    groups tie at the bottom of the branch (the rule before 2026 ranks within
    the branch); in 2024 the first two met, so the third is last alone.
    """
    third = GroupFactory(parent=tree.village_a, name="甲村新设党小组")
    MemberFactory(group=third, name="新设党小组党员")
    for group in (tree.group_a1, tree.group_a2):
        log_meeting(
            org=group, kind=ActivityKind.GROUP_MEETING, held_on=datetime.date(2024, 5, 6), by=clerk
        )
    for year in (2023, 2024):
        rating_draft_compute(node=tree.township_a, year=year, today=datetime.date(2025, 1, 5))


# Where a view wants a particular kind of object: a township's ratings, a failed import.
POOLS = {
    "activities:rating_compute": lambda c: c[Organization][::-1],
    "activities:rating_publish": lambda c: c[Organization][::-1],
    "activities:rating_withdraw": lambda c: c[Organization][::-1],
    # The ranking whose groups tie: 甲村党支部's, in 2023.
    "activities:rating_tie_decide": lambda c: c[Organization][1:2],
    "activities:grading": lambda c: c[Organization][::-1],  # the township
    # 换届 is recorded for a branch or committee, not a party group: 甲村党支部 first.
    "terms:election_record": lambda c: c[Organization][1:],
    "terms:term_postpone": lambda c: c[Organization][1:],
    # The 民情日志 is checked for a branch: 甲村党支部.
    "activities:diary_check": lambda c: c[Organization][1:2],
    # A group reports its month (甲村第一党小组), a branch sums up its quarter (甲村党支部).
    "activities:group_month": lambda c: c[Organization][0:1],
    "activities:branch_quarter": lambda c: c[Organization][1:2],
    "members:import_confirm": lambda c: [r for r in c[ImportRun] if r.status == "previewed"],
    "members:import_missing": lambda c: [r for r in c[ImportRun] if r.missing],
    "members:import_retry": lambda c: [r for r in c[ImportRun] if r.status == "failed"],
}


def in_scope(target, model, user, candidates) -> object | None:
    """The first candidate *user* may see (any for models outside the tree)."""
    pool = POOLS[target.url_name](candidates) if target.url_name in POOLS else None
    pool = pool or candidates.get(model) or list(model._default_manager.order_by("pk")[:1])
    queryset = model._default_manager.all()
    if hasattr(queryset, "visible_to"):
        visible = set(queryset.visible_to(user).values_list("pk", flat=True))
        pool = [obj for obj in pool if obj.pk in visible]
    if model is ImportRun:  # a run is its uploader's alone
        pool = [run for run in pool if run.user_id == user.pk]
    return pool[0] if pool else None


# --- what a target needs, and what it is sent ---------------------------------------------------


def _admin_request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def holds(target: Target, user, obj) -> bool:
    """Whether *user* holds what *target* declares it needs (for *obj*)."""
    if target.kind == "site":
        return user.has_perms(declared(target.callback, "write_permission"))
    model_admin, request = target.model_admin, _admin_request(user)
    if target.kind == "add":
        return model_admin.has_add_permission(request)
    if target.kind in ("change", "password"):
        return model_admin.has_change_permission(request, obj)
    if target.kind == "delete":
        return model_admin.has_delete_permission(request, obj)
    if target.kind == "action":
        return target.action in model_admin.get_actions(request)
    return False  # a past version is never written back


def target_model(target: Target):
    if target.model_admin is not None:
        return target.model_admin.model
    if target.url_name == "tree_import":
        return None
    return declared(target.callback, "scope_model")


def object_url(target: Target, obj) -> str:
    if target.kind == "version":
        version = obj.history.order_by("history_id").first()
        return reverse(target.url_name, args=[obj.pk, version.history_id])
    if target.kind in ("add", "action"):
        return reverse(target.url_name)
    return reverse(target.url_name, args=[obj.pk])


def admin_payload(target: Target, obj, root_client, tree) -> dict:
    """A payload taken from the superuser's own form, so it is one a person could send."""
    if target.kind == "delete":
        return {"post": "yes"}
    if target.kind == "action":
        return {"action": target.action, "_selected_action": [obj.pk], "index": 0, "post": "yes"}
    if target.kind == "password":
        return {
            "usable_password": "true",
            "password1": "Xin-mima-2026",
            "password2": "Xin-mima-2026",
        }
    page = root_client.get(object_url(target, obj))
    if page.status_code != 200:
        return {}
    data = admin_form_data(page) if "adminform" in page.context else {}
    if target.kind == "add":
        data.update(ADD_PAYLOADS.get(target.model_admin.model, dict)(tree))
    return data


# The default rules run from 2000 without end: a new rule may not overlap them.
BEFORE_THE_DEFAULTS = {"valid_from": "1990-01-01", "valid_to": "1999-12-31"}
ADD_PAYLOADS = {
    ModelSite: lambda tree: {
        "org": tree.organ_a.pk,
        "year": "2026",
        "level": "county",
        "title": "党建示范点",
    },
    TermLength: lambda tree: {"kind": "branch", "category": "organ", "years": "4"},
    GradeLevel: lambda tree: {
        "name": "示范",
        "rank": "9",
        "min_compliance": "1",
        "min_stars": "5",
        "no_last_group": "on",
    },
    Organization: lambda tree: {
        "kind": "group",
        "name": "甲村第三党小组",
        "code": "A-V-G3",
        "parent": tree.village_a.pk,
        "sort_order": 0,
    },
    Member: lambda tree: {
        "name": "新党员",
        "id_number": id_number(datetime.date(1991, 2, 3), 33),
        "sex": "M",
        "ethnicity": "汉族",
        "birth_date": "1991-02-03",
        "education": "bachelor",
        "branch": tree.village_a.pk,
        "group": tree.group_a1.pk,
        "category": "full",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "party_status": "normal",
        "occupation": "farmer",
    },
    User: lambda tree: {
        "username": "new_clerk",
        "usable_password": "true",
        "password1": "Xin-mima-2026",
        "password2": "Xin-mima-2026",
        "first_name": "新人",
        "org": tree.village_a.pk,
        "groups": [],
    },
    Group: lambda tree: {"name": "新角色", "permissions": []},
    # The case: a 不合格 appraisal caps the member's stars.
    Appraisal: lambda tree: {
        "member": Member.objects.first().pk,
        "year": 2024,
        "grade": "unqualified",
    },
    PointEntry: lambda tree: {
        "member": Member.objects.first().pk,
        "date": "2025-07-01",
        "source": "volunteer",
        "points": "2",
        "reason": "参加志愿服务",
    },
    CadenceRule: lambda tree: {
        "kind": "lesson",
        "org_kind": "branch",
        "period": "quarter",
        "times": 1,
        **BEFORE_THE_DEFAULTS,
    },
    PointRule: lambda tree: {
        "source": "volunteer",
        "points": "3",
        "yearly_cap": "10",
        **BEFORE_THE_DEFAULTS,
    },
    StarBand: lambda tree: {"stars": 5, "min_points": 97, **BEFORE_THE_DEFAULTS},
    StudyTarget: lambda tree: {
        "member_hours": "24",
        "secretary_hours": "40",
        **BEFORE_THE_DEFAULTS,
    },
    RatingRule: lambda tree: {"min_groups": 3, **BEFORE_THE_DEFAULTS},
    CalendarDay: lambda tree: {"day": "2026-10-01", "note": "国庆节"},
    DuesRule: lambda tree: {
        "category": "student",
        "income_above": "0",
        "amount_min": "0.1",
        "amount_max": "0.1",
        **BEFORE_THE_DEFAULTS,
    },
    DuesRetention: lambda tree: {"level": "branch", "share": "10", **BEFORE_THE_DEFAULTS},
    DevelopmentSettings: lambda tree: {"notice_workdays": 7},
}


def _sheet(user, tree) -> bytes:
    """The user's tree export with a new party group under the village branch."""
    rows = [list(r) for r in tree_rows(user=user)]
    village = next(r[0] for r in rows if r[3] == tree.village_a.code)
    rows.append([f"{village}/甲村第三党小组", "党小组", "", "A-V-G3", "", "", ""])
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _tree_import(client, user, tree) -> tuple[str, dict]:
    """The sheet; for one who may import, its preview's upload, as the confirmation sends."""
    url = reverse("tree_import")
    upload = {"file": SimpleUploadedFile("tree.xlsx", _sheet(user, tree))}
    if not user.has_perm("branches.change_organization"):
        return url, upload
    return url, {"upload": client.post(url, upload).context["upload"].pk}


def _recruit_import(client, user) -> tuple[str, dict]:
    """A 积极分子花名册 of one applicant; for one who may import it, its preview's upload,
    as the confirmation sends."""
    url = reverse("members:recruit_import")
    rows = [
        ["姓名", "公民身份证号", "所在党支部", "递交入党申请书日期"],
        ["新申请人", id_number(datetime.date(2001, 2, 3), 66), "甲村党支部", "2025-03-01"],
    ]
    upload = {"file": SimpleUploadedFile("积极分子花名册.csv", csv_bytes(rows))}
    if not user.has_perm("members.add_recruit"):
        return url, upload
    return url, {"upload": client.post(url, upload).context["upload"].pk}


def _dues_import(client, user) -> tuple[str, dict]:
    """A 党费收缴表 of one payment this month; for one who may import it, its preview's
    upload, as the confirmation sends."""
    url = reverse("members:dues_import")
    person = Member.objects.get(name="甲村交费党员")
    month = timezone.localdate().strftime("%Y-%m")
    rows = [
        ["姓名", "公民身份证号", "所属月份", "金额（元）"],
        [person.name, person.id_number, month, "1"],
    ]
    upload = {"file": SimpleUploadedFile("党费收缴表.csv", csv_bytes(rows))}
    if not user.has_perm("members.add_duesentry"):
        return url, upload
    return url, {"upload": client.post(url, upload).context["upload"].pk}


def site_request(target: Target, client, user, obj, tree) -> tuple[str, dict] | None:
    """URL and payload of a site view's write."""
    name = target.url_name
    if name == "tree_import":
        return _tree_import(client, user, tree)
    if name == "members:recruit_import":
        return _recruit_import(client, user)
    if name == "members:dues_import":
        return _dues_import(client, user)
    if name == "members:import_upload":
        roster = csv_bytes(
            [HEADER, ["新党员", id_number(datetime.date(1992, 4, 5), 55), "甲村党支部"]]
        )
        return reverse(name), {"file": SimpleUploadedFile("roster.csv", roster)}
    if name == "activities:activity_log":
        url = f"{reverse(name)}?org={tree.group_a1.pk}&kind={ActivityKind.GROUP_MEETING}"
        marks = {f"status_{m.pk}": "present" for m in Member.objects.filter(group=tree.group_a1)}
        return url, {"held_on": "2025-07-08", "topic": "学习党章", **marks}
    today = timezone.localdate().isoformat()
    if name == "members:transfer_arrive":
        return reverse(name), {
            "name": "县外转入党员",
            "id_number": id_number(datetime.date(1990, 3, 4), 77),
            "category": "full",
            "joined_on": "2015-07-01",
            "branch": tree.village_a.pk,
            "outside_org": "邻县某镇党委",
            "letter_number": "邻-001",
            "letter_date": today,
            "on": today,
        }
    if name == "members:recruit_add":
        return reverse(name), {
            "name": "新申请人",
            "id_number": id_number(datetime.date(2000, 5, 6), 88),
            "branch": tree.village_a.pk,
            "applied_on": today,
            "ethnicity": "汉族",
        }
    if name == "members:development_plan_edit":
        return reverse(name), {f"u{tree.township_a.pk}-planned": "6"}
    if name == "members:dues_ledger":  # an exemption needs no base
        person = Member.objects.get(name="甲村交费党员")
        return f"{reverse(name)}?branch={tree.village_a.pk}", {
            "paid_on": today,
            f"action_{person.pk}": "exempt",
            f"note_{person.pk}": "重病住院",
            f"approved_{person.pk}": today,
        }
    if name == "members:dues_remit":
        month = today[:7]
        return f"{reverse(name)}?org={tree.village_a.pk}", {
            "month_from": month,
            "month_to": month,
            "amount": "12.5",
            "remitted_on": today,
        }
    if name == "activities:report_meeting_add":
        return reverse(name), {
            "org": tree.township_a.pk,
            "year": "2025",
            "held_on": "2025-12-28",
            "evaluators": "8",
        }
    if name == "members:inflow_add":
        return reverse(name), {
            "name": "外地党员",
            "origin_org": "邻省某党委",
            "branch": tree.village_a.pk,
            "arrived_on": today,
        }
    if name == "activities:rectification_add":  # 甲镇机关党支部 is on no register yet
        return reverse(name), {
            "org": tree.organ_a.pk,
            "year": today[:4],
            "identified_on": today,
            "reasons": ["loose"],
            "reason_note": "党员管理松散",
            "county_leader": "王县长",
            "township_cadre": "李干部",
            "measure_1": "集中整顿纪律",
            "deadline_1": today,
        }
    if name == "activities:pledge_add":
        member = Member.objects.filter(branch=tree.village_a, roster_status="active").first()
        return f"{reverse(name)}?branch={tree.village_a.pk}", {
            "member": member.pk,
            "made_on": today,
            "category": "policy",
            "text": "每月宣讲一次惠农政策",
            "due_on": today,
        }
    if name == "activities:diary_add":
        member = Member.objects.filter(branch=tree.village_a, roster_status="active").first()
        return f"{reverse(name)}?branch={tree.village_a.pk}", {
            "cadre": member.pk,
            "date": today,
            "household": "三组 王家",
            "concern": "灌溉水渠堵塞",
            "action": "组织清淤",
            "outcome": "resolved",
        }
    if name == "activities:talk_add":
        first, second = Member.objects.filter(
            branch=tree.village_a, roster_status="active"
        ).order_by("pk")[:2]
        return f"{reverse(name)}?branch={tree.village_a.pk}", {
            "talked_on": today,
            "initiator": first.pk,
            "partner": second.pk,
            "summary": "交流思想",
        }
    if name == "activities:duty_post_add":
        return f"{reverse(name)}?branch={tree.village_a.pk}", {
            "name": "治安巡逻岗",
            "duty": "每周夜间巡逻两次",
            "set_up_on": today,
        }
    if name == "activities:pair_add":
        member = Member.objects.filter(branch=tree.village_a, roster_status="active").first()
        return f"{reverse(name)}?branch={tree.village_a.pk}", {
            "member": member.pk,
            "partner_kind": "household",
            "partner_name": "赵老汉",
            "difficulty": "elderly",
            "started_on": today,
        }
    if name == "activities:station_add":  # a second station of 甲村, at its school
        member = Member.objects.filter(branch=tree.village_a, roster_status="active").first()
        return f"{reverse(name)}?branch={tree.village_a.pk}", {
            "name": "甲村小学远程教育站点",
            "address": "甲村小学多媒体教室",
            "equipment": ["has_tv", "has_computer"],
            "manager": member.pk,
            "opened_on": today,
        }
    if name == "activities:exchange_add":
        return f"{reverse(name)}?township={tree.township_a.pk}", {
            "held_on": today,
            "topic": "党小组工作经验交流会",
            "groups": [tree.group_a2.pk],
        }
    if name == "activities:study_add":
        member = Member.objects.filter(branch=tree.village_a, roster_status="active").first()
        return f"{reverse(name)}?org={tree.village_a.pk}", {
            "date": today,
            "topic": "学习党章",
            "form": "class",
            "hours": "2",
            "members": [member.pk],
        }
    if obj is None:
        return None
    url = reverse(name, args=[obj.pk])
    if name == "activities:station_detail":  # the world's station, June 2025 not yet checked
        return f"{url}?year=2025&month=6", {
            "step": "check",
            "checked_on": "2025-06-28",
            "state": "normal",
            "playbacks": "4",
        }
    if name == "activities:group_month":  # July 2025: the world reported June
        return f"{url}?year=2025&month=7", {"work": "召开党小组会一次", "plans": "入户走访"}
    if name == "activities:branch_quarter":  # 2025's third quarter: the world summed up the second
        return f"{url}?year=2025&quarter=3", {"text": "本季度各党小组按月报告"}
    if name == "activities:study_edit":  # the world's session, a day later and longer
        return url, {"date": "2025-03-07", "topic": "学习党章", "form": "class", "hours": "3"}
    if name == "activities:study_detail":  # the world's session: 甲村's attendees set again
        members = Member.objects.filter(branch=obj.org, roster_status="active").order_by("pk")
        return url, {"members": [m.pk for m in members[:2]]}
    if name == "activities:diary_check":  # June 2025 of 甲村党支部: no entries, no check yet
        secretary = Post.objects.filter(org=obj, title=PostTitle.SECRETARY).first().member
        return f"{url}?year=2025&month=6", {
            "checked_by": secretary.pk,
            "checked_on": "2025-07-01",
            "comment": "已阅",
        }
    if name == "activities:pledge_detail":  # the world's pledge, fulfilled
        return url, {
            "step": "fulfil",
            "fulfilment": "done",
            "fulfilled_on": today,
            "evidence": "已兑现",
        }
    if name == "activities:duty_post_detail":  # the world's post, a 履职记录 of its holder
        held = obj.assignments.get(ended_on__isnull=True)
        return url, {"step": "log", "assignment": held.pk, "done_on": today, "text": "入户宣讲"}
    if name == "activities:pair_detail":  # the world's pairing, a visit
        return url, {
            "step": "visit",
            "visited_on": today,
            "kind": "call",
            "help_given": "走访慰问",
        }
    if name in RECTIFICATION_REQUESTS:  # the world's open case, its measure not done
        return url, RECTIFICATION_REQUESTS[name](obj, today)
    if name == "activities:activity_edit":
        return url, {"held_on": obj.held_on.isoformat(), "topic": "改过的议题"}
    if name == "activities:rating_compute":
        return f"{url}?year=2024", {}
    if name == "activities:rating_publish":
        # What the confirmation page would show of the stored 2024 draft.
        return f"{url}?year=2024", {"confirmed": draft_fingerprint(node=obj, year=2024)}
    if name == "activities:rating_withdraw":
        return f"{url}?year=2025", {"reason": "发布时漏算了手工积分"}  # the world's publication
    if name == "activities:rating_tie_decide":
        tied = GroupRank.objects.filter(scope_org=obj, year=2023, tied=True, publication=None)
        return f"{url}?year=2023", {"last": [tied.last().group_id], "reason": "全年未开会"}
    if name == "members:import_missing":
        return url, {"confirm": "1"}
    if name == "terms:election_record":  # a 换届选举 of 甲村党支部, one candidate elected
        member = Member.objects.filter(branch=obj, roster_status="active").order_by("pk").first()
        return url, {
            "held_on": today,
            "by_election": "0",
            "method": "direct",
            "electors": "10",
            "present": "9",
            "c1_member": f"{member.name}#{member.pk}",
            "c1_title": "secretary",
            "c1_votes": "8",
            "c1_elected": "on",
        }
    if name == "terms:term_postpone":
        return url, {
            "until": "2027-06-30",
            "approved_on": today,
            "document": "县组〔2026〕3号",
            "reason": "与村委会换届同步",
        }
    if name == "terms:post_filing":  # the world's 甲村 secretary
        return url, {
            "filed_on": today,
            "filed_document": "县组备〔2026〕1号",
            "chairs_village_committee": "on",
        }
    if name in ASSESSMENT_REQUESTS:
        return ASSESSMENT_REQUESTS[name](url, obj, tree)
    if name == "members:transfer_issue":
        return url, {
            "kind": "out",
            "outside_org": "邻县某镇党委",
            "letter_number": "甲-101",
            "letter_date": today,
        }
    if name == "members:inflow_leave":
        return url, {"on": today}
    if name == "members:recruit_detail":  # the world's applicant withdraws
        return url, {
            "step": "leave",
            "left_on": today,
            "left_kind": "withdrawn",
            "left_reason": "本人撤回申请",
        }
    if name == "members:dues_member":
        return url, {"starts": today[:7], "category": "student"}
    if name == "members:dues_correct":
        return url, {"amount": "0", "note": "误记，本人未交"}
    if name == "members:recruit_waive":
        return url, {"rule": "talk", "reason": "长期在外", "document_number": "县组字〔2026〕1号"}
    if name == "members:member_standing":
        return url, {"step": "away", "on": today, "destination": "广东省深圳市"}
    if name == "members:transfer_receive":  # the world's letter out of the county: its 回执
        return url, {"on": today}
    if name == "members:transfer_close":
        return url, {"state": "returned", "on": today, "reason": "本人未报到"}
    return url, {"skip_invalid": "1"}


def _report_request(url, meeting, tree):
    """The world's 述职评议会: 甲镇机关党支部's secretary (given a post here) reports."""
    if not Post.objects.filter(org=tree.organ_a, title=PostTitle.SECRETARY).exists():
        post_assign(
            org=tree.organ_a,
            member=Member.objects.get(name="甲村调动党员"),
            title=PostTitle.SECRETARY,
            started_on=datetime.date(2025, 6, 1),
        )
    votes = {"good": "3", "fairly_good": "2", "average": "1", "poor": "0"}
    return url, {"org": tree.organ_a.pk, "summary": "述职", "evaluation": "good", **votes}


def _grading_request(url, township, tree):
    best = GradeLevel.objects.order_by("rank").first()
    payload = {}
    for org in graded_orgs(node=township):
        payload[f"level_{org.pk}"] = str(best.pk)
        payload[f"reasons_{org.pk}"] = "全年工作突出"
    return f"{url}?year=2025", payload


def _leader_request(url, group, tree):
    """甲村第一党小组 ranked last in the world's 2025 publication, with a leader in post."""
    publication = RatingPublication.objects.get(year=2025, org=tree.township_a)
    leader = Member.objects.get(name="甲村秘密党员")
    if not GroupRank.objects.filter(publication=publication, group=group).exists():
        GroupRank.objects.create(
            year=2025,
            group=group,
            scope_org=tree.township_a,
            publication=publication,
            member_count=1,
            average_points=60,
            score=50,
            rank=2,
            group_count=2,
            is_last=True,
            leader=leader,
            computed_at=timezone.now(),
        )
    if not Post.objects.filter(org=group, title=PostTitle.GROUP_LEADER, ended_on=None).exists():
        post_assign(
            org=group,
            member=leader,
            title=PostTitle.GROUP_LEADER,
            started_on=datetime.date(2024, 1, 1),
        )
    return f"{url}?year=2025", {"on": timezone.localdate().isoformat()}


ASSESSMENT_REQUESTS = {
    "activities:report_meeting_detail": _report_request,
    "activities:grading": _grading_request,
    "activities:group_leader_remove": _leader_request,
}


RECTIFICATION_REQUESTS = {
    "activities:rectification_progress": lambda case, today: {
        "on": today,
        "text": "召开支部党员大会",
        "measure": case.measures.get().pk,
        "done": "on",
    },
    "activities:rectification_measure_add": lambda case, today: {
        "text": "培养后备干部",
        "deadline": today,
    },
    "activities:rectification_close": lambda case, today: {
        "closed_on": today,
        "closing_decision": "县组字〔2026〕8号",
        "closing_assessment": "未完成的措施已转入常态化管理",
    },
}


def request_for(target, client, user, obj, root_client, tree):
    if target.kind == "site":
        return site_request(target, client, user, obj, tree)
    if obj is None and target.kind != "add":
        return None
    return object_url(target, obj), admin_payload(target, obj, root_client, tree)


# --- the walk ------------------------------------------------------------------------------------


def refused(response, target: Target) -> bool:
    """403; for the admin also its redirect to the login or back to the list, or the list again
    without the action; a past version is never written back (405)."""
    if target.kind == "version":
        return response.status_code in (403, 405)
    if response.status_code == 403:
        return True
    if target.kind == "site" or response.status_code not in (200, 302):
        return False
    if response.status_code == 302:
        return response["Location"].startswith(("/accounts/login/", reverse(target.url_name)))
    action_form = (response.context or {}).get("action_form")
    offered = {v for v, _label in action_form.fields["action"].choices} if action_form else set()
    return target.kind == "action" and target.action not in offered


def post(client, url, data):
    """POST inside a transaction that is rolled back: the next role finds the same rows.

    Returns the response and the rows written, by table (``Writes``).
    """
    writes = Writes()
    with transaction.atomic(), connection.execute_wrapper(writes):
        response = client.post(url, data)
        transaction.set_rollback(True)
    return response, dict(writes.rows)


def assert_declared(target: Target) -> bool:
    """A site view accepting POST declares what it needs; False when it is exempt."""
    exempt = declared(target.callback, "write_exempt")
    if exempt:
        assert len(exempt) > 5, "an exemption says why"
        return False
    assert declared(target.callback, "write_permission"), (
        f"{target.url_name} accepts POST but declares neither @write_permission nor @write_exempt"
    )
    return True


def assert_plausible(target: Target, superuser, candidates, tree, request) -> None:
    """The payload writes when a superuser sends it, or refusals below would prove nothing."""
    client = sign_in(Client(), superuser, request)
    model = target_model(target)
    obj = in_scope(target, model, superuser, candidates) if model else None
    sent = request_for(target, client, superuser, obj, client, tree)
    if sent is None or not holds(target, superuser, obj):
        return
    response, written = post(client, *sent)
    assert response.status_code < 500, (target.name, response.status_code)
    assert written, f"{target.name}: the payload writes nothing even for a superuser"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_it_lets_only_holders_of_the_permission_write(
    target, cast, candidates, superuser, tree, client, request
):
    if target.kind == "site" and not assert_declared(target):
        return
    assert_plausible(target, superuser, candidates, tree, request)
    # Logged in afresh: the superuser's post above may have changed what a session holds.
    root_client = Client()
    root_client.force_login(superuser)
    model = target_model(target)
    for name, user in cast.items():
        sign_in(client, user, request)
        obj = in_scope(target, model, user, candidates) if model else None
        sent = request_for(target, client, user, obj, root_client, tree)
        if sent is None:
            continue
        allowed = holds(target, user, obj)
        duties = OWN_DUTIES.get(role_of(user), set())
        own_duty = (
            target.kind == "site" and set(declared(target.callback, "write_permission")) <= duties
        )
        if role_of(user) in READ_ONLY_ROLES and not own_duty:
            assert not allowed, f"{name} (read only) holds what {target.name} needs"
        response, written = post(client, *sent)
        assert response.status_code < 500, (name, target.name, response.status_code)
        if not allowed:
            assert refused(response, target), (name, target.name, response.status_code)
            assert not written, (name, target.name, "wrote although refused", written)


# --- write buttons follow the permissions ------------------------------------------------------


def _pages(tree, activity) -> list[str]:
    return [
        f"{reverse('activities:worklist')}?org={tree.village_a.pk}",
        reverse("activities:activity_detail", args=[activity.pk]),
        reverse("reports:compliance", args=[tree.village_a.pk]),
    ]


WRITE_LINKS = ("/activities/log/", "/edit/", "登记</a>", "补登</a>", "修改</a>", "补登请到")


def test_it_shows_the_read_only_secretary_no_write_button(tree, world, secretary_a, client):
    client.force_login(secretary_a)
    activity = world.objects[Activity][0]

    for url in _pages(tree, activity):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not [link for link in WRITE_LINKS if link in body], url


def test_it_shows_the_buttons_once_the_county_grants_logging(tree, world, secretary_a, client):
    group = Group.objects.get(name=Role.SECRETARY.label)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="activities", codename__in=["add_activity", "change_activity"]
        )
    )
    client.force_login(secretary_a)
    activity = world.objects[Activity][0]

    worklist, detail, _report = (client.get(url).content.decode() for url in _pages(tree, activity))

    assert "/activities/log/" in worklist and "登记</a>" in worklist
    assert reverse("activities:activity_edit", args=[activity.pk]) in detail
