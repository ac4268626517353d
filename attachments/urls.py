from django.urls import path

from . import views

app_name = "attachments"
urlpatterns = [
    path("<int:pk>/download/", views.attachment_download, name="download"),
    path("<int:pk>/remove/", views.attachment_remove, name="remove"),
    path("<slug:parent_type>/<int:object_id>/", views.attachment_list, name="list"),
    path("<slug:parent_type>/<int:object_id>/upload/", views.attachment_upload, name="upload"),
]
