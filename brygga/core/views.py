"""Pages of the core domain. Thin: every read goes through selectors (restricted to the user),
every write through services; the municipality in the URL is resolved through the resolver, so
another municipality's code answers 404."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors, services
from .access import CHANGE, VIEW, resolver_for
from .forms import (
    AreaForm,
    ForumForm,
    MemberCreateForm,
    MembershipAddForm,
    OrganisationForm,
    SecurityPolicyForm,
)
from .models import Area, Forum, Membership, Municipality, Organisation, Role

User = get_user_model()
PAGE_SIZE = 50


# --- helpers --------------------------------------------------------------------------------
def municipality_view(ability: str = "view"):
    """Resolve ``code`` to a municipality the user may see (else 404) and require ``ability``
    there (else 403). Sets ``request.municipality``."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, code: str, *args, **kwargs):
            municipality = get_object_or_404(selectors.municipalities_for(request.user), code=code)
            request.municipality = municipality
            if ability != "view" and not resolver_for(request.user).has_ability(
                ability, municipality
            ):
                raise PermissionDenied
            return view(request, municipality, *args, **kwargs)

        return wrapper

    return decorator


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("sida"))


def _feature(area: Area) -> dict:
    return {
        "type": "Feature",
        "geometry": area.geometry,
        "properties": {
            "id": area.pk,
            "name": area.name,
            "kind": area.get_kind_display(),
            "demo": area.is_demo_geometry,
        },
    }


def _map_data(municipality: Municipality, areas) -> dict:
    return {
        "boundary": {
            "type": "Feature",
            "geometry": municipality.boundary,
            "properties": {"name": municipality.name},
        },
        "areas": {"type": "FeatureCollection", "features": [_feature(a) for a in areas]},
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
        "area_url": f"/kommuner/{municipality.code}/omraden/",
    }


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- overview -------------------------------------------------------------------------------
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:  # the database is what we report on; details go to the log only
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request):
    municipalities = list(selectors.municipalities_for(request.user)[:2])
    if len(municipalities) == 1:
        return redirect("core:municipality_detail", code=municipalities[0].code)
    return redirect("core:municipality_list")


@login_required
def municipality_list(request):
    qs = selectors.municipalities_for(request.user).order_by("name")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__startswith=q)
    return render(request, "core/municipality_list.html", {"page": _page(request, qs), "q": q})


@municipality_view()
def municipality_detail(request, municipality):
    areas = list(selectors.areas_for(request.user, municipality))
    forums = selectors.forums_for(request.user, municipality)
    organisations = selectors.organisations_for(request.user, municipality)
    return render(
        request,
        "core/municipality_detail.html",
        {
            "municipality": municipality,
            "areas": areas,
            "forums": forums,
            "organisations": organisations,
            "police_areas": municipality.police_areas.visible_to(request.user),
            "map_data": _map_data(municipality, areas),
            "roles": [
                Role(r).label for r in sorted(resolver_for(request.user).roles_in(municipality))
            ],
        },
    )


# --- organisations --------------------------------------------------------------------------
@municipality_view()
def organisation_list(request, municipality):
    qs = selectors.organisations_for(request.user, municipality)
    kind = request.GET.get("typ", "")
    if kind:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "core/organisation_list.html",
        {
            "municipality": municipality,
            "page": _page(request, qs),
            "kind": kind,
            "kinds": Organisation._meta.get_field("kind").choices,
            "can_manage": resolver_for(request.user).has_ability("manage", municipality),
        },
    )


@municipality_view()
def organisation_detail(request, municipality, pk: int):
    org = get_object_or_404(selectors.organisations_for(request.user, municipality), pk=pk)
    resolver = resolver_for(request.user)
    return render(
        request,
        "core/organisation_detail.html",
        {
            "municipality": municipality,
            "organisation": org,
            "children": org.children.visible_to(request.user),
            "forums": selectors.forums_for(request.user, municipality).filter(organisations=org),
            "members": selectors.memberships_for(request.user, municipality).filter(
                organisation=org
            ),
            "can_change": resolver.can(CHANGE, org),
        },
    )


