from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("", views.file_list, name="list"),
    path("files/<str:month>/", views.file_download, name="file"),
    path("projects/<int:project_pk>/", views.publication_edit, name="publication"),
]
