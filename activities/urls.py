from django.urls import path

from activities import views
from activities.assessment import views as assessment
from activities.ledgers.diary import views as diary
from activities.ledgers.duty import views as duty
from activities.ledgers.grouprep import views as grouprep
from activities.ledgers.pairs import views as pairs
from activities.ledgers.pledges import views as pledges
from activities.ledgers.stations import views as stations
from activities.ledgers.study import views as study
from activities.ledgers.talks import views as talks
from activities.rectification import views as rectification

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
    # 书记述职评议, 年度定级, 末位党小组长 (activities.assessment)
    path("assessment/reports/", assessment.report_meetings, name="report_meetings"),
    path("assessment/reports/add/", assessment.report_meeting_add, name="report_meeting_add"),
    path(
        "assessment/reports/<int:pk>/",
        assessment.report_meeting_detail,
        name="report_meeting_detail",
    ),
    path("assessment/grades/", assessment.grading_home, name="grading_home"),
    path("assessment/grades/<int:org_id>/", assessment.grading_view, name="grading"),
    path(
        "assessment/leaders/<int:org_id>/remove/",
        assessment.group_leader_remove,
        name="group_leader_remove",
    ),
    # 软弱涣散整顿 (activities.rectification)
    path("rectification/", rectification.rectification_list, name="rectification_list"),
    path("rectification/add/", rectification.rectification_add, name="rectification_add"),
    path(
        "rectification/<int:pk>/",
        rectification.rectification_detail,
        name="rectification_detail",
    ),
    path(
        "rectification/<int:pk>/progress/",
        rectification.rectification_progress,
        name="rectification_progress",
    ),
    path(
        "rectification/<int:pk>/measures/",
        rectification.rectification_measure_add,
        name="rectification_measure_add",
    ),
    path(
        "rectification/<int:pk>/close/",
        rectification.rectification_close,
        name="rectification_close",
    ),
    # The working ledgers (activities.ledgers): 公开承诺
    path("ledgers/pledges/", pledges.pledge_list, name="pledge_list"),
    path("ledgers/pledges/add/", pledges.pledge_add, name="pledge_add"),
    path("ledgers/pledges/<int:pk>/", pledges.pledge_detail, name="pledge_detail"),
    path("ledgers/pledges/summary/<int:org_id>/", pledges.pledge_summary, name="pledge_summary"),
    # 设岗定责
    path("ledgers/duty-posts/", duty.duty_list, name="duty_list"),
    path("ledgers/duty-posts/add/", duty.duty_post_add, name="duty_post_add"),
    path("ledgers/duty-posts/<int:pk>/", duty.duty_post_detail, name="duty_post_detail"),
    path("ledgers/duty-posts/summary/<int:org_id>/", duty.duty_summary, name="duty_summary"),
    # 结对帮扶
    path("ledgers/pairs/", pairs.pair_list, name="pair_list"),
    path("ledgers/pairs/add/", pairs.pair_add, name="pair_add"),
    path("ledgers/pairs/<int:pk>/", pairs.pair_detail, name="pair_detail"),
    path("ledgers/pairs/summary/<int:org_id>/", pairs.pair_summary, name="pair_summary"),
    # 民情日志 (activities.ledgers.diary)
    path("ledgers/diary/", diary.diary_list, name="diary_list"),
    path("ledgers/diary/add/", diary.diary_add, name="diary_add"),
    path("ledgers/diary/check/<int:org_id>/", diary.diary_check, name="diary_check"),
    path("ledgers/diary/summary/<int:org_id>/", diary.diary_summary, name="diary_summary"),
    # 谈心谈话 (activities.ledgers.talks)
    path("ledgers/talks/", talks.talk_list, name="talk_list"),
    path("ledgers/talks/add/", talks.talk_add, name="talk_add"),
    path("ledgers/talks/branch/<int:org_id>/", talks.talk_branch, name="talk_branch"),
    path("ledgers/talks/summary/<int:org_id>/", talks.talk_summary, name="talk_summary"),
    # 远程教育站点 (activities.ledgers.stations)
    path("ledgers/stations/", stations.station_list, name="station_list"),
    path("ledgers/stations/add/", stations.station_add, name="station_add"),
    path("ledgers/stations/<int:pk>/", stations.station_detail, name="station_detail"),
    path(
        "ledgers/stations/summary/<int:org_id>/",
        stations.station_summary,
        name="station_summary",
    ),
    # 小组月报: 党小组月度报告, 支部季度小结, 经验交流会 (activities.ledgers.grouprep)
    path("ledgers/group-reports/", grouprep.grouprep_list, name="grouprep_list"),
    path("ledgers/group-reports/month/<int:org_id>/", grouprep.group_month, name="group_month"),
    path(
        "ledgers/group-reports/quarter/<int:org_id>/",
        grouprep.branch_quarter,
        name="branch_quarter",
    ),
    path(
        "ledgers/group-reports/summary/<int:org_id>/",
        grouprep.grouprep_summary,
        name="grouprep_summary",
    ),
    path("ledgers/group-reports/exchange/add/", grouprep.exchange_add, name="exchange_add"),
    path(
        "ledgers/group-reports/exchange/<int:pk>/",
        grouprep.exchange_detail,
        name="exchange_detail",
    ),
    # 党员学习教育 (activities.ledgers.study)
    path("ledgers/study/", study.study_list, name="study_list"),
    path("ledgers/study/add/", study.study_add, name="study_add"),
    path("ledgers/study/<int:pk>/", study.study_detail, name="study_detail"),
    path("ledgers/study/<int:pk>/edit/", study.study_edit, name="study_edit"),
    path("ledgers/study/members/<int:org_id>/", study.study_members, name="study_members"),
    path("ledgers/study/summary/<int:org_id>/", study.study_summary, name="study_summary"),
]
