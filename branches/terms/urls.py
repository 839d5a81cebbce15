from django.urls import path

from branches.terms import views

app_name = "terms"

urlpatterns = [
    path("orgs/<int:org_id>/", views.term_org, name="term_org"),
    path("orgs/<int:org_id>/election/", views.election_record, name="election_record"),
    path("orgs/<int:org_id>/postpone/", views.term_postpone, name="term_postpone"),
    path("elections/<int:pk>/", views.election_detail, name="election_detail"),
    path("posts/<int:pk>/filing/", views.post_filing, name="post_filing"),
]
