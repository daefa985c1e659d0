"""Community maps in the REST API: the same access functions, selectors and services as the pages.

Pins are created, agreed with and commented on as the signed-in person, with the same rate limits as the
pages. Photos are added on the page only (the API takes JSON).
"""

from __future__ import annotations

from allauth.core import ratelimit
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _page, _valid, idempotency_key
from copro.core.sanitize import without_control
from copro.core.views import actor
from copro.maps import selectors, services
from copro.maps.access import get_map_for_user, get_pin_for_user, visible_maps
from copro.maps.models import Category, Comment, Map, Pin, Place
from copro.projects.access import get_project_for_user

Q_MAX = 100  # the longest words filter, as on the page


# --- Out -----------------------------------------------------------------------------------------


class MapCategoryOut(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]


class MapPlaceOut(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["id", "name", "lat", "lng"]


class MapBoundsOut(serializers.Serializer):
    south = serializers.FloatField()
    west = serializers.FloatField()
    north = serializers.FloatField()
    east = serializers.FloatField()


class MapCentreOut(serializers.Serializer):
    lat = serializers.FloatField(source="centre_lat")
    lng = serializers.FloatField(source="centre_lng")


class MapOut(serializers.ModelSerializer):
    bounds = MapBoundsOut(source="*", read_only=True, help_text="The area: pins outside it are refused.")
    centre = MapCentreOut(source="*", read_only=True, help_text="Where the map opens.")
    categories = MapCategoryOut(many=True, read_only=True)
    places = MapPlaceOut(many=True, read_only=True, help_text="Named places people can pick instead of a spot.")

    class Meta:
        model = Map
        fields = [
            "id",
            "title",
            "description",
            "how_used",
            "status",
            "bounds",
            "centre",
            "zoom",
            "categories",
            "places",
        ]


class PinOut(serializers.ModelSerializer):
    category = MapCategoryOut(read_only=True)
    place = serializers.SerializerMethodField(help_text="The name of the named place picked, if any.")
    author = serializers.SerializerMethodField(help_text="The author's name, only if they chose to show it.")
    photo = serializers.SerializerMethodField(help_text="The address of the pin's photo, if it has one.")

    class Meta:
        model = Pin
        fields = [
            "id",
            "category",
            "lat",
            "lng",
            "place",
            "location_text",
            "text",
            "author",
            "channel",
            "agree_count",
            "comment_count",
            "created_at",
            "photo",
            "photo_alt",
        ]

    def get_place(self, pin: Pin) -> str | None:
        return pin.place.name if pin.place is not None else None

    def get_author(self, pin: Pin) -> str | None:
        return pin.author.public_name if pin.show_name and pin.author is not None else None

    def get_photo(self, pin: Pin) -> str | None:
        if not pin.photo:
            return None
        return reverse("maps:photo", args=[pin.map.project.slug, pin.map_id, pin.pk])


class PinCommentOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(help_text="The author's name, only if they chose to show it.")

    class Meta:
        model = Comment
        fields = ["id", "text", "author", "created_at"]

    def get_author(self, comment: Comment) -> str | None:
        return comment.author.public_name if comment.show_name and comment.author is not None else None


class PinAgreeOut(serializers.Serializer):
    agreed = serializers.BooleanField(help_text="Whether you now agree with the pin.")
    agree_count = serializers.IntegerField()


# --- In ------------------------------------------------------------------------------------------


class PinIn(serializers.Serializer):
    category = serializers.IntegerField(help_text="The id of one of the map's categories.")
    text = serializers.CharField(allow_blank=True, help_text="What the issue is here (at most 2,000 characters).")
    lat = serializers.FloatField(required=False, allow_null=True, default=None, help_text="A spot: with lng.")
    lng = serializers.FloatField(required=False, allow_null=True, default=None, help_text="A spot: with lat.")
    place = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The id of a named place (brings its own spot)."
    )
    location_text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="An address or description, instead of a spot."
    )
    show_name = serializers.BooleanField(default=False, help_text="Show my name with this pin.")


class PinCommentIn(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="The comment (at most 2,000 characters).")
    show_name = serializers.BooleanField(default=False, help_text="Show my name with this comment.")


# --- Views ---------------------------------------------------------------------------------------


class MapList(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=MapOut(many=True),
        summary="Community maps in a project you may see (maps being prepared only for facilitators)",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "maps.view")
        maps = (
            visible_maps(project, role)
            .order_by("status", "-created_at", "-id")
            .prefetch_related("categories", Prefetch("places", queryset=Place.objects.order_by("name", "id")))
        )
        return _page(request, self, maps, MapOut)


