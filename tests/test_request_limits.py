"""Bodies over the limits are refused before they are read: 413, JSON under /api/, a Chinese page elsewhere."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.test import RequestFactory

from tests import factories
from tongban.cases.models import Case, CaseState, MaterialFile
from tongban.core.identifiers import make_id_card
from tongban.core.limits import RequestSizeLimitMiddleware

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def test_a_3_mb_json_body_gets_the_json_error(client):
    body = json.dumps({"name": "x" * (3 * MB)})
    r = client.post("/api/v1/cases/", body, content_type="application/json")
    assert r.status_code == 413 and r["Content-Type"] == "application/json"
    assert r.json()["code"] == "request_too_large" and "1 MB" in r.json()["message"]


def test_a_huge_login_post_is_refused_by_its_declared_length_before_it_is_read(client):
    r = client.post("/accounts/login/", {"username": "x", "password": "y"}, CONTENT_LENGTH=str(1024 * MB))
    assert r.status_code == 413 and "提交内容过大" in r.content.decode() and "1 MB" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "x", "password": "y" * (2 * MB)})  # 2 MB of form data
    assert r.status_code == 413


def test_a_malformed_content_length_is_a_400_not_a_500(client):
    r = client.post("/api/v1/cases/", "{}", content_type="application/json", CONTENT_LENGTH="12abc")
    assert r.status_code == 400 and r.json()["code"] == "bad_request"


def test_a_body_without_a_declared_length_is_counted_as_it_streams(settings):
    """A chunked body, de-chunked by the server (wsgi.input_terminated), has no Content-Length."""
    read = []

    def view(request):
        read.append(len(request.body))
        return HttpResponse("ok")

    middleware = RequestSizeLimitMiddleware(convert_exception_to_response(view))
    for size, status in ((MB // 2, 200), (2 * MB, 413)):
        request = RequestFactory().generic("POST", "/api/v1/cases/", b"", content_type="application/json")
        request.META.pop("CONTENT_LENGTH", None)
        request.META.update({"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(b"x" * size)})
        response = middleware(request)
        assert response.status_code == status
        if status == 413:
            assert json.loads(response.content)["code"] == "request_too_large"
    assert read == [MB // 2]


def test_an_upload_over_20_mb_stops_while_it_streams_and_nothing_is_accepted(client, admin):
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    client.force_login(clerk)
    food = factories.make_item(admin)
    client.post("/hall/new/", {"kind": "person", "id_number": make_id_card("370881", __import__("datetime").date(1988, 5, 6), 17),
                               "name": "孔繁星", "phone": "13905370001", "target": f"item:{food.implementation_code}"})
    case = Case.objects.get()
    form = {"action": "accept"}
    for m in food.versions.get().materials.all():
        form[f"m{m.pk}"] = "provided"
        form[f"f{m.pk}"] = SimpleUploadedFile(f"{m.pk}.pdf", factories.pdf_bytes())
    big = food.versions.get().materials.first()
    form[f"f{big.pk}"] = SimpleUploadedFile("scan.pdf", factories.pdf_bytes() + b"\0" * (21 * MB))
    r = client.post(f"/hall/cases/{case.number}/act/", form)
    assert r.status_code == 413 and "scan.pdf" in r.content.decode() and "20 MB" in r.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED and not MaterialFile.objects.exists()


def test_limits_are_per_route(client, settings):
    settings.REQUEST_MAX_BYTES = 1000
    assert client.post("/api/v1/cases/", {"name": "x" * 2000}, content_type="application/json").status_code == 413
    r = client.post("/workcal/notice/", {"year": "2027", "file": SimpleUploadedFile("n.csv", b"x" * 5000)})
    assert r.status_code != 413  # an upload route: the upload limits apply
