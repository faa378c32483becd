"""Organisation pages: /kommuner/<code>/organisationer/…"""

from __future__ import annotations

from brygga.core import selectors, services
from brygga.core.forms import OrganisationForm
from brygga.core.models import Organisation

from .generic import (
    PAGE_SIZE,
    ObjectCreateView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    ReadsOnAnyMethod,
    Service,
)

SERVICE = Service(
    create=services.organisation_save,
    update=services.organisation_save,
    delete=services.organisation_delete,
)


class OrganisationList(ReadsOnAnyMethod, ObjectListView):
    model = Organisation
    selector = staticmethod(selectors.organisations_for)
    template_name = "core/organisation_list.html"
    paginate_by = PAGE_SIZE
    filter_field = "kind"


class OrganisationDetail(ReadsOnAnyMethod, ObjectDetailView):
    model = Organisation
    selector = staticmethod(selectors.organisations_for)
    template_name = "core/organisation_detail.html"

    def get_context_data(self, **context):
        user, org = self.request.user, self.object
        return super().get_context_data(
            **context,
            children=org.children.visible_to(user),
            forums=selectors.forums_for(user, self.municipality).filter(organisations=org),
            members=selectors.memberships_for(user, self.municipality).filter(organisation=org),
        )


class _OrganisationForm:
    model = Organisation
    form_class = OrganisationForm
    service = SERVICE
    template_name = "core/organisation_form.html"
    success_url = "core:organisation_detail"


class OrganisationCreate(_OrganisationForm, ObjectCreateView):
    pass


class OrganisationEdit(_OrganisationForm, ObjectUpdateView):
    pass


class OrganisationDelete(ObjectDeleteView):
    model = Organisation
    service = SERVICE
    success_url = "core:organisation_list"
    back_url = "core:organisation_detail"


organisation_list = OrganisationList.as_view()
organisation_detail = OrganisationDetail.as_view()
organisation_create = OrganisationCreate.as_view()
organisation_edit = OrganisationEdit.as_view()
organisation_delete = OrganisationDelete.as_view()
