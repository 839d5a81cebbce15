"""The roles an account can hold, as Django groups.

Verbs come from the group's permissions, rows from the account's node
(``branches.scoping``). The groups are created by a data migration with the
default grants below; the admin may edit the grants afterwards.
"""

from django.db import models

READ = [
    "branches.view_organization",
    "branches.view_post",
    "members.view_member",
    "members.view_membership",
    "members.view_transfer",
]
EDIT_TREE = [
    "branches.add_organization",
    "branches.change_organization",
    "branches.add_post",
    "branches.change_post",
    "branches.delete_post",
]
EDIT_MEMBERS = ["members.add_member", "members.change_member"]
IMPORT_MEMBERS = ["members.import_member"]
# Issuing and receiving 组织关系介绍信 (members.Transfer): the clerks' daily work.
TRANSFER_MEMBERS = ["members.add_transfer", "members.change_transfer"]
# 发展党员: the clerks keep the records, the county sets plans and calendar and
# records exceptions to the time limits (members.development).
RECRUITS = ["members.view_recruit", "members.add_recruit", "members.change_recruit"]
DEVELOPMENT_COUNTY = [
    "members.view_recruit",
    "members.waive_rule",
    "members.view_developmentplan",
    "members.add_developmentplan",
    "members.change_developmentplan",
    "members.view_calendarday",
    "members.add_calendarday",
    "members.change_calendarday",
    "members.delete_calendarday",
    "members.view_developmentsettings",
    "members.add_developmentsettings",
    "members.change_developmentsettings",
]
# 党费: the clerks keep the ledger and record 上缴; the county sets the standard
# and the share each level keeps (members.dues).
DUES_READ = [
    "members.view_duesline",
    "members.view_duesentry",
    "members.view_duesbase",
    "members.view_duesreceipt",
    "members.view_duesremittance",
]
DUES_RECORD = [
    "members.add_duesentry",
    "members.add_duesbase",
    "members.change_duesbase",
    "members.add_duesremittance",
]
DUES_STANDARD = [
    "members.view_duesrule",
    "members.add_duesrule",
    "members.change_duesrule",
    "members.view_duesretention",
    "members.add_duesretention",
    "members.change_duesretention",
]
# 换届: everyone reads terms and elections; the township clerks and the county record
# elections, the county approves postponements, files village secretaries (a post
# change) and sets the term lengths (branches.terms).
TERMS_READ = [
    "branches.view_election",
    "branches.view_termpostponement",
    "branches.view_termlength",
]
TERMS_RECORD = ["branches.add_election"]
TERMS_COUNTY = [
    "branches.add_election",
    "branches.add_termpostponement",
    "branches.add_termlength",
    "branches.change_termlength",
]
VIEW_PII = ["members.view_pii"]
MANAGE_ACCOUNTS = [
    "branches.view_user",
    "branches.add_user",
    "branches.change_user",
    "members.view_piiaccess",
]


class Role(models.TextChoices):
    COUNTY = "county", "县委组织部"
    CLERK = "clerk", "乡镇专干"
    SECRETARY = "secretary", "支部书记"
    ADMIN = "admin", "系统管理员"


DEFAULT_GRANTS: dict[str, list[str]] = {
    Role.COUNTY: READ
    + EDIT_TREE
    + VIEW_PII
    + MANAGE_ACCOUNTS
    + DEVELOPMENT_COUNTY
    + DUES_READ
    + DUES_STANDARD
    + ["members.add_duesremittance"]
    + TERMS_READ
    + TERMS_COUNTY,
    Role.CLERK: READ
    + EDIT_MEMBERS
    + TRANSFER_MEMBERS
    + IMPORT_MEMBERS
    + VIEW_PII
    + RECRUITS
    + ["members.view_developmentplan"]
    + DUES_READ
    + DUES_RECORD
    + TERMS_READ
    + TERMS_RECORD,
    Role.SECRETARY: READ
    + ["members.view_recruit"]
    + ["members.view_duesline", "members.view_duesentry", "members.view_duesreceipt"]
    + TERMS_READ,
    Role.ADMIN: READ
    + EDIT_TREE
    + EDIT_MEMBERS
    + TRANSFER_MEMBERS
    + IMPORT_MEMBERS
    + VIEW_PII
    + MANAGE_ACCOUNTS
    + RECRUITS
    + DEVELOPMENT_COUNTY
    + DUES_READ
    + DUES_RECORD
    + DUES_STANDARD
    + TERMS_READ
    + TERMS_COUNTY
    + ["auth.view_group"],
}


def role_of(user) -> Role | None:
    """The role of *user*: the first of their groups named after a role."""
    labels = {role.label: role for role in Role}
    for name in user.groups.values_list("name", flat=True):
        if name in labels:
            return labels[name]
    return None
