"""Forum pages: /kommuner/<code>/forum/…"""

from __future__ import annotations

from brygga.core import selectors, services
from brygga.core.forms import ForumForm
from brygga.core.hooks import page_panels
from brygga.core.models import Forum

from .generic import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    ReadsOnAnyMethod,
    Service,
)
from .maps import map_data

SERVICE = Service(
    create=services.forum_save, update=services.forum_save, delete=services.forum_delete
)


class ForumList(ReadsOnAnyMethod, ObjectListView):
    model = Forum
    selector = staticmethod(selectors.forums_for)
    template_name = "core/forum_list.html"
    context_object_name = "forums"
    filter_field = "kind"


class ForumDetail(ReadsOnAnyMethod, ObjectDetailView):
    model = Forum
    selector = staticmethod(selectors.forums_for)
    template_name = "core/forum_detail.html"

    def get_context_data(self, **context):
        user, forum = self.request.user, self.object
        areas = list(forum.areas.visible_to(user))
        return super().get_context_data(
            **context,
            organisations=forum.organisations.visible_to(user),
            areas=areas,
            map_data=map_data(self.municipality, areas),
            panels=page_panels("forum_panels", self.request, self.municipality, forum),
        )


class _ForumForm:
    model = Forum
    form_class = ForumForm
    service = SERVICE
    template_name = "core/forum_form.html"
    success_url = "core:forum_detail"

    def get_service_kwargs(self, form):
        kwargs = super().get_service_kwargs(form)
        return {
            **kwargs,
            "organisations": list(kwargs["organisations"]),
            "areas": list(kwargs["areas"]),
        }


class ForumCreate(_ForumForm, ObjectCreateView):
    pass


class ForumEdit(_ForumForm, ObjectUpdateView):
    pass


class ForumDelete(ObjectDeleteView):
    model = Forum
    service = SERVICE
    success_url = "core:forum_list"
    back_url = "core:forum_detail"


forum_list = ForumList.as_view()
forum_detail = ForumDetail.as_view()
forum_create = ForumCreate.as_view()
forum_edit = ForumEdit.as_view()
forum_delete = ForumDelete.as_view()
