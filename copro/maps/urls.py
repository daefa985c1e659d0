from django.urls import path

from copro.maps import views

app_name = "maps"

M = "p/<slug:slug>/maps/<int:map_id>/"
P = M + "pins/<int:pin_id>/"

urlpatterns = [
    path("p/<slug:slug>/maps/", views.map_list, name="list"),
    path("p/<slug:slug>/maps/new/", views.map_create, name="create"),
    path(M, views.map_detail, name="detail"),
    path(M + "edit/", views.map_edit, name="edit"),
    path(M + "manage/", views.map_manage, name="manage"),
    path(M + "categories/", views.category_add, name="category_add"),
    path(M + "places/", views.place_add, name="place_add"),
    path(M + "places/import/", views.places_import, name="places_import"),
    path(M + "open/", views.map_open, name="open"),
    path(M + "close/", views.map_close, name="close"),
    path(M + "data.geojson", views.map_data, name="data"),
    path(M + "pins/", views.map_pins, name="pins"),
    path(M + "pins/new/", views.pin_create, name="pin_create"),
    path(M + "pins/enter/", views.pin_enter, name="enter"),
    path(P, views.pin_detail, name="pin"),
    path(P + "agree/", views.pin_agree, name="agree"),
    path(P + "comments/", views.comment_add, name="comment"),
    path(P + "photo/", views.pin_photo, name="photo"),
]
