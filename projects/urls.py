from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, name="export"),
    path("new/", views.project_create, name="create"),
    path("rollover/", views.library_rollover, name="rollover"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/transition/", views.project_transition, name="transition"),
    path("<int:pk>/prereviews/", views.prereview_open, name="prereview-open"),
    path(
        "<int:pk>/prereviews/<int:review_pk>/opinions/",
        views.prereview_opinion,
        name="prereview-opinion",
    ),
    path(
        "<int:pk>/prereviews/<int:review_pk>/conclude/",
        views.prereview_conclude,
        name="prereview-conclude",
    ),
]
