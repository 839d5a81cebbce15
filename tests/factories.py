"""Factories for the tests. Organisations and members are built through the
services, so paths, depths and membership rows are exactly what the app makes."""

from __future__ import annotations

import datetime

import factory
from django.db.models import QuerySet

from branches.models import BranchCategory, Organization, OrgKind, User
from branches.services import org_create
from members.idcard import make_id_number, parse_id_number
from members.models import Member
from members.services import member_create

DEFAULT_STARTED_ON = datetime.date(2020, 1, 1)
ENTERED_AT = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrgKind.COUNTY
    name = factory.Sequence(lambda n: f"组织{n}")
    code = factory.Sequence(lambda n: f"ORG{n:06d}")
    parent = None
    category = ""
    # Entered long before the dates tests use, as the standard tree is: a node
    # without 成立日期 owes meetings from when it was entered (activities.cadence).
    created_at = ENTERED_AT

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        created_at = kwargs.pop("created_at")
        org = org_create(**kwargs)
        # org_create stamps the present; a plain queryset because the audited one
        # refuses update(), and 录入时间 is not part of the history.
        QuerySet(Organization).filter(pk=org.pk).update(created_at=created_at)
        org.created_at = created_at
        return org


class CountyFactory(OrganizationFactory):
    kind = OrgKind.COUNTY
    name = factory.Sequence(lambda n: f"第{n}县委")


class TownshipFactory(OrganizationFactory):
    kind = OrgKind.TOWNSHIP
    name = factory.Sequence(lambda n: f"第{n}镇党委")
    parent = factory.SubFactory(CountyFactory)


class WorkCommitteeFactory(OrganizationFactory):
    kind = OrgKind.WORK_COMMITTEE
    name = factory.Sequence(lambda n: f"第{n}工委")
    parent = factory.SubFactory(CountyFactory)


class PrimaryCommitteeFactory(OrganizationFactory):
    kind = OrgKind.PRIMARY_COMMITTEE
    name = factory.Sequence(lambda n: f"第{n}村党委")
    category = BranchCategory.VILLAGE
    parent = factory.SubFactory(TownshipFactory)


class GeneralBranchFactory(OrganizationFactory):
    kind = OrgKind.GENERAL_BRANCH
    name = factory.Sequence(lambda n: f"第{n}党总支")
    category = BranchCategory.VILLAGE
    parent = factory.SubFactory(TownshipFactory)


class BranchFactory(OrganizationFactory):
    kind = OrgKind.BRANCH
    name = factory.Sequence(lambda n: f"第{n}村党支部")
    category = BranchCategory.VILLAGE
    parent = factory.SubFactory(TownshipFactory)


class GroupFactory(OrganizationFactory):
    kind = OrgKind.GROUP
    name = factory.Sequence(lambda n: f"第{n}党小组")
    parent = factory.SubFactory(BranchFactory)


class MemberFactory(factory.django.DjangoModelFactory):
    """A member with a valid, unique ID number; sex and birth date agree with it.

    Pass ``group=`` alone and the branch follows from the group.
    """

    class Meta:
        model = Member

    name = factory.Faker("name", locale="zh_CN")
    group = None
    branch = factory.LazyAttribute(
        lambda o: o.group.parent if o.group is not None else BranchFactory()
    )
    id_number = factory.Sequence(
        lambda n: make_id_number(
            "110105", datetime.date(1960, 1, 1) + datetime.timedelta(days=n), n % 1000
        )
    )
    birth_date = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).birth_date)
    sex = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).sex)
    started_on = DEFAULT_STARTED_ON

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return member_create(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")
    is_staff = True
    org = None
