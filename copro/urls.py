from django.contrib import admin
from django.urls import include, path

from copro.accounts.views import set_language
from copro.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("language/", set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("copro.accounts.urls")),
    path("api/", include("copro.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("copro.projects.urls")),
    path("", include("copro.moderation.urls")),
    path("", include("copro.maps.urls")),
    path("", include("copro.consultations.urls")),
    path("", include("copro.updates.urls")),
    path("", include("copro.decisions.urls")),
    path("", include("copro.ideas.urls")),
    path("", include("copro.meetings.urls")),
    path("", include("copro.unconference.urls")),
    path("", include("copro.live.urls")),
    path("", include("copro.followthrough.urls")),
    path("", include("copro.followthrough.report_urls")),
]

handler400 = core_views.error_400
handler403 = core_views.error_403
handler404 = core_views.error_404
handler500 = core_views.error_500
