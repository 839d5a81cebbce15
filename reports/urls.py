from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.reports_home, name="home"),
    path("<int:org_id>/overview/", views.overview_view, name="overview"),
    path("<int:org_id>/compliance/", views.compliance_view, name="compliance"),
    path("<int:org_id>/stars/", views.stars_view, name="stars"),
    path("<int:org_id>/summary/", views.summary_view, name="summary"),
    path("<int:org_id>/changes/", views.changes_view, name="changes"),
    path("<int:org_id>/dues/", views.dues_view, name="dues"),
    path("<int:org_id>/terms/", views.terms_view, name="terms"),
]
