from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/", views.projects_behind, name="projects"),
    path("library/", views.library_structure, name="library"),
    path("projects/export.xlsx", views.projects_export, name="projects-export"),
    path("basis/", views.basis, name="basis"),
    path("evaluation/", views.evaluation_page, name="evaluation"),
    path("evaluation/export.xlsx", views.evaluation_export, name="evaluation-export"),
    path("groups/", views.groups, name="groups"),
    path("groups/<slug:code>/", views.group, name="group"),
]
