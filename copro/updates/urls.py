from django.urls import path

from copro.updates import views

app_name = "updates"

urlpatterns = [
    path("p/<slug:slug>/updates/", views.update_list, name="list"),
    path("p/<slug:slug>/updates/<int:update_id>/", views.update_detail, name="detail"),
    path("p/<slug:slug>/updates/subscribe/", views.subscribe, name="subscribe"),
    path("updates/confirm/<slug:token>/", views.confirm, name="confirm"),
    path("updates/unsubscribe/<slug:token>/", views.unsubscribe, name="unsubscribe"),
    path("updates/manage/<slug:token>/", views.manage, name="manage"),
]
