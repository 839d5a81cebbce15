from django.urls import path

from members import views
from members.development import import_views as development_import
from members.development import views as development
from members.dues import import_views as dues_import
from members.dues import views as dues

app_name = "members"

urlpatterns = [
    path("import/", views.import_upload, name="import_upload"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/missing/", views.import_missing, name="import_missing"),
    path("import/<int:pk>/missing.xlsx", views.import_missing_list, name="import_missing_list"),
    path("import/<int:pk>/rejected/", views.import_rejected, name="import_rejected"),
    path("import/<int:pk>/retry/", views.import_retry, name="import_retry"),
    path("export/", views.roster_export, name="roster_export"),
    path("standing/", views.standing_register, name="standing_register"),
    path("standing/inflow/", views.inflow_add, name="inflow_add"),
    path("standing/inflow/<int:pk>/leave/", views.inflow_leave, name="inflow_leave"),
    path("<int:member_id>/standing/", views.member_standing, name="member_standing"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/arrive/", views.transfer_arrive, name="transfer_arrive"),
    path("<int:member_id>/transfer/", views.transfer_issue, name="transfer_issue"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/receive/", views.transfer_receive, name="transfer_receive"),
    path("transfers/<int:pk>/close/", views.transfer_close, name="transfer_close"),
    path("transfers/<int:pk>/letter/", views.transfer_letter, name="transfer_letter"),
    # 发展党员
    path("development/", development.recruit_list, name="recruit_list"),
    path("development/add/", development.recruit_add, name="recruit_add"),
    path("development/<int:pk>/", development.recruit_detail, name="recruit_detail"),
    path("development/<int:pk>/waive/", development.recruit_waive, name="recruit_waive"),
    path("development/<int:pk>/sheet/", development.recruit_sheet, name="recruit_sheet"),
    path("development/plan/", development.development_plan, name="development_plan"),
    path("development/plan/edit/", development.development_plan_edit, name="development_plan_edit"),
    # 发展党员导入
    path("development/import/", development_import.recruit_import, name="recruit_import"),
    # 党费
    path("dues/", dues.dues_ledger, name="dues_ledger"),
    path("dues/review/", dues.dues_review, name="dues_review"),
    path("dues/remit/", dues.dues_remit, name="dues_remit"),
    path("dues/members/<int:member_id>/", dues.dues_member, name="dues_member"),
    path("dues/entries/<int:pk>/correct/", dues.dues_correct, name="dues_correct"),
    path("dues/receipts/<int:pk>/", dues.dues_receipt, name="dues_receipt"),
    path("dues/import/", dues_import.dues_import, name="dues_import"),
]
