from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from copro.api import views
from copro.consultations import api as consultations_api
from copro.decisions import api as decisions_api
from copro.maps import api as maps_api
from copro.moderation import api as moderation_api

app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("me/", views.Me.as_view(), name="me"),
    path("projects/", views.ProjectList.as_view(), name="projects"),
    path("projects/<slug:slug>/", views.ProjectDetail.as_view(), name="project"),
    path("projects/<slug:slug>/scope-changes/", views.ScopeChanges.as_view(), name="scope_changes"),
    path("projects/<slug:slug>/activity/", views.ProjectActivity.as_view(), name="activity"),
    path("projects/<slug:slug>/dashboard/", views.ProjectDashboard.as_view(), name="dashboard"),
    path("projects/<slug:slug>/updates/", views.ProjectUpdates.as_view(), name="updates"),
    path("projects/<slug:slug>/subscriptions/", views.ProjectSubscribe.as_view(), name="subscribe"),
    path("projects/<slug:slug>/decisions/", decisions_api.DecisionList.as_view(), name="decisions"),
    path("projects/<slug:slug>/decisions/<int:decision_id>/", decisions_api.DecisionDetail.as_view(), name="decision"),
    path(
        "projects/<slug:slug>/decisions/<int:decision_id>/ballots/",
        decisions_api.DecisionBallots.as_view(),
        name="decision_ballots",
    ),
    path(
        "projects/<slug:slug>/decisions/<int:decision_id>/responses/",
        decisions_api.DecisionResponses.as_view(),
        name="decision_responses",
    ),
    path(
        "projects/<slug:slug>/decisions/<int:decision_id>/paper-ballots/",
        decisions_api.DecisionPaperBallots.as_view(),
        name="decision_paper_ballots",
    ),
    path("projects/<slug:slug>/consultations/", consultations_api.ConsultationList.as_view(), name="consultations"),
    path(
        "projects/<slug:slug>/consultations/<int:consultation_id>/",
        consultations_api.ConsultationDetail.as_view(),
        name="consultation",
    ),
    path(
        "projects/<slug:slug>/consultations/<int:consultation_id>/responses/",
        consultations_api.ConsultationResponses.as_view(),
        name="consultation_responses",
    ),
    path(
        "projects/<slug:slug>/consultations/<int:consultation_id>/offline-responses/",
        consultations_api.ConsultationOfflineResponses.as_view(),
        name="consultation_offline_responses",
    ),
    path("projects/<slug:slug>/reports/", moderation_api.ProjectReports.as_view(), name="reports"),
    path("projects/<slug:slug>/maps/", maps_api.MapList.as_view(), name="maps"),
    path("projects/<slug:slug>/maps/<int:map_id>/pins/", maps_api.MapPins.as_view(), name="map_pins"),
    path(
        "projects/<slug:slug>/maps/<int:map_id>/pins/<int:pin_id>/agree/",
        maps_api.PinAgree.as_view(),
        name="map_pin_agree",
    ),
    path(
        "projects/<slug:slug>/maps/<int:map_id>/pins/<int:pin_id>/comments/",
        maps_api.PinComments.as_view(),
        name="map_pin_comments",
    ),
    # The co-design and follow-through apps keep their routes beside their views (each module's
    # urlpatterns, named in this "api" namespace).
    path("", include("copro.ideas.api")),
    path("", include("copro.meetings.api")),
    path("", include("copro.unconference.api")),
    path("", include("copro.live.api")),
    path("", include("copro.followthrough.api")),
    path("", include("copro.followthrough.report_api")),
]
