"""Community maps: who may do what, pins by every path and every bad input, agreements, comments, hidden
pins, names, staff entry, the clustered data endpoint, query counts, exports and erasure."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from copro.core.components import registry
from copro.core.models import ActivityEntry
from copro.core.permissions import Role
from copro.core.photos import photo_clean
from copro.maps import services
from copro.maps.models import Agreement, Comment, MapStatus, Pin
from tests.conftest import client_for
from tests.factories import XSS
from tests.factories_maps import CARDIFF, community_map, pins

pytestmark = pytest.mark.django_db

IN_CARDIFF = "-3.30,51.42,-3.05,51.56"


@pytest.fixture
def the_map(world):
    return community_map(world.project, created_by=world.facilitator)


def url(name, the_map, *extra):
    return reverse(f"maps:{name}", args=[the_map.project.slug, the_map.pk, *extra])


def category(the_map, n=0):
    return the_map.categories.all()[n]


def place(the_map, name="Queen Street"):
    return the_map.places.get(name=name)


def jpeg(size=(40, 20), *, gps=False, orientation=None, fmt="JPEG") -> bytes:
    image = Image.new("RGB", size, "red")
    image.putpixel((0, 0), (0, 0, 255))  # a blue corner, to see which way up the result is
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.Base.Make] = "PhoneMaker"
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (51.0, 28.0, 54.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "W"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (3.0, 10.0, 45.0)
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def post_pin(client, the_map, **data):
    fields = {"category": category(the_map).pk, "text": "The crossing is dangerous", **data}
    return client.post(url("pin_create", the_map), fields)


# --- Who may see and do what -----------------------------------------------------------------------


def test_outsiders_get_404_for_everything_on_a_private_projects_map(world):
    private = community_map(world.private_project, created_by=world.facilitator)
    pin = pins(private, 1, author=world.participant)[0]
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        for name, extra in (("detail", []), ("pins", []), ("data", []), ("pin", [pin.pk]), ("pin_create", [])):
            assert client.get(url(name, private, *extra), {"bbox": IN_CARDIFF}).status_code == 404, (persona, name)
        assert post_pin(client, private).status_code == 404
        assert client.post(url("agree", private, pin.pk)).status_code == 404
    # Members of the private project see it.
    assert world.client("observer").get(url("detail", private)).status_code == 200


def test_observers_read_but_may_not_pin_agree_or_comment(world, the_map):
    pin = pins(the_map, 1, author=world.participant)[0]
    client = world.client("observer")
    assert client.get(url("detail", the_map)).status_code == 200
    assert client.get(url("pin_create", the_map)).status_code == 403
    assert post_pin(client, the_map).status_code == 403
    assert client.post(url("agree", the_map, pin.pk)).status_code == 403
    assert client.post(url("comment", the_map, pin.pk), {"text": "hi"}).status_code == 403
    assert Pin.objects.count() == 1 and not Agreement.objects.exists() and not Comment.objects.exists()


def test_anyone_signed_in_may_pin_on_a_public_projects_map_but_not_anonymously(world, the_map):
    assert post_pin(world.client("outsider"), the_map, location_text="By the market").status_code == 302
    assert Pin.objects.get().author == world.outsider
    assert post_pin(world.client("anonymous"), the_map, location_text="By the market").status_code == 403
    assert world.client("anonymous").get(url("detail", the_map)).status_code == 200


def test_a_draft_map_is_a_404_except_for_facilitators(world):
    draft = community_map(world.project, created_by=world.facilitator, status=MapStatus.DRAFT)
    assert world.client("participant").get(url("detail", draft)).status_code == 404
    assert world.client("facilitator").get(url("detail", draft)).status_code == 200
    assert (
        draft.title
        not in world.client("participant").get(reverse("maps:list", args=[world.project.slug])).content.decode()
    )


def test_only_facilitators_manage_maps_and_enter_pins(world, the_map):
    for persona in ("participant", "expert", "observer", "outsider"):
        client = world.client(persona)
        assert client.get(url("manage", the_map)).status_code == 403
        assert client.get(url("enter", the_map)).status_code == 403
        assert client.post(url("close", the_map)).status_code == 403
        assert client.get(reverse("maps:create", args=[world.project.slug])).status_code == 403
    assert world.client("facilitator").get(url("manage", the_map)).status_code == 200


# --- Pins: every path ------------------------------------------------------------------------------


def test_a_pin_by_clicking_the_map_keeps_its_coordinates(world, the_map):
    response = post_pin(world.client("participant"), the_map, lat="51.4900", lng="-3.1800")
    pin = Pin.objects.get()
    assert response.status_code == 302 and response["Location"] == url("pin", the_map, pin.pk)
    assert (pin.lat, pin.lng, pin.place, pin.channel) == (51.49, -3.18, None, "online")
    assert pin.author == world.participant and pin.entered_by is None


def test_a_pin_by_named_place_takes_the_places_coordinates(world, the_map):
    queen = place(the_map)
    post_pin(world.client("participant"), the_map, place=queen.pk, lat="51.5", lng="-3.2")
    pin = Pin.objects.get()
    assert (pin.place, pin.lat, pin.lng) == (queen, queen.lat, queen.lng)


def test_a_pin_by_address_alone_is_in_the_list_but_not_on_the_map(world, the_map):
    post_pin(world.client("participant"), the_map, location_text="Outside the library, Ŵŷâ")
    pin = Pin.objects.get()
    assert pin.lat is None and pin.location_text == "Outside the library, Ŵŷâ"
    listing = world.client("anonymous").get(url("pins", the_map)).content.decode()
    assert "Outside the library, Ŵŷâ" in listing
    data = world.client("anonymous").get(url("data", the_map), {"bbox": IN_CARDIFF, "zoom": 13}).json()
    assert data["features"] == []


def test_the_place_picker_is_filtered_on_the_server(world, the_map):
    page = world.client("participant").get(url("pin_create", the_map), {"place_q": "queen"}).content.decode()
    assert "Queen Street" in page and "Cardiff Bay barrage" not in page
    page = world.client("participant").get(url("pin_create", the_map)).content.decode()
    assert "Queen Street" in page and "Cardiff Bay barrage" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"lat": "52.5", "lng": "-3.18"}, "lat", "outside the area"),
        ({"lat": "nan", "lng": "-3.18"}, "lat", "outside the area"),
        ({"lat": "51.5", "lng": "west"}, "lat", "could not be read"),
        ({"text": "   \n ", "location_text": "Somewhere"}, "text", "Say what the issue is"),
        ({}, "location_text", "Say where"),
        ({"location_text": "x" * 301}, "location_text", "300"),
    ],
)
def test_bad_pins_are_refused_with_a_clear_message_and_nothing_saved(world, the_map, data, field, message):
    response = post_pin(world.client("participant"), the_map, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Pin.objects.exists()


def test_a_category_or_place_of_another_map_is_refused(world, the_map):
    other = community_map(world.project, created_by=world.facilitator, title="Other")
    client = world.client("participant")
    response = post_pin(client, the_map, category=category(other).pk, location_text="Here")
    assert response.status_code == 400 and "Choose one of this map" in response.content.decode()
    with pytest.raises(ValidationError) as error:
        services.pin_create(
            user=world.participant, map=the_map, category_id=category(the_map).pk, text="t", place_id=place(other).pk
        )
    assert "place" in error.value.message_dict
    assert not Pin.objects.exists()


def test_a_closed_map_takes_no_pins(world, the_map):
    services.map_close(user=world.facilitator, map=the_map)
    response = post_pin(world.client("participant"), the_map, location_text="Here")
    assert response.status_code == 302
    assert not Pin.objects.exists()
    with pytest.raises(ValidationError, match="not open"):
        services.pin_create(
            user=world.participant, map=the_map, category_id=category(the_map).pk, text="t", location_text="x"
        )


def test_a_double_submitted_pin_is_saved_once(world, the_map):
    client = world.client("participant")
    token = "6b1f8f0e-3c2a-4f61-9d7e-0a1b2c3d4e5f"
    post_pin(client, the_map, location_text="Here", form_token=token)
    post_pin(client, the_map, location_text="Here", form_token=token)
    assert Pin.objects.count() == 1


# --- Photos ------------------------------------------------------------------------------------------


def test_a_photos_exif_and_gps_are_stripped_and_it_is_turned_the_right_way_up(world, the_map, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    original = jpeg(gps=True, orientation=6)  # 6: the camera was turned; the picture must be rotated 90°
    before = Image.open(io.BytesIO(original))
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really has a location in it
    photo = SimpleUploadedFile("IMG_0001.jpg", original, content_type="image/jpeg")
    response = post_pin(world.client("participant"), the_map, location_text="Here", photo=photo, photo_alt="A pothole")
    assert response.status_code == 302
    pin = Pin.objects.get()
    with pin.photo.open("rb") as f:
        stored = f.read()
    after = Image.open(io.BytesIO(stored))
    assert after.format == "JPEG"
    assert dict(after.getexif()) == {}
    assert not after.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    assert after.size == (20, 40)  # rotated upright
    assert pin.photo_alt == "A pothole" and "IMG_0001" not in pin.photo.name
    # The photo is served through the pin's access rules.
    served = world.client("anonymous").get(url("photo", the_map, pin.pk))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"GIF89a" + b"\0" * 100, "could not be read"),
        ("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "could not be read"),
        ("photo.gif", None, "JPEG, PNG or WebP"),
    ],
)
def test_a_photo_of_the_wrong_type_is_refused(world, the_map, settings, tmp_path, name, content, message):
    settings.MEDIA_ROOT = tmp_path
    if content is None:
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, "GIF")
        content = out.getvalue()
    photo = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = post_pin(world.client("participant"), the_map, location_text="Here", photo=photo, photo_alt="x")
    assert response.status_code == 400 and message in response.content.decode()
    assert not Pin.objects.exists()


def test_a_photo_over_5_mb_or_40_megapixels_or_without_alt_text_is_refused(world, the_map, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    big = SimpleUploadedFile("big.jpg", jpeg() + b"\0" * (5 * 1024 * 1024), content_type="image/jpeg")
    with pytest.raises(ValidationError, match="5 MB"):
        photo_clean(big)
    out = io.BytesIO()
    Image.new("1", (8000, 5001)).save(out, "PNG")  # 40,008,000 pixels, a small file
    with pytest.raises(ValidationError, match="40 megapixels"):
        photo_clean(SimpleUploadedFile("wide.png", out.getvalue(), content_type="image/png"))
    photo = SimpleUploadedFile("ok.jpg", jpeg(), content_type="image/jpeg")
    response = post_pin(world.client("participant"), the_map, location_text="Here", photo=photo)
    assert response.status_code == 400 and "Say what the photo shows" in response.content.decode()
    assert not Pin.objects.exists()


def test_png_and_webp_photos_are_kept_in_their_own_format(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for fmt, ext in (("PNG", "png"), ("WEBP", "webp")):
        cleaned = photo_clean(SimpleUploadedFile(f"x.{ext}", jpeg(fmt=fmt, gps=True)))
        assert cleaned.name.endswith("." + ext)
        assert not Image.open(io.BytesIO(cleaned.read())).getexif().get_ifd(ExifTags.IFD.GPSInfo)


# --- Agreeing and commenting -------------------------------------------------------------------------


def test_agreeing_is_once_per_person_and_can_be_taken_back(world, the_map):
    pin = pins(the_map, 1, author=world.participant, agree_count=0)[0]
    for persona in ("expert", "expert", "outsider", "participant"):  # the author may agree with their own, once
        assert world.client(persona).post(url("agree", the_map, pin.pk)).status_code == 302
    pin.refresh_from_db()
    assert pin.agree_count == 3 == Agreement.objects.filter(pin=pin).count()
    page = world.client("expert").get(url("pin", the_map, pin.pk)).content.decode()
    assert "Take back my agreement" in page and "3 people agree with this." in page
    world.client("expert").post(url("agree", the_map, pin.pk), {"undo": "1"})
    world.client("expert").post(url("agree", the_map, pin.pk), {"undo": "1"})
    pin.refresh_from_db()
    assert pin.agree_count == 2 == Agreement.objects.filter(pin=pin).count()
    assert services.pin_agree(user=world.outsider, pin=pin) is False


def test_comments_are_counted_escaped_and_reportable(world, the_map):
    pin = pins(the_map, 1, author=world.participant)[0]
    client = world.client("expert")
    assert client.post(url("comment", the_map, pin.pk), {"text": "Agreed " + XSS}).status_code == 302
    assert client.post(url("comment", the_map, pin.pk), {"text": "  "}).status_code == 400
    pin.refresh_from_db()
    assert pin.comment_count == 1
    page = world.client("anonymous").get(url("pin", the_map, pin.pk)).content.decode()
    assert XSS not in page and "Agreed &lt;script&gt;" in page
    comment = Comment.objects.get()
    assert reverse("moderation:report", args=[world.project.slug, "comment", comment.pk]) in page
    assert reverse("moderation:report", args=[world.project.slug, "pin", pin.pk]) in page


def test_nothing_changes_on_a_closed_map(world, the_map):
    pin = pins(the_map, 1, author=world.participant, agree_count=0)[0]
    services.map_close(user=world.facilitator, map=the_map)
    world.client("expert").post(url("agree", the_map, pin.pk))
    world.client("expert").post(url("comment", the_map, pin.pk), {"text": "late"})
    pin.refresh_from_db()
    assert (pin.agree_count, pin.comment_count) == (0, 0)


# --- Names, hidden pins ------------------------------------------------------------------------------


def test_the_authors_name_is_shown_only_if_they_chose_to(world, the_map):
    world.participant.display_name = "Siân Secret"
    world.participant.save()
    world.expert.display_name = "Dafydd Shown"
    world.expert.save()
    post_pin(world.client("participant"), the_map, location_text="Anon place")
    post_pin(world.client("expert"), the_map, location_text="Named place", show_name="on")
    anon, named = Pin.objects.get(location_text="Anon place"), Pin.objects.get(location_text="Named place")
    client = world.client("anonymous")
    for page_url in (url("pins", the_map), url("detail", the_map), url("pin", the_map, anon.pk)):
        assert "Siân Secret" not in client.get(page_url).content.decode()
    assert "Dafydd Shown" in client.get(url("pin", the_map, named.pk)).content.decode()
    rows = list(registry.export("map_pins").rows(world.project))
    assert {r["location_text"]: r["name"] for r in rows} == {"Anon place": "", "Named place": "Dafydd Shown"}


def test_hidden_pins_are_left_out_of_the_map_list_and_counts_but_their_author_sees_why(world, the_map):
    hidden = pins(the_map, 1, author=world.participant, seed=5)[0]
    shown = pins(the_map, 1, author=world.expert, seed=6)[0]
    Pin.objects.filter(pk=hidden.pk).update(
        hidden_at=timezone.now(), hidden_reason="Names a neighbour", text="Secret text"
    )
    anonymous = world.client("anonymous")
    data = anonymous.get(url("data", the_map), {"bbox": IN_CARDIFF, "zoom": 13}).json()
    assert [f["id"] for f in data["features"]] == [shown.pk]
    assert "Secret text" not in anonymous.get(url("pins", the_map)).content.decode()
    assert anonymous.get(url("pin", the_map, hidden.pk)).status_code == 404
    assert world.client("expert").get(url("pin", the_map, hidden.pk)).status_code == 404
    own = world.client("participant").get(url("pin", the_map, hidden.pk)).content.decode()
    assert "Hidden by a facilitator: Names a neighbour" in own and "Secret text" in own
    mine = world.client("participant").get(url("pins", the_map)).content.decode()
    assert "Hidden by a facilitator: Names a neighbour" in mine
    dashboard = {str(c.label): c.value for c in registry.get("maps").dashboard(world.project, Role.PARTICIPANT)}  # type: ignore[union-attr]
    assert dashboard["Pins on the project's maps"] == 1
    assert [r["id"] for r in registry.export("map_pins").rows(world.project)] == [shown.pk]


# --- Staff entry ---------------------------------------------------------------------------------------


def test_staff_enter_a_paper_pin_with_its_channel_and_who_entered_it(world, the_map):
    client = world.client("facilitator")
    response = client.post(
        url("enter", the_map),
        {
            "channel": "paper",
            "category": category(the_map).pk,
            "text": "From the drop-in form",
            "place": place(the_map).pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == url("enter", the_map)
    pin = Pin.objects.get()
    assert (pin.channel, pin.entered_by, pin.author, pin.show_name) == ("paper", world.facilitator, None, False)
    response = client.post(
        url("enter", the_map),
        {"channel": "online", "category": category(the_map).pk, "text": "x", "location_text": "y"},
    )
    assert response.status_code == 400 and Pin.objects.count() == 1
    listing = world.client("anonymous").get(url("pins", the_map)).content.decode()
    assert "Someone reached by: Paper form" in listing


# --- The data endpoint --------------------------------------------------------------------------------


def test_the_data_endpoint_clusters_5000_pins_into_at_most_2000_features(world, the_map):
    pins(the_map, 5000)
    client = world.client("anonymous")
    for zoom in (11, 13, 15, 18):
        response = client.get(url("data", the_map), {"bbox": IN_CARDIFF, "zoom": zoom})
        assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
        data = json.loads(response.content)
        assert data["type"] == "FeatureCollection" and data["total"] == 5000
        assert len(data["features"]) <= 2000
        kinds = {f["properties"]["kind"] for f in data["features"]}
        assert "cluster" in kinds
        counted = sum(f["properties"].get("count", 1) for f in data["features"])
        assert counted == 5000
    # A small viewport at street level holds a few pins: they come back one by one.
    small = client.get(url("data", the_map), {"bbox": "-3.185,51.478,-3.175,51.484", "zoom": 17}).json()
    assert small["total"] < 300
    assert all(f["properties"]["kind"] == "pin" for f in small["features"])
    assert len(small["features"]) == small["total"]


def test_the_data_endpoint_filters_by_category(world, the_map):
    first, second = category(the_map, 0), category(the_map, 1)
    a = pins(the_map, 3, seed=1)
    b = pins(the_map, 2, seed=2)
    Pin.objects.filter(pk__in=[p.pk for p in b]).update(category=second)
    data = world.client("anonymous").get(url("data", the_map), {"bbox": IN_CARDIFF, "category": second.pk}).json()
    assert sorted(f["id"] for f in data["features"]) == sorted(p.pk for p in b)
    assert all(f["properties"]["category"] == second.pk for f in data["features"])
    assert first.pk != second.pk and len(a) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "bbox is required"),
        ({"bbox": "1,2,3"}, "four numbers"),
        ({"bbox": "a,b,c,d"}, "four numbers"),
        ({"bbox": "-3.0,51.4,-3.3,51.5"}, "west < east"),
        ({"bbox": "nan,51.4,-3.0,51.5"}, "finite"),
        ({"bbox": IN_CARDIFF, "zoom": "99"}, "zoom"),
        ({"bbox": IN_CARDIFF, "zoom": "-1"}, "zoom"),
        ({"bbox": IN_CARDIFF, "category": "x"}, "category"),
    ],
)
def test_a_bad_viewport_is_a_400_with_a_clear_message(world, the_map, params, message):
    response = world.client("anonymous").get(url("data", the_map), params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_map_data_and_list_pages_take_the_same_number_of_queries_at_two_sizes(
    world, the_map, django_assert_num_queries
):
    client = world.client("participant")
    pins(the_map, 30, seed=1, author=world.expert, show_name=True)
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            pins(the_map, 3000, seed=2, author=world.expert, show_name=True)
        for name, params in (
            ("data", {"bbox": IN_CARDIFF, "zoom": 13}),
            ("pins", {"q": "Pin"}),
            ("detail", {"category": category(the_map).pk}),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url(name, the_map), params).status_code == 200
            counts[(name, size)] = len(queries)
    for name in ("data", "pins", "detail"):
        assert counts[(name, "small")] == counts[(name, "large")], name
    with django_assert_num_queries(counts[("data", "large")]):
        client.get(url("data", the_map), {"bbox": IN_CARDIFF, "zoom": 15})


def test_the_list_is_paginated_and_keeps_its_filters(world, the_map):
    pins(the_map, 60, seed=3)
    page = world.client("anonymous").get(url("pins", the_map), {"q": "Pin", "page": 2}).content.decode()
    assert "60 pins." in page and "Page 2 of 3" in page
    assert "q=Pin&amp;page=3" in page and "q=Pin&amp;page=1" in page


# --- Facilitators' pages -------------------------------------------------------------------------------


def test_a_facilitator_creates_sets_up_opens_and_closes_a_map(world):
    client = world.client("facilitator")
    response = client.post(
        reverse("maps:create", args=[world.project.slug]),
        {"title": "Active travel", "zoom": 13, **{k: str(v) for k, v in CARDIFF.items()}},
    )
    assert response.status_code == 302
    the_map = world.project.maps.get()
    assert the_map.status == MapStatus.DRAFT
    # Opening needs a category.
    client.post(url("open", the_map))
    the_map.refresh_from_db()
    assert the_map.status == MapStatus.DRAFT
    client.post(url("category_add", the_map), {"name": "Pavement parking"})
    assert client.post(url("category_add", the_map), {"name": "pavement parking"}).status_code == 400
    client.post(url("place_add", the_map), {"name": "City Hall", "lat": "51.4860", "lng": "-3.1790"})
    assert client.post(url("place_add", the_map), {"name": "Paris", "lat": "48.85", "lng": "2.35"}).status_code == 400
    client.post(url("open", the_map))
    the_map.refresh_from_db()
    assert the_map.status == MapStatus.OPEN
    client.post(url("close", the_map))
    the_map.refresh_from_db()
    assert the_map.status == MapStatus.CLOSED
    verbs = list(
        ActivityEntry.objects.filter(project=world.project, verb__startswith="maps.").values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["maps.closed", "maps.created", "maps.opened"]


def test_a_map_with_a_bad_area_is_refused(world):
    client = world.client("facilitator")
    bad = {**CARDIFF, "south": 51.6}  # the south edge north of the north edge
    response = client.post(reverse("maps:create", args=[world.project.slug]), {"title": "Bad", "zoom": 13, **bad})
    assert response.status_code == 400 and "north edge must be north" in response.content.decode()
    outside = {**CARDIFF, "centre_lat": 52.0}
    response = client.post(reverse("maps:create", args=[world.project.slug]), {"title": "Bad", "zoom": 13, **outside})
    assert response.status_code == 400 and "centre must be inside" in response.content.decode()
    assert not world.project.maps.exists()


def test_places_import_adds_good_lines_and_reports_each_bad_one(world, the_map):
    text = "\n".join(
        [
            "Park Place, 51.4866, -3.1775",
            "",
            '"Castle Street, west end", 51.4810, -3.1830',
            "No coordinates here",
            "Llandaff, north, -3.22",
            "Swansea, 51.62, -3.94",
            "Queen Street, 51.4816, -3.1746",
            "Park Place, 51.4866, -3.1775",
        ]
    )
    response = world.client("facilitator").post(url("places_import", the_map), {"lines": text})
    page = response.content.decode()
    assert response.status_code == 400  # some lines were refused
    names = set(the_map.places.values_list("name", flat=True))
    assert {"Park Place", "Castle Street, west end"} <= names and "Swansea" not in names
    assert "2 places added." in page and "5 lines were not added" in page
    for number, why in (
        (4, "separated by commas"),
        (5, "must be numbers"),
        (6, "outside the map"),
        (7, "already in the list"),
        (8, "already in the list"),
    ):
        assert f"Line {number}" in page and why in page


# --- Personal data ------------------------------------------------------------------------------------


def test_download_and_erase_personal_data(world, the_map):
    pin = services.pin_create(
        user=world.participant,
        map=the_map,
        category_id=category(the_map).pk,
        text="Mine",
        location_text="Here",
        show_name=True,
    )
    other = pins(the_map, 1, author=world.expert)[0]
    services.pin_agree(user=world.participant, pin=other)
    services.comment_add(user=world.participant, pin=other, text="Me too", show_name=True)
    component = registry.get("maps")
    data = component.personal_data(world.participant)  # type: ignore[union-attr,misc]
    assert [p["text"] for p in data["pins"]] == ["Mine"]
    assert [c["text"] for c in data["comments"]] == ["Me too"]
    assert [a["pin"] for a in data["agreements"]] == [other.pk]
    component.erase_personal_data(world.participant)  # type: ignore[union-attr,misc]
    pin.refresh_from_db()
    assert (pin.author, pin.show_name, pin.text) == (None, False, "Mine")
    assert Comment.objects.get().author is None
    assert not Agreement.objects.filter(user=world.participant).exists()
    other.refresh_from_db()
    assert other.agree_count == 1  # the agreement still counts, linked to nobody


def test_maps_is_in_the_project_navigation(world, the_map):
    page = world.client("anonymous").get(reverse("maps:list", args=[world.project.slug])).content.decode()
    assert reverse("maps:list", args=[world.project.slug]) in page and the_map.title not in page
    assert "Teithio llesol &lt;script&gt;" in page


def test_rate_limit_on_pins(world, the_map, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "maps_pin": "2/h/user"}
    client = world.client("participant")
    statuses = [post_pin(client, the_map, location_text=f"Place {i}").status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert Pin.objects.count() == 2
    assert client_for(world.expert).get(url("detail", the_map)).status_code == 200


# --- Numbers in requests: only plain ASCII digits of a sane length ------------------------------------

# '²' and '①' pass str.isdigit() but int() refuses them; '٣' (Arabic-Indic three) is a digit int() accepts
# but is no id anyone typed; 5,000 digits is more than int() will read; 30 nines is more than the database
# holds (SQLite raises OverflowError on it).
BAD_NUMBERS = ["²", "①", "٣", "9" * 5000, "9" * 30, str(2**63), "-1", "0", " 1", "1.0"]
NOT_IDS = [b for b in BAD_NUMBERS if b != " 1"]  # forms and services strip spaces: " 1" names id 1


@pytest.mark.parametrize(
    ("param", "bad"),
    [("category", b) for b in BAD_NUMBERS] + [("zoom", b) for b in BAD_NUMBERS if b != "0"] + [("zoom", "23")],
)  # zoom 0 is the whole world: a good zoom
def test_the_data_endpoint_refuses_a_number_that_is_not_one_with_a_400(world, the_map, param, bad):
    response = world.client("anonymous").get(url("data", the_map), {"bbox": IN_CARDIFF, param: bad})
    assert response.status_code == 400
    assert param in response.json()["error"]


def test_the_data_endpoint_still_takes_good_numbers(world, the_map):
    pins(the_map, 3)
    response = world.client("anonymous").get(
        url("data", the_map), {"bbox": IN_CARDIFF, "zoom": "0", "category": category(the_map).pk}
    )
    assert response.status_code == 200 and response.json()["total"] == 3
    # A category that does not exist (but could) shows nothing rather than failing.
    response = world.client("anonymous").get(url("data", the_map), {"bbox": IN_CARDIFF, "category": 2**63 - 1})
    assert response.status_code == 200 and response.json()["total"] == 0


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("page_name", ["detail", "pins"])
def test_the_list_pages_ignore_a_category_that_is_not_a_number_but_keep_the_words(world, the_map, page_name, bad):
    pins(the_map, 2)
    response = world.client("anonymous").get(url(page_name, the_map), {"category": bad, "q": "Pin 1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Pin 1 " in page and "Pin 0 " not in page  # the words still filter; the bad category is ignored


@pytest.mark.parametrize("bad", NOT_IDS)
@pytest.mark.parametrize("persona", ["participant", "facilitator"])
def test_a_pin_with_a_place_that_is_not_a_number_is_refused_with_a_clear_message(world, the_map, persona, bad):
    form = "pin_create" if persona == "participant" else "enter"
    data = {"category": category(the_map).pk, "text": "The crossing is dangerous", "place": bad, "channel": "paper"}
    response = world.client(persona).post(url(form, the_map), data)
    assert response.status_code == 400
    assert "Choose one of this map" in response.content.decode()
    assert not Pin.objects.exists()


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_a_pin_with_a_category_that_is_not_a_number_is_refused_with_a_clear_message(world, the_map, bad):
    response = post_pin(world.client("participant"), the_map, category=bad, location_text="Here")
    assert response.status_code == 400
    assert "Choose one of this map" in response.content.decode()
    assert not Pin.objects.exists()


@pytest.mark.parametrize("bad", [*NOT_IDS, 2**63, -5, 1.5, True, None])
def test_the_pin_services_refuse_a_category_or_place_that_is_not_a_number(world, the_map, bad):
    with pytest.raises(ValidationError) as error:
        services.pin_create(user=world.participant, map=the_map, category_id=bad, text="t", location_text="x")
    assert "category" in error.value.message_dict
    if bad is None:
        return  # no place is a good answer: the address was typed
    with pytest.raises(ValidationError) as error:
        services.pin_enter(
            user=world.facilitator,
            map=the_map,
            channel="paper",
            category_id=category(the_map).pk,
            text="t",
            place_id=bad,
        )
    assert "place" in error.value.message_dict
    assert not Pin.objects.exists()


def test_a_map_or_pin_number_too_large_for_the_database_is_a_404(world, the_map):
    pin = pins(the_map, 1)[0]
    huge = 10**30
    client = world.client("anonymous")
    base = f"/p/{the_map.project.slug}/maps/"
    assert client.get(f"{base}{huge}/").status_code == 404
    assert client.get(f"{base}{huge}/data.geojson", {"bbox": IN_CARDIFF}).status_code == 404
    assert client.get(f"{base}{the_map.pk}/pins/{huge}/").status_code == 404
    assert client.get(f"{base}{the_map.pk}/pins/{pin.pk}/").status_code == 200


# --- Photos from modern phones (JPEG with a multi-picture section) ---------------------------------------


def mpo() -> bytes:
    """A JPEG with a second picture after it (MPO), as many phones now save, with a location in its EXIF."""
    first = Image.new("RGB", (40, 20), "red")
    first.putpixel((0, 0), (0, 0, 255))
    second = Image.new("RGB", (40, 20), "green")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps_ifd[ExifTags.GPS.GPSLatitude] = (51.0, 28.0, 54.0)
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[second], exif=exif)
    return out.getvalue()


def test_a_phone_photo_with_a_multi_picture_section_is_accepted_as_a_jpeg_without_metadata(
    world, the_map, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    original = mpo()
    before = Image.open(io.BytesIO(original))
    assert before.format == "MPO" and getattr(before, "n_frames", 1) == 2  # really a multi-picture file
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    photo = SimpleUploadedFile("IMG_0002.jpg", original, content_type="image/jpeg")
    response = post_pin(world.client("participant"), the_map, location_text="Here", photo=photo, photo_alt="A kerb")
    assert response.status_code == 302
    pin = Pin.objects.get()
    assert pin.photo.name.endswith(".jpg")
    with pin.photo.open("rb") as f:
        stored = f.read()
    after = Image.open(io.BytesIO(stored))
    assert after.format == "JPEG" and getattr(after, "n_frames", 1) == 1  # the first picture, as a plain JPEG
    assert after.size == (40, 20)
    r, g, b = after.getpixel((20, 10))
    assert r > 200 and g < 60  # the red first picture, not the green second one
    assert dict(after.getexif()) == {}
    assert b"PhoneMaker" not in stored and b"Exif" not in stored and b"MPF" not in stored


# --- Two clicks on "add" ------------------------------------------------------------------------------


def test_adding_the_same_category_or_place_twice_is_a_clear_message(world, the_map):
    services.category_add(user=world.facilitator, map=the_map, name="Potholes")
    with pytest.raises(ValidationError, match="already has a category"):
        services.category_add(user=world.facilitator, map=the_map, name="Potholes")
    services.place_add(user=world.facilitator, map=the_map, name="City Hall", lat=51.486, lng=-3.179)
    with pytest.raises(ValidationError, match="already has a place"):
        services.place_add(user=world.facilitator, map=the_map, name="City Hall", lat=51.486, lng=-3.179)
    assert the_map.categories.filter(name="Potholes").count() == 1
    assert the_map.places.filter(name="City Hall").count() == 1


def test_a_double_click_that_races_past_the_check_is_a_clear_message_not_a_500(world, the_map, monkeypatch):
    """Two requests both pass the exists() check; the second create hits the unique constraint."""
    from django.db.models import QuerySet

    services.category_add(user=world.facilitator, map=the_map, name="Potholes")
    services.place_add(user=world.facilitator, map=the_map, name="City Hall", lat=51.486, lng=-3.179)
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)  # the other request has not committed yet
    with pytest.raises(ValidationError, match="already has a category"):
        services.category_add(user=world.facilitator, map=the_map, name="Potholes")
    with pytest.raises(ValidationError, match="already has a place"):
        services.place_add(user=world.facilitator, map=the_map, name="City Hall", lat=51.486, lng=-3.179)
    monkeypatch.undo()
    # The transaction is still usable, and nothing was added twice.
    assert the_map.categories.filter(name="Potholes").count() == 1
    assert the_map.places.filter(name="City Hall").count() == 1
    response = world.client("facilitator").post(url("category_add", the_map), {"name": "Potholes"})
    assert response.status_code == 400 and "already has a category" in response.content.decode()
