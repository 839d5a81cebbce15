from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import include, path, reverse

from activities.rectification.selectors import org_marks
from branches import views as branch_views
from branches.writes import write_exempt
from config.health import health

admin.site.site_header = "党建台账"
admin.site.site_title = "党建台账"
admin.site.index_title = "后台管理"
# The list pages are wide; the laptop screens of township offices need the room.
admin.site.enable_nav_sidebar = False


def admin_login(request, extra_context=None):
    """The front-door login page serves the admin too: one page, one lock-out."""
    target = request.GET.get("next", reverse("admin:index"))
    return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': target})}")


admin.site.login = admin_login

urlpatterns = [
    # The tree home's marks come from activities, which branches may not import.
    path("", branch_views.home, {"marks_of": org_marks}, name="home"),
    path(
        "accounts/login/",
        write_exempt("登录只写本人的会话和登录失败记录")(
            auth_views.LoginView.as_view(redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path(
        "accounts/logout/",
        write_exempt("退出只结束本人的会话")(auth_views.LogoutView.as_view()),
        name="logout",
    ),
    path(
        "accounts/password/",
        write_exempt("每个账号都可以修改自己的密码")(auth_views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("tree/export/", branch_views.tree_export, name="tree_export"),
    path("tree/import/", branch_views.tree_import, name="tree_import"),
    path("activities/", include("activities.urls")),
    path("members/", include("members.urls")),
    path("reports/", include("reports.urls")),
    path("terms/", include("branches.terms.urls")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
]
