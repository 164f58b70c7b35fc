"""Attachments are whole and recorded, or not there at all (issue 19): a full disk answers 507 in the API's JSON
and leaves no partial file and no row; a file stored by an action that then fails is deleted again."""

import os
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiesu.core import storage
from jiesu.core.tokens import create_token
from jiesu.tickets.models import Attachment, TicketEvent


def _files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]


@pytest.fixture
def small_disk(tmp_path, settings):
    """A real 256 KB filesystem as the attachment store."""
    mount = tmp_path / "media"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"no small filesystem for the full-disk test (mounting a tmpfs needs root): {done.stderr!r}")
    settings.MEDIA_ROOT = str(mount)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_answers_507_and_leaves_nothing_behind(world, small_disk):
    ticket = world.new_ticket()
    _, key = create_token(user=world.operator, name="测试")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}", raise_request_exception=False)
    url = f"/api/v1/tickets/{ticket.number}/attachments"

    small = api.post(url, {"file": SimpleUploadedFile("回执.pdf", b"%PDF-1.4 " + b"x" * 10_000)})
    assert small.status_code == 201, small.content  # the store works
    stored, events = _files(small_disk), TicketEvent.objects.filter(ticket=ticket).count()
    assert len(stored) == 1

    big = api.post(url, {"file": SimpleUploadedFile("现场录像.pdf", b"%PDF-1.4 " + b"x" * 400_000)})
    assert big.status_code == 507
    assert big["Content-Type"].startswith("application/json")
    assert big.json()["code"] == "storage_unavailable" and "存储" in big.json()["message"]
    assert _files(small_disk) == stored  # no partial file, no temporary one
    assert Attachment.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_a_full_disk_is_a_chinese_page_in_the_ui(world, small_disk, client):
    ticket = world.new_ticket()
    client.force_login(world.operator)
    client.raise_request_exception = False
    page = client.post(f"/tickets/{ticket.number}/act/attach/",
                       {"file": SimpleUploadedFile("现场录像.pdf", b"%PDF-1.4 " + b"x" * 400_000)})
    assert page.status_code == 507 and "文件存储暂时不可用" in page.content.decode()
    assert _files(small_disk) == []


def test_files_stored_by_a_transaction_that_fails_are_deleted(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)

    @storage.files_follow_transaction
    def store_then_fail():
        name = default_storage.save("attachments/t/现场.jpg", ContentFile(b"\xff\xd8\xff" + b"1" * 100))
        storage.written(name)
        assert os.path.exists(default_storage.path(name))
        raise RuntimeError("the history entry could not be written")

    with pytest.raises(RuntimeError):
        store_then_fail()
    assert _files(tmp_path) == []


def test_the_store_never_replaces_a_file(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    first = default_storage.save("a/b.pdf", ContentFile(b"%PDF one"))
    second = default_storage.save("a/b.pdf", ContentFile(b"%PDF two"))
    assert first != second
    assert [default_storage.open(n).read() for n in (first, second)] == [b"%PDF one", b"%PDF two"]
    assert not [f for f in _files(tmp_path) if f.endswith(".part")]


def test_a_citizens_photo_the_store_cannot_take_registers_nothing(world, small_disk, settings):
    """诉求提交 with two photos, the second too big for what is left of the store: a 507 page, no request left
    registered without its photo, no file left behind; the same form then goes through with the same code."""
    import io
    import random
    import uuid

    from PIL import Image

    from jiesu.portal.tests.test_submit import PHONE, _codes_sent, _form, _photo, _send_code
    from jiesu.tickets.models import Ticket

    noise = Image.frombytes("RGB", (700, 700), random.Random(7).randbytes(700 * 700 * 3))
    big = io.BytesIO()
    noise.save(big, format="JPEG", quality=95)
    assert big.tell() > 300_000
    client = Client(raise_request_exception=False)
    _send_code(client)
    code = _codes_sent(PHONE)[-1]
    form = {**_form(), "sms_code": code, "submission_key": uuid.uuid4().hex}

    page = client.post("/submit/", {**form, "photos": [SimpleUploadedFile("近景.jpg", _photo()),
                                                      SimpleUploadedFile("远景.jpg", big.getvalue())]})
    shown = page.content.decode()
    assert page.status_code == 507 and "照片暂时无法保存" in shown and "这次没有提交" in shown
    assert "12345" in shown and "登录" not in shown  # a citizen's page: no staff links
    assert not Ticket.objects.filter(caller_phone=PHONE).exists()
    assert _files(small_disk) == []  # the first photo, stored, is gone again with the transaction

    done = client.post("/submit/", {**form, "photos": [SimpleUploadedFile("近景.jpg", _photo())]}, follow=True)
    assert "您的诉求已受理" in done.content.decode()
    ticket = Ticket.objects.get(caller_phone=PHONE)
    assert Attachment.objects.filter(ticket=ticket).count() == 1 and len(_files(small_disk)) == 1
