from django.urls import path

from copro.followthrough import report_views as views

app_name = "reports"

P = "p/<slug:slug>/"

urlpatterns = [
    path(P + "report/", views.report, name="report"),
    path(P + "report/pdf/", views.report_pdf, name="report_pdf"),
    path(P + "report/targets/", views.targets, name="targets"),
    path(P + "report/share/", views.share, name="share"),
    path(P + "health/", views.health, name="health"),
    path(P + "open-data/", views.opendata_index, name="opendata"),
    path(P + "open-data/feed.json", views.feed, name="feed"),
    path(P + "open-data/<str:dataset>.<str:fmt>", views.opendata_export, name="opendata_export"),
    path("reports/shared/<str:token>/", views.shared_report, name="shared"),
    path("reports/shared/<str:token>/pdf/", views.shared_report_pdf, name="shared_pdf"),
]
