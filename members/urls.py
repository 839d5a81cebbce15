from django.urls import path

from members import views

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
]
