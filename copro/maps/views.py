"""Community map pages. Thin: load through access, validate with a form, change through a service, render."""

from __future__ import annotations

import json
import mimetypes
from typing import Any
from urllib.parse import urlencode

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.core.forms import DuplicateSubmission, errors_to_form, parse_id, run_service
from copro.core.paging import page_of
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.maps import selectors, services
from copro.maps.access import can_see_hidden, get_map_for_user, get_pin_for_user, visible_maps
from copro.maps.forms import (
    CategoryForm,
    CommentForm,
    FilterForm,
    MapForm,
    PinEnterForm,
    PinForm,
    PlaceForm,
    PlacesImportForm,
)
from copro.maps.models import Agreement, Map, MapStatus, Pin
from copro.projects.models import Project
from copro.projects.views import page, project_view

PER_PAGE = 25
PLACES_SHOWN = 200  # the place picker lists at most this many matches; a search narrows it


def _detail(m: Map) -> HttpResponse:
    return redirect("maps:detail", m.project.slug, m.pk)


def _map_fields(form: MapForm) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k != "form_token"}


@project_view("maps.view")
def map_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    maps = list(visible_maps(project, role).order_by("status", "-created_at"))
    return page(request, "maps/list.html", project, role, maps=maps)


@project_view("maps.manage")
def map_create(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = MapForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.map_create(user=actor(request), project=project, **form.cleaned_data)
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("maps:list", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Map saved. Now add its categories and places, then open it for pins."))
            return redirect("maps:manage", project.slug, new.pk)
    return page(request, "maps/map_form.html", project, role, status=400 if form.errors else 200, form=form)


def map_edit(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id, "maps.manage")
    fields = [n for n in MapForm.base_fields if n != "form_token"]
    form = MapForm(request.POST or None, initial={n: getattr(the_map, n) for n in fields})
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request, form, lambda: services.map_edit(user=actor(request), map=the_map, **_map_fields(form)), _("Saved.")
        )
    ):
        return redirect("maps:manage", project.slug, the_map.pk)
    return page(
        request, "maps/map_form.html", project, role, status=400 if form.errors else 200, form=form, editing=the_map
    )


def map_manage(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id, "maps.manage")
    return _render_manage(request, project, role, the_map)


def _render_manage(
    request: HttpRequest, project: Project, role: Role, the_map: Map, *, status: int = 200, **forms: Any
) -> HttpResponse:
    return page(
        request,
        "maps/manage.html",
        project,
        role,
        status=status,
        map=the_map,
        categories=list(the_map.categories.all()),
        places=list(the_map.places.all()[:500]),
        place_total=the_map.places.count(),
        category_form=forms.get("category_form") or CategoryForm(),
        place_form=forms.get("place_form") or PlaceForm(),
        import_form=forms.get("import_form") or PlacesImportForm(),
        import_report=forms.get("import_report"),
    )


@require_POST
def category_add(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id, "maps.manage")
    form = CategoryForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.category_add(user=actor(request), map=the_map, name=form.cleaned_data["name"]),
        _("Category added."),
    ):
        return redirect("maps:manage", project.slug, the_map.pk)
    return _render_manage(request, project, role, the_map, status=400, category_form=form)


@require_POST
def place_add(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id, "maps.manage")
    form = PlaceForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.place_add(user=actor(request), map=the_map, **form.cleaned_data),
        _("Place added."),
    ):
        return redirect("maps:manage", project.slug, the_map.pk)
    return _render_manage(request, project, role, the_map, status=400, place_form=form)


@require_POST
def places_import(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id, "maps.manage")
    form = PlacesImportForm(request.POST)
    report = None
    if form.is_valid():
        try:
            report = services.places_import(user=actor(request), map=the_map, text=form.cleaned_data["lines"])
        except ValidationError as error:
            errors_to_form(form, error)
    status = 400 if (form.errors or (report and report.errors)) else 200
    return _render_manage(request, project, role, the_map, status=status, import_form=form, import_report=report)


@require_POST
def map_open(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id, "maps.manage")
    try:
        services.map_open(user=actor(request), map=the_map)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("maps:manage", project.slug, the_map.pk)
    messages.success(request, _("The map is open for pins."))
    return _detail(the_map)


