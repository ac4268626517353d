"""Permissions shared by the API's resources."""

from rest_framework import permissions


class CanEditLibrary(permissions.BasePermission):
    """Reading follows scope; writing needs an editor role (office staff, API client)."""

    message = "您没有修改项目库的权限。"

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.can_edit_library
