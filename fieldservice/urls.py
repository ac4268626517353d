from django.urls import path

from . import views

app_name = "fieldservice"
urlpatterns = [
    path("", views.visit_list, name="list"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("projects/<int:project_pk>/new/", views.visit_create, name="create"),
    path("projects/<int:project_pk>/specialist/", views.assignment_edit, name="assignment"),
]
