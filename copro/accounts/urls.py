from django.urls import path

from copro.accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/my-data.json", views.download_my_data, name="download_my_data"),
    path("profile/delete/", views.delete_account, name="delete_account"),
    path("two-factor-required/", views.two_factor_required, name="two_factor_required"),
]
