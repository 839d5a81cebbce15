from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult
from simple_history.admin import SimpleHistoryAdmin

from branches import services
from branches.models import (
    CATEGORISED_KINDS,
    Candidate,
    Election,
    Organization,
    OrgKind,
    Post,
    TermLength,
    TermPostponement,
    User,
)
from branches.scoped_admin import (
    AuditedAdmin,
    HistoryValuesMixin,
    ReadOnlyHistoryMixin,
    ReadOnlyMixin,
    ScopedAdmin,
    ScopedTabularInline,
)
from branches.selectors import member_counts_of


class LiveFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("1", "未撤销"), ("0", "已撤销")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(dissolved_on__isnull=True)
        if self.value() == "0":
            return queryset.filter(dissolved_on__isnull=False)
        return queryset


class PostInline(ScopedTabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["member"]
    fields = [
        "title",
        "member",
        "started_on",
        "ended_on",
        "end_reason",
        "end_note",
        "filed_on",
        "filed_document",
        "chairs_village_committee",
    ]
    # Filed and flagged on the 换届 page's filing form (branches.terms), which checks that
    # the post is a village secretary's; shown here so the tree's editors see it.
    readonly_fields = ["filed_on", "filed_document", "chairs_village_committee"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["indented_name", "kind", "category", "code", "member_total", "status"]
    list_filter = ["kind", "category", LiveFilter, "founded_on"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth", "created_at"]
    list_per_page = 100
    # A filtered page would count the whole tree a second time for "共 N 个".
    show_full_result_count = False
    inlines = [PostInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "kind",
                    "name",
                    "short_name",
                    "code",
                    "category",
                    "units_covered",
                    "parent",
                ]
            },
        ),
        ("日期", {"fields": ["founded_on", "dissolved_on", "created_at", "term_started_on"]}),
        ("联系方式", {"fields": ["phone", "address", "sort_order"]}),
        ("树结构", {"fields": ["path", "depth"], "classes": ["collapse"]}),
    ]

    def action_checkbox(self, obj):
        # Django renders this box through the form templates, once per row: a fifth
        # of the tree list's time at a hundred rows. The same markup, formatted.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    @admin.display(description="组织名称", ordering="path")
    def indented_name(self, obj):
        return format_html(
            '<span style="padding-left:{}em">{}</span>', 1.5 * (obj.depth - 1), obj.name
        )

    @admin.display(description="党员数")
    def member_total(self, obj):
        return getattr(obj, "member_total", "")

    @admin.display(description="状态")
    def status(self, obj):
        return "未撤销" if obj.is_live else f"{obj.dissolved_on:%Y-%m-%d} 撤销"

    def get_changelist_instance(self, request):
        cl = super().get_changelist_instance(request)
        # The page's rows counted together (two queries, not one per row, and not
        # the whole tree's counts). The page's queryset caches its rows, so the
        # attributes set here are the objects the template renders.
        counts = member_counts_of(list(cl.result_list))
        for org in cl.result_list:
            org.member_total = counts.get(org.pk, 0)
        return cl

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Autocomplete for a member's branch or group offers only that kind.
        field = request.GET.get("field_name")
        if request.GET.get("model_name") == "member" and field in ("branch", "group"):
            kind = OrgKind.BRANCH if field == "branch" else OrgKind.GROUP
            queryset = queryset.filter(kind=kind, dissolved_on__isnull=True)
        elif request.GET.get("model_name") == "organization" and field == "parent":
            queryset = queryset.exclude(kind=OrgKind.GROUP).filter(dissolved_on__isnull=True)
        return queryset, may_have_duplicates

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

    def save_model(self, request, obj, form, change):
        # The tree's paths are written by the services only.
        if not change:
            created = services.org_create(
                kind=obj.kind,
                name=obj.name,
                code=obj.code,
                parent=obj.parent,
                category=obj.category if obj.kind in CATEGORISED_KINDS else "",
                short_name=obj.short_name,
                founded_on=obj.founded_on,
                phone=obj.phone,
                address=obj.address,
                sort_order=obj.sort_order,
                units_covered=obj.units_covered,
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            return
        if "parent" in form.changed_data:
            new_parent = obj.parent
            current = Organization.objects.get(pk=obj.pk)
            obj.parent = current.parent
            moved = services.org_move(org=current, new_parent=new_parent)
            obj.parent, obj.path, obj.depth = moved.parent, moved.path, moved.depth
        if "dissolved_on" in form.changed_data and obj.dissolved_on:
            # Dissolving a node dissolves everything under it.
            on, obj.dissolved_on = obj.dissolved_on, None
            obj.save()
            services.org_dissolve(org=obj, on=on)
            obj.refresh_from_db()
            return
        obj.save()

    def get_readonly_fields(self, request, obj=None):
        # Its kind decides what may hang under a node; it is fixed once created.
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TermLength)
class TermLengthAdmin(HistoryValuesMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """How long each kind of committee's term runs: the county's setting (branches.terms)."""

    scope_exempt = "任期年限全县统一，不属于组织树"
    list_display = ["kind", "category", "years"]
    list_filter = ["kind"]


class CandidateInline(ScopedTabularInline):
    model = Candidate
    extra = 0
    fields = ["member", "title", "votes", "elected", "post"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Election)
class ElectionAdmin(ReadOnlyMixin, AuditedAdmin):
    # Recorded on the 换届 pages (branches.terms), where the 条例's rules are checked.
    list_display = ["org", "held_on", "by_election", "method", "electors", "present"]
    list_select_related = ["org"]
    list_filter = ["by_election", "method", "held_on"]
    search_fields = ["org__name", "approval_document"]
    inlines = [CandidateInline]

    def view_on_site(self, obj):
        return reverse("terms:election_detail", args=[obj.pk])


@admin.register(TermPostponement)
class TermPostponementAdmin(ReadOnlyMixin, AuditedAdmin):
    # Approved on the 换届 pages (branches.terms.views.term_postpone).
    list_display = ["org", "term_started_on", "until", "approved_on", "document"]
    list_select_related = ["org"]
    search_fields = ["org__name", "document"]


# Rights over accounts and roles, and the sight of whole personal data: nobody
# hands out one they do not hold. A role's everyday verbs (keeping members,
# logging meetings) are not among them, or the county could not appoint a
# township's clerk nor edit a clerk's account.
GUARDED_MODELS = {("branches", "user"), ("members", "piiaccess")}
GUARDED_APPS = {"auth", "axes"}
GUARDED_PERMS = {"members.view_pii"}


def is_guarded(perm: Permission) -> bool:
    app, model = perm.content_type.app_label, perm.content_type.model
    return (
        app in GUARDED_APPS
        or (app, model) in GUARDED_MODELS
        or f"{app}.{perm.codename}" in GUARDED_PERMS
    )


def grantable_groups(user):
    """Roles *user* may hand out: those whose every guarded permission *user* holds."""
    groups = Group.objects.order_by("name")
    if user.is_superuser:
        return groups
    held = {
        f"{app}.{code}"
        for app, code in Permission.objects.filter(group__user=user).values_list(
            "content_type__app_label", "codename"
        )
    }
    held |= {
        f"{app}.{code}"
        for app, code in Permission.objects.filter(user=user).values_list(
            "content_type__app_label", "codename"
        )
    }
    allowed = [
        group.pk
        for group in groups.prefetch_related("permissions__content_type")
        if {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.all()
            if is_guarded(p)
        }
        <= held
    ]
    return groups.filter(pk__in=allowed)


PERMISSION_VERBS = {"add": "添加", "change": "修改", "delete": "删除", "view": "查看"}


def permission_label(perm: Permission) -> str:
    """A permission as the role and account pages list it: "党员管理 | 党员 | 修改党员".

    migrate writes the default permissions' names once, in English ("Can add
    党员"), and no catalogue reaches them; the verb and the model's name are
    put together here instead. Custom permissions keep the name they declare.
    """
    model = perm.content_type.model_class()
    action, _, model_name = perm.codename.partition("_")
    if model is not None and action in PERMISSION_VERBS and model_name == model._meta.model_name:
        name = f"{PERMISSION_VERBS[action]}{model._meta.verbose_name}"
    else:
        name = perm.name
    return f"{perm.content_type} | {name}"


class PermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class PermissionLabelsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Permission:
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class GroupAdmin(PermissionLabelsMixin, DjangoGroupAdmin):
    pass


admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)


