from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "党建台账"
admin.site.site_title = "党建台账"
admin.site.index_title = "后台管理"
# The list pages are wide; the laptop screens of township offices need the room.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
