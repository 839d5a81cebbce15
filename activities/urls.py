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
    path("points/members/<int:member_id>/", views.points_statement_view, name="points_statement"),
    path("ratings/", views.ratings_home, name="ratings_home"),
    path("ratings/<int:org_id>/", views.rating_draft_view, name="rating_draft"),
    path("ratings/<int:org_id>/compute/", views.rating_compute, name="rating_compute"),
    path("ratings/<int:org_id>/ranking/", views.group_ranking_view, name="group_ranking"),
    path("ratings/<int:org_id>/published/", views.rating_published_view, name="rating_published"),
    path("ratings/<int:org_id>/publish/", views.rating_publish, name="rating_publish"),
    path("ratings/<int:org_id>/withdraw/", views.rating_withdraw, name="rating_withdraw"),
    path("ratings/<int:org_id>/ties/", views.rating_ties, name="rating_ties"),
    path("ratings/<int:org_id>/ties/decide/", views.rating_tie_decide, name="rating_tie_decide"),
]