class PasswordChangeForm(AdminPasswordChangeForm):
    # Django writes the warning under "usable password" in English, outside any catalogue.
    usable_password_help_text = format_lazy(
        "{}{}",
        SetUnusablePasswordMixin.usable_password_help_text,
        '<ul id="id_unusable_warning" class="messagelist"><li class="warning">'
        "如果禁用，该用户当前的密码将失效。</li></ul>",
    )


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, ScopedAdmin, DjangoUserAdmin):
    """Accounts under the user's node; nobody grants more than their own node or rights."""

    list_display = ["username", "first_name", "org", "roles", "is_active", "last_login"]
    list_select_related = ["org"]
    list_filter = ["is_active", "groups"]
    autocomplete_fields = ["org"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["first_name", "last_name", "email"]}),
        ("所属组织与角色", {"fields": ["org", "groups", "is_active", "is_staff"]}),
        ("超级用户", {"fields": ["is_superuser", "user_permissions"]}),
        ("重要日期", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "usable_password", "password1", "password2"]}),
        ("所属组织与角色", {"fields": ["first_name", "org", "groups"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
    change_password_form = PasswordChangeForm

    @admin.display(description="角色")
    def roles(self, obj):
        return "、".join(g.name for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [fs for fs in fieldsets if fs[0] != "超级用户"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Accounts made here work in the back office.
        obj.is_staff = True
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        # Django checks the permission before existence; out of scope first.
        if self.out_of_scope(request, unquote(id)):
            return self.not_found(request, id)
        return super().user_change_password(request, id, form_url)


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    @admin.action(description="清理已过期的登录失败记录")
    def cleanup_expired_attempts(self, request, queryset):
        # django-axes 8.3.1 reads request.axes_attempt_time, which only its
        # login handling sets: from the admin the action was a server error.
        # None means "now", which is what the clean-up wants.
        request.axes_attempt_time = None
        return super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)


# Admin pages of models outside the tree (roles are global, lock-out records
# belong to addresses and usernames), declared so on the admin itself for
# the resolver-walking access test. Only the admin role may open them.
for _model, _reason in [
    (Group, "角色是全局的，不属于组织树"),
    *[
        (m, "登录失败记录按用户名和地址保存，不属于组织树")
        for m in (AccessAttempt, AccessLog, AccessFailureLog)
    ],
    (DBTaskResult, "后台任务队列只含导入记录的编号，不属于组织树"),
]:
    if admin.site.is_registered(_model):
        admin.site.get_model_admin(_model).scope_exempt = _reason