def _pins_filter(request: Request) -> tuple[int | None, str]:
    try:
        category = selectors.parse_category(request.query_params.get("category"))
    except selectors.BadViewport as error:
        raise DRFValidationError({"category": [str(error)]}) from None
    q = without_control(request.query_params.get("q") or "").strip()  # a NUL would fail on PostgreSQL
    if len(q) > Q_MAX:
        raise DRFValidationError({"q": [f"Search for at most {Q_MAX} characters."]})
    return category, q


class MapPins(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=PinOut(many=True),
        summary="The map's pins, newest first (hidden pins are left out)",
        parameters=[
            OpenApiParameter("category", OpenApiTypes.INT, description="Only pins of this category (its id)."),
            OpenApiParameter("q", OpenApiTypes.STR, description="Only pins with these words in them."),
        ],
    )
    def get(self, request: Request, slug: str, map_id: int) -> Response:
        _project, role, the_map = get_map_for_user(request.user, slug, map_id)
        category, q = _pins_filter(request)
        pins = (
            selectors.pins_for_list(the_map, request.user, role, category=category, q=q)
            .filter(hidden_at__isnull=True)
            .order_by("-created_at", "-id")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(pins, request, view=self) or []
        for pin in page:
            pin.map = the_map  # for the photo address, without a query per pin
        return paginator.get_paginated_response(PinOut(page, many=True).data)

    @extend_schema(
        request=PinIn,
        responses={201: PinOut},
        summary="Put a pin on an open map",
        description=(
            "Say where with a spot (lat and lng inside the map's area), a named place (place) or an address or "
            "description (location_text). Photos cannot be sent through the API: add them on the page. "
            "Limited to 30 pins an hour per person (429 beyond that)."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, map_id: int) -> Response:
        _project, _role, the_map = get_map_for_user(request.user, slug, map_id, "maps.pin")
        data = _valid(PinIn, request.data)
        if not ratelimit.consume(request._request, action="maps_pin"):
            raise Throttled()
        pin = services.pin_create(
            user=actor(request),
            map=the_map,
            category_id=data["category"],
            text=data["text"],
            lat=data["lat"],
            lng=data["lng"],
            place_id=data["place"],
            location_text=data["location_text"],
            show_name=data["show_name"],
            form_token=idempotency_key(request),
        )
        return Response(PinOut(pin).data, status=status.HTTP_201_CREATED)


def _agreement(pin: Pin, agreed: bool) -> Response:
    count = Pin.objects.filter(pk=pin.pk).values_list("agree_count", flat=True).first() or 0
    return Response(PinAgreeOut({"agreed": agreed, "agree_count": count}).data)


class PinAgree(APIView):
    @extend_schema(request=None, responses=PinAgreeOut, summary="Agree with a pin (agreeing twice counts once)")
    def post(self, request: Request, slug: str, map_id: int, pin_id: int) -> Response:
        _project, _role, _map, pin = get_pin_for_user(request.user, slug, map_id, pin_id, "maps.agree")
        services.pin_agree(user=actor(request), pin=pin)
        return _agreement(pin, True)

    @extend_schema(request=None, responses=PinAgreeOut, summary="Take back your agreement with a pin")
    def delete(self, request: Request, slug: str, map_id: int, pin_id: int) -> Response:
        _project, _role, _map, pin = get_pin_for_user(request.user, slug, map_id, pin_id, "maps.agree")
        services.pin_unagree(user=actor(request), pin=pin)
        return _agreement(pin, False)


class PinComments(APIView):
    @extend_schema(
        request=PinCommentIn,
        responses={201: PinCommentOut},
        summary="Comment on a pin",
        description="Limited to 120 comments an hour per person (429 beyond that).",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, map_id: int, pin_id: int) -> Response:
        _project, _role, _map, pin = get_pin_for_user(request.user, slug, map_id, pin_id, "maps.comment")
        data = _valid(PinCommentIn, request.data)
        if not ratelimit.consume(request._request, action="maps_comment"):
            raise Throttled()
        comment = services.comment_add(
            user=actor(request),
            pin=pin,
            text=data["text"],
            show_name=data["show_name"],
            form_token=idempotency_key(request),
        )
        return Response(PinCommentOut(comment).data, status=status.HTTP_201_CREATED)