def _edit_object(
    request, municipality, *, form_class, instance, save, template, success, extra=None
):
    form = form_class(
        request.POST or None, request.FILES or None, instance=instance, municipality=municipality
    )
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(success(obj))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        template,
        {"municipality": municipality, "form": form, "object": instance, **(extra or {})},
        status=status,
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def organisation_edit(request, municipality, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = get_object_or_404(
            Organisation.objects.visible_to(request.user, CHANGE), municipality=municipality, pk=pk
        )

    def save(form):
        d = form.cleaned_data
        return services.organisation_save(
            actor=request.user,
            municipality=municipality,
            instance=instance,
            name=d["name"],
            kind=d["kind"],
            parent=d["parent"],
            description=d["description"],
            contact_email=d["contact_email"],
            is_active=d["is_active"],
        )

    return _edit_object(
        request,
        municipality,
        form_class=OrganisationForm,
        instance=instance,
        save=save,
        template="core/organisation_form.html",
        success=lambda o: f"/kommuner/{municipality.code}/organisationer/{o.pk}/",
    )


def _delete_object(request, municipality, obj, *, service, back, done):
    if request.method == "POST":
        try:
            service(obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        messages.success(request, _("“%(name)s” was removed.") % {"name": obj})
        return redirect(done)
    return render(
        request,
        "core/confirm_delete.html",
        {"municipality": municipality, "object": obj, "back": back},
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def organisation_delete(request, municipality, pk: int):
    org = get_object_or_404(
        Organisation.objects.visible_to(request.user, CHANGE), municipality=municipality, pk=pk
    )
    base = f"/kommuner/{municipality.code}/organisationer/"
    return _delete_object(
        request,
        municipality,
        org,
        service=lambda o: services.organisation_delete(actor=request.user, organisation=o),
        back=f"{base}{org.pk}/",
        done=base,
    )


# --- areas ----------------------------------------------------------------------------------
@municipality_view()
def area_list(request, municipality):
    areas = list(selectors.areas_for(request.user, municipality))
    return render(
        request,
        "core/area_list.html",
        {
            "municipality": municipality,
            "areas": areas,
            "map_data": _map_data(municipality, areas),
            "can_manage": resolver_for(request.user).has_ability("manage", municipality),
        },
    )


@municipality_view()
def area_detail(request, municipality, pk: int):
    area = get_object_or_404(selectors.areas_for(request.user, municipality), pk=pk)
    data = _map_data(municipality, [area])
    return render(
        request,
        "core/area_detail.html",
        {
            "municipality": municipality,
            "area": area,
            "map_data": data,
            "forums": selectors.forums_for(request.user, municipality).filter(areas=area),
            "can_change": resolver_for(request.user).can(CHANGE, area),
        },
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def area_edit(request, municipality, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = get_object_or_404(
            Area.objects.visible_to(request.user, CHANGE), municipality=municipality, pk=pk
        )

    def save(form):
        d = form.cleaned_data
        from .geo import as_geojson

        return services.area_save(
            actor=request.user,
            municipality=municipality,
            instance=instance,
            name=d["name"],
            kind=d["kind"],
            official_code=d["official_code"],
            description=d["description"],
            geometry=as_geojson(d["parsed_geometry"]),
            is_demo_geometry=False,
        )

    return _edit_object(
        request,
        municipality,
        form_class=AreaForm,
        instance=instance,
        save=save,
        template="core/area_form.html",
        success=lambda a: f"/kommuner/{municipality.code}/omraden/{a.pk}/",
        extra={"map_data": _map_data(municipality, [instance] if instance else [])},
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def area_delete(request, municipality, pk: int):
    area = get_object_or_404(
        Area.objects.visible_to(request.user, CHANGE), municipality=municipality, pk=pk
    )
    base = f"/kommuner/{municipality.code}/omraden/"
    return _delete_object(
        request,
        municipality,
        area,
        service=lambda a: services.area_delete(actor=request.user, area=a),
        back=f"{base}{area.pk}/",
        done=base,
    )


# --- forums ---------------------------------------------------------------------------------
@municipality_view()
def forum_list(request, municipality):
    qs = selectors.forums_for(request.user, municipality)
    kind = request.GET.get("typ", "")
    if kind:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "core/forum_list.html",
        {
            "municipality": municipality,
            "forums": qs,
            "kind": kind,
            "kinds": Forum._meta.get_field("kind").choices,
            "can_manage": resolver_for(request.user).has_ability("manage", municipality),
        },
    )


@municipality_view()
def forum_detail(request, municipality, pk: int):
    forum = get_object_or_404(selectors.forums_for(request.user, municipality), pk=pk)
    areas = list(forum.areas.visible_to(request.user))
    return render(
        request,
        "core/forum_detail.html",
        {
            "municipality": municipality,
            "forum": forum,
            "organisations": forum.organisations.visible_to(request.user),
            "areas": areas,
            "map_data": _map_data(municipality, areas),
            "can_change": resolver_for(request.user).can(CHANGE, forum),
        },
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def forum_edit(request, municipality, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = get_object_or_404(
            Forum.objects.visible_to(request.user, CHANGE), municipality=municipality, pk=pk
        )

    def save(form):
        d = form.cleaned_data
        return services.forum_save(
            actor=request.user,
            municipality=municipality,
            instance=instance,
            name=d["name"],
            kind=d["kind"],
            description=d["description"],
            convener=d["convener"],
            organisations=list(d["organisations"]),
            areas=list(d["areas"]),
            is_active=d["is_active"],
        )

    return _edit_object(
        request,
        municipality,
        form_class=ForumForm,
        instance=instance,
        save=save,
        template="core/forum_form.html",
        success=lambda f: f"/kommuner/{municipality.code}/forum/{f.pk}/",
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def forum_delete(request, municipality, pk: int):
    forum = get_object_or_404(
        Forum.objects.visible_to(request.user, CHANGE), municipality=municipality, pk=pk
    )
    base = f"/kommuner/{municipality.code}/forum/"
    return _delete_object(
        request,
        municipality,
        forum,
        service=lambda f: services.forum_delete(actor=request.user, forum=f),
        back=f"{base}{forum.pk}/",
        done=base,
    )


# --- members and roles ----------------------------------------------------------------------
def _allowed_roles(user, municipality) -> list[str]:
    roles = [r for r in Role.values if r != Role.MUNICIPAL_ADMIN]
    if resolver_for(user).has_ability("administer", municipality):
        roles.append(Role.MUNICIPAL_ADMIN)
    return roles


@municipality_view("manage")
def member_list(request, municipality):
    qs = selectors.memberships_for(request.user, municipality).order_by(
        "user__username", "organisation__name"
    )
    role = request.GET.get("roll", "")
    if role:
        qs = qs.filter(role=role)
    return render(
        request,
        "core/member_list.html",
        {
            "municipality": municipality,
            "page": _page(request, qs),
            "role": role,
            "roles": Role.choices,
        },
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def member_create(request, municipality):
    form = MemberCreateForm(
        request.POST or None,
        municipality=municipality,
        allowed_roles=_allowed_roles(request.user, municipality),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            from django.db import transaction

            with transaction.atomic():
                user = services.user_create(
                    actor=request.user,
                    municipality=municipality,
                    username=d["username"],
                    first_name=d["first_name"],
                    last_name=d["last_name"],
                    email=d["email"],
                    password=d["password"] or None,
                )
                services.membership_grant(
                    actor=request.user, user=user, organisation=d["organisation"], role=d["role"]
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The user %(u)s was created.") % {"u": user.username})
            return redirect("core:user_detail", code=municipality.code, pk=user.pk)
    return render(
        request,
        "core/member_form.html",
        {"municipality": municipality, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def user_detail(request, municipality, pk: int):
    user = get_object_or_404(resolver_for(request.user).restrict(User.objects.all(), VIEW), pk=pk)
    memberships = selectors.memberships_for(request.user, municipality).filter(user=user)
    if not memberships.exists():
        raise Http404
    form = MembershipAddForm(
        request.POST or None,
        municipality=municipality,
        allowed_roles=_allowed_roles(request.user, municipality),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_grant(
                actor=request.user,
                user=user,
                organisation=form.cleaned_data["organisation"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The role was added."))
            return redirect("core:user_detail", code=municipality.code, pk=user.pk)
    return render(
        request,
        "core/user_detail.html",
        {
            "municipality": municipality,
            "member": user,
            "memberships": memberships,
            "form": form,
            "password_form": SetPasswordForm(user),
            "has_second_factor": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


@municipality_view("manage")
@require_POST
def user_account(request, municipality, pk: int):
    """Account actions for a member: deactivate/activate, reset second factor, set password."""
    user = get_object_or_404(resolver_for(request.user).restrict(User.objects.all(), VIEW), pk=pk)
    if not selectors.memberships_for(request.user, municipality).filter(user=user).exists():
        raise Http404
    action = request.POST.get("action", "")
    back = redirect("core:user_detail", code=municipality.code, pk=user.pk)
    if action in ("deactivate", "activate"):
        services.user_set_active(actor=request.user, user=user, active=action == "activate")
        messages.success(
            request,
            _("The account was activated.")
            if action == "activate"
            else _("The account was deactivated; the user can no longer sign in."),
        )
        return back
    if action == "reset_otp":
        services.user_reset_second_factor(actor=request.user, user=user)
        messages.success(
            request,
            _(
                "The second factor was reset; the user enrols a new "
                "authenticator app at the next sign-in."
            ),
        )
        return back
    if action == "set_password":
        form = SetPasswordForm(user, request.POST)
        if form.is_valid():
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["new_password1"]
            )
            messages.success(request, _("The new password was set."))
            return back
        memberships = selectors.memberships_for(request.user, municipality).filter(user=user)
        return render(
            request,
            "core/user_detail.html",
            {
                "municipality": municipality,
                "member": user,
                "memberships": memberships,
                "form": MembershipAddForm(
                    municipality=municipality,
                    allowed_roles=_allowed_roles(request.user, municipality),
                ),
                "password_form": form,
                "has_second_factor": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            },
            status=400,
        )
    return HttpResponse(_("Unknown action."), status=400, content_type="text/plain")


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def membership_delete(request, municipality, pk: int):
    membership = get_object_or_404(
        Membership.objects.visible_to(request.user, CHANGE), municipality=municipality, pk=pk
    )
    back = f"/kommuner/{municipality.code}/medlemmar/anvandare/{membership.user_id}/"
    return _delete_object(
        request,
        municipality,
        membership,
        service=lambda m: services.membership_revoke(actor=request.user, membership=m),
        back=back,
        done=f"/kommuner/{municipality.code}/medlemmar/",
    )


@municipality_view("administer")
@require_http_methods(["GET", "POST"])
def security_policy(request, municipality):
    policies = selectors.security_policies_for(request.user, municipality)
    form = SecurityPolicyForm(request.POST or None, policies=policies)
    if request.method == "POST" and form.is_valid():
        for p in policies:
            new = bool(form.cleaned_data.get(p["role"]))
            if new != p["otp_required"]:
                services.security_policy_set(
                    actor=request.user, municipality=municipality, role=p["role"], otp_required=new
                )
        messages.success(request, _("The security settings were saved."))
        return redirect("core:security_policy", code=municipality.code)
    return render(
        request, "core/security_policy.html", {"municipality": municipality, "form": form}
    )


# --- error pages ----------------------------------------------------------------------------
def _error(request, template: str, status: int):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": {
                    400: _("Bad request."),
                    403: _("Permission denied."),
                    404: _("Not found."),
                    500: _("Server error."),
                }[status]
            },
            status=status,
        )
    return render(request, template, status=status)


def bad_request(request, exception=None):
    return _error(request, "400.html", 400)


def permission_denied(request, exception=None):
    return _error(request, "403.html", 403)


def page_not_found(request, exception=None):
    return _error(request, "404.html", 404)


def server_error(request):
    try:
        return _error(request, "500.html", 500)
    except Exception:  # never fail while reporting a failure
        return HttpResponse(_("Server error."), status=500, content_type="text/plain")