@require_POST
def map_close(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id, "maps.manage")
    try:
        services.map_close(user=actor(request), map=the_map)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The map is closed. Everything on it can still be read."))
    return _detail(the_map)


# --- The map, the list and the data -------------------------------------------------------------


def _listing(request: HttpRequest, project: Project, role: Role, the_map: Map) -> dict[str, Any]:
    categories = list(the_map.categories.all())
    filters = FilterForm(request.GET or None, categories=categories)
    category, q = filters.values()
    pins = selectors.pins_for_list(the_map, request.user, role, category=category, q=q)
    kept = {k: v for k, v in (("category", category), ("q", q)) if v not in (None, "")}
    return {
        "map": the_map,
        "categories": categories,
        "filters": filters,
        "page": page_of(request, pins, PER_PAGE),
        "filter_query": urlencode(kept),
        "current_category": category,
        "can_pin": the_map.status == MapStatus.OPEN and TABLE.allowed(role, "maps.pin"),
    }


def _tiles() -> tuple[str, str]:
    return settings.COPRO_MAP_TILES_URL, settings.COPRO_MAP_TILES_ATTRIBUTION


def map_detail(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id)
    tiles_url, attribution = _tiles()
    context = _listing(request, project, role, the_map)
    return page(
        request,
        "maps/detail.html",
        project,
        role,
        tiles_url=tiles_url,
        tiles_attribution=attribution,
        category_names={str(c.pk): c.name for c in context["categories"]},
        **context,
    )


