from django.urls import path

from . import views

app_name = "schedule"
urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template-create"),
    path("templates/<int:template_pk>/", views.template_detail, name="template"),
    path("templates/<int:template_pk>/edit/", views.template_edit, name="template-edit"),
    path("projects/<int:pk>/milestones/new/", views.milestone_create, name="milestone-create"),
    path(
        "projects/<int:pk>/milestones/<int:milestone_pk>/edit/",
        views.milestone_edit,
        name="milestone-edit",
    ),
    path(
        "projects/<int:pk>/milestones/<int:milestone_pk>/delete/",
        views.milestone_delete,
        name="milestone-delete",
    ),
    path("projects/<int:pk>/apply-template/", views.apply_template, name="apply-template"),
    path("projects/<int:pk>/what-if/save/", views.what_if_save, name="what-if-save"),
]
