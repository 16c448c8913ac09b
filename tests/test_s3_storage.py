"""Files on S3-compatible object storage when S3_BUCKET is set (django-storages), against a real S3 API served by
moto's server over HTTP; the local folder stays the default when it is not set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def settings_storage(**env) -> str:
    code = "import tongban.settings as s; print(s.STORAGES['default']['BACKEND'], s.STORAGES['default'].get('OPTIONS', {}).get('bucket_name'))"
    full = {k: v for k, v in os.environ.items() if not k.startswith("S3_")} | {"TONGBAN_DEMO": "1", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, check=True).stdout.strip()


def test_the_bucket_setting_switches_the_default_storage():
    assert settings_storage() == "django.core.files.storage.FileSystemStorage None"
    assert settings_storage(S3_BUCKET="tongban-jining", S3_ENDPOINT_URL="https://oss.example.gov.cn") == "storages.backends.s3.S3Storage tongban-jining"


@pytest.fixture
def s3_server():
    moto = pytest.importorskip("moto.server")
    import boto3

    server = moto.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test", region_name="cn-north-1")
    client.create_bucket(Bucket="tongban-test", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    yield url, client
    server.stop()


@pytest.mark.django_db
def test_case_files_go_to_the_bucket_and_come_back(s3_server, settings):
    url, client = s3_server
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": "tongban-test", "endpoint_url": url, "access_key": "test", "secret_key": "test", "region_name": "cn-north-1",
        "default_acl": "private", "file_overwrite": False, "querystring_auth": True}}}
    from django.core.files.storage import storages

    default_storage = storages["default"]
    assert type(default_storage).__name__ == "S3Storage"
    pdf = factories.pdf_bytes()
    name = default_storage.save("cases/2025/03/营业执照.pdf", ContentFile(pdf))
    again = default_storage.save("cases/2025/03/营业执照.pdf", ContentFile(b"%PDF-1.7 other"))
    assert name != again  # never overwritten
    assert client.get_object(Bucket="tongban-test", Key=name)["Body"].read() == pdf
    with default_storage.open(name) as fh:
        assert fh.read() == pdf
    assert "X-Amz-Signature" in default_storage.url(name) or "Signature" in default_storage.url(name)
    default_storage.delete(name)
    assert not default_storage.exists(name)
