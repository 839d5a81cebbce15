from django.urls import path

from activities import views

app_name = "activities"

urlpatterns = [
    path("", views.worklist_view, name="worklist"),
    path("log/", views.activity_log, name="activity_log"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("ledger/<int:org_id>/", views.ledger_view, name="ledger"),
    path("members/<int:member_id>/", views.member_attendance_view, name="member_attendance"),
]
