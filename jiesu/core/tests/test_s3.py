"""Attachments in S3-compatible object storage (JIESU_STORAGE=s3, django-storages; issue 19), against a local
S3-compatible server (moto in server mode on 127.0.0.1): uploaded through the API, private in the bucket, read
back only through jiesu's access check, deleted when their transaction fails, and a store that cannot be reached
answered 507 in JSON."""

import socket

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from moto.server import ThreadedMotoServer

from jiesu.core import storage
from jiesu.core.tokens import create_token
from jiesu.tickets.models import Attachment

BUCKET = "jiesu-test"
KEYS = {"access_key": "testing", "secret_key": "testing"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _s3_settings(settings, endpoint):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "us-east-1", "location": "media",
        "default_acl": "private", "file_overwrite": False, "querystring_auth": True, **KEYS}}}


@pytest.fixture
def bucket(s3_server, settings, tmp_path):
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_ROOT = str(tmp_path / "local-media")  # must stay empty
    _s3_settings(settings, s3_server)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _objects(client) -> dict[str, bytes]:
    return {item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_attachments_live_in_the_bucket_and_are_read_through_jiesu(world, bucket, tmp_path):
    ticket = world.new_ticket()
    _, key = create_token(user=world.operator, name="测试")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    data = b"%PDF-1.4 " + bytes(range(256)) * 40
    response = api.post(f"/api/v1/tickets/{ticket.number}/attachments",
                        {"file": SimpleUploadedFile("现场情况.pdf", data)})
    assert response.status_code == 201, response.content

    stored = _objects(bucket)
    assert len(stored) == 1 and list(stored.values()) == [data]
    assert next(iter(stored)).startswith("media/attachments/")
    assert not (tmp_path / "local-media").exists()  # nothing on the app server's disk
    acl = bucket.get_object_acl(Bucket=BUCKET, Key=next(iter(stored)))
    assert all(g["Grantee"].get("URI", "").endswith("AllUsers") is False for g in acl["Grants"])  # private

    attachment = Attachment.objects.get(ticket=ticket)
    url = f"/tickets/{ticket.number}/attachments/{attachment.pk}/"
    reader = Client()
    reader.force_login(world.operator)
    assert b"".join(reader.get(url).streaming_content) == data
    outsider = Client()
    outsider.force_login(world.handler_b)  # another unit: the ticket is not theirs
    assert outsider.get(url).status_code == 404


def test_an_object_stored_by_a_failed_transaction_is_deleted(bucket):
    @storage.files_follow_transaction
    def store_then_fail():
        storage.written(default_storage.save("attachments/x/现场.jpg", ContentFile(b"\xff\xd8\xff" + b"1" * 100)))
        assert len(_objects(bucket)) == 1
        raise RuntimeError("the history entry could not be written")

    with pytest.raises(RuntimeError):
        store_then_fail()
    assert _objects(bucket) == {}


def test_an_unreachable_store_is_507_in_json(world, settings):
    _s3_settings(settings, f"http://127.0.0.1:{_port()}")  # nothing listens there
    settings.STORAGES["default"]["OPTIONS"]["client_config"] = __import__("botocore.config").config.Config(
        connect_timeout=1, retries={"max_attempts": 1})
    ticket = world.new_ticket()
    _, key = create_token(user=world.operator, name="测试")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}", raise_request_exception=False)
    response = api.post(f"/api/v1/tickets/{ticket.number}/attachments",
                        {"file": SimpleUploadedFile("现场.pdf", b"%PDF-1.4 abc")})
    assert response.status_code == 507 and response.json()["code"] == "storage_unavailable"
    assert not Attachment.objects.filter(ticket=ticket).exists()