def map_pins(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    project, role, the_map = get_map_for_user(request.user, slug, map_id)
    return page(request, "maps/pins.html", project, role, **_listing(request, project, role, the_map))


def map_data(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    """GeoJSON for the viewport: ?bbox=west,south,east,north&zoom=Z&category=<id>. At most ~2,000 features."""
    project, role, the_map = get_map_for_user(request.user, slug, map_id)
    try:
        box, zoom = selectors.parse_viewport(request.GET.get("bbox"), request.GET.get("zoom"))
        category = selectors.parse_category(request.GET.get("category"))
    except selectors.BadViewport as error:
        return HttpResponse(
            json.dumps({"error": str(error)}), status=400, content_type="application/json; charset=utf-8"
        )
    data = selectors.map_features(the_map, box, zoom, category)
    response = HttpResponse(json.dumps(data, separators=(",", ":")), content_type="application/geo+json; charset=utf-8")
    response["Cache-Control"] = "private, max-age=30"
    return response


# --- Pins ----------------------------------------------------------------------------------------


def _places(the_map: Map, place_q: str, chosen: str = "") -> list[Any]:
    places = the_map.places.all()
    if place_q:
        places = places.filter(name__icontains=place_q)
    found = list(places[:PLACES_SHOWN])
    chosen_id = parse_id(chosen.strip())
    if chosen_id is not None and all(p.pk != chosen_id for p in found):
        found += list(the_map.places.filter(pk=chosen_id))  # keep the chosen place in the list after an error
    return found


def _pin_form_page(request: HttpRequest, slug: str, map_id: int, *, staff: bool) -> HttpResponse:
    action = "maps.enter" if staff else "maps.pin"
    project, role, the_map = get_map_for_user(request.user, slug, map_id, action)
    if the_map.status != MapStatus.OPEN:
        messages.error(request, _("This map is not open for pins."))
        return _detail(the_map)
    place_q = (request.POST.get("place_q") or request.GET.get("place_q") or "").strip()[:100]
    categories = list(the_map.categories.all())
    places = _places(the_map, place_q, request.POST.get("place", ""))
    form_class = PinEnterForm if staff else PinForm
    form = form_class(request.POST or None, request.FILES or None, categories=categories, places=places)
    if request.method == "POST" and form.is_valid():
        if not staff and not ratelimit.consume(request, action="maps_pin"):
            return ratelimit.respond_429(request)
        data = form.cleaned_data
        common = {
            "user": actor(request),
            "map": the_map,
            "category_id": data["category"],
            "text": data["text"],
            "lat": data["lat"],
            "lng": data["lng"],
            "place_id": data["place"],
            "location_text": data["location_text"],
            "photo": data["photo"],
            "photo_alt": data["photo_alt"],
            "form_token": data["form_token"],
        }
        try:
            if staff:
                pin = services.pin_enter(channel=data["channel"], **common)
            else:
                pin = services.pin_create(show_name=data["show_name"], **common)
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return _detail(the_map)
        except ValidationError as error:
            errors_to_form(form, error)
            # The map's spot travels in hidden inputs: say what is wrong with it at the top of the form.
            for hidden in ("lat", "lng"):
                if hidden in form.errors:
                    form.add_error(None, list(form.errors.pop(hidden)))
        else:
            if staff:
                messages.success(request, _("Pin recorded. Enter the next one."))
                return redirect("maps:enter", project.slug, the_map.pk)
            messages.success(request, _("Thank you. Your pin is on the map."))
            return redirect("maps:pin", project.slug, the_map.pk, pin.pk)
    tiles_url, attribution = _tiles()
    return page(
        request,
        "maps/pin_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        map=the_map,
        form=form,
        staff=staff,
        place_q=place_q,
        places_shown=len(places),
        tiles_url=tiles_url,
        tiles_attribution=attribution,
    )


def pin_create(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    return _pin_form_page(request, slug, map_id, staff=False)


def pin_enter(request: HttpRequest, slug: str, map_id: int) -> HttpResponse:
    return _pin_form_page(request, slug, map_id, staff=True)


def pin_detail(request: HttpRequest, slug: str, map_id: int, pin_id: int) -> HttpResponse:
    project, role, the_map, pin = get_pin_for_user(request.user, slug, map_id, pin_id)
    return _render_pin(request, project, role, the_map, pin)


def _render_pin(
    request: HttpRequest,
    project: Project,
    role: Role,
    the_map: Map,
    pin: Pin,
    *,
    status: int = 200,
    comment_form: CommentForm | None = None,
) -> HttpResponse:
    user = request.user
    comments = list(pin.comments.select_related("author"))
    agreed = bool(user.is_authenticated and Agreement.objects.filter(pin=pin, user=user).exists())
    is_open = the_map.status == MapStatus.OPEN and not pin.is_hidden
    return page(
        request,
        "maps/pin.html",
        project,
        role,
        status=status,
        map=the_map,
        pin=pin,
        comments=[(c, can_see_hidden(c, user, role)) for c in comments],
        agreed=agreed,
        is_open=is_open,
        mine=bool(user.is_authenticated and pin.author_id == user.pk),
        comment_form=comment_form or CommentForm(),
    )


@require_POST
def pin_agree(request: HttpRequest, slug: str, map_id: int, pin_id: int) -> HttpResponse:
    project, role, the_map, pin = get_pin_for_user(request.user, slug, map_id, pin_id, "maps.agree")
    undo = request.POST.get("undo") == "1"
    try:
        if undo:
            services.pin_unagree(user=actor(request), pin=pin)
        else:
            services.pin_agree(user=actor(request), pin=pin)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You no longer agree with this pin.") if undo else _("You agree with this pin."))
    return redirect("maps:pin", project.slug, the_map.pk, pin.pk)


@require_POST
def comment_add(request: HttpRequest, slug: str, map_id: int, pin_id: int) -> HttpResponse:
    project, role, the_map, pin = get_pin_for_user(request.user, slug, map_id, pin_id, "maps.comment")
    form = CommentForm(request.POST)
    if form.is_valid():
        if not ratelimit.consume(request, action="maps_comment"):
            return ratelimit.respond_429(request)
        if run_service(
            request,
            form,
            lambda: services.comment_add(
                user=actor(request),
                pin=pin,
                text=form.cleaned_data["text"],
                show_name=form.cleaned_data["show_name"],
                form_token=form.cleaned_data["form_token"],
            ),
            _("Your comment is published."),
        ):
            return redirect("maps:pin", project.slug, the_map.pk, pin.pk)
    return _render_pin(request, project, role, the_map, pin, status=400, comment_form=form)


def pin_photo(request: HttpRequest, slug: str, map_id: int, pin_id: int) -> FileResponse:
    """A pin's photo, served through the same access rules as the pin (private projects, hidden pins)."""
    project, role, the_map, pin = get_pin_for_user(request.user, slug, map_id, pin_id)
    if not pin.photo:
        raise Http404
    try:
        handle = pin.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(pin.photo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
