"""Routes for results, exports, assisted (staff) entry and imports. Included by copro/consultations/urls.py."""

from django.urls import path

from copro.consultations import staff_views

ONE = "p/<slug:slug>/consultations/<int:consultation_id>/"

urlpatterns: list = [
    path(ONE + "results/", staff_views.results_page, name="results"),
    path(ONE + "results/reach/", staff_views.reach_page, name="reach"),
    path(ONE + "results/text/<int:question_id>/", staff_views.text_answers, name="text_answers"),
    path(ONE + "export.<str:fmt>", staff_views.export, name="export"),
    path(ONE + "enter/", staff_views.enter, name="enter"),
    path(ONE + "import/", staff_views.import_page, name="import"),
    path(ONE + "import/<int:run_id>/", staff_views.import_run_page, name="import_run"),
    path(ONE + "import/template.csv", staff_views.import_template, name="import_template"),
    path(ONE + "responses/", staff_views.responses, name="responses"),
]
