from rest_framework.permissions import BasePermission

from brygga.core.access import CHANGE, VIEW, resolver_for


class ResolverPermission(BasePermission):
    """Default deny: a signed-in user, and for objects the resolver's answer."""

    def has_permission(self, request, view):
        return resolver_for(request.user).is_authenticated

    def has_object_permission(self, request, view, obj):
        action = VIEW if request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        return resolver_for(request.user).can(action, obj)
