"""Documents on S3-compatible object storage, against a real S3 server on loopback (moto's,
started by the test): letters are stored in the bucket, read back, bound into the print batch and
attached to outbox e-mails, with nothing under MEDIA_ROOT; the settings are read from the
environment (secrets from *_FILE)."""

from __future__ import annotations

import email
import os
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.selectors import reminder_letters_sent_on
from channeldesk.documents.models import Document
from channeldesk.documents.selectors import DocumentMissing, document_content
from channeldesk.documents.services import (
    DocumentStorageUnavailable,
    letter_store,
    letters_print_batch,
)
from channeldesk.notifications.dispatch import DispatchResult, outbox_dispatch
from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import AttachmentDraft, OutboxError
from tests.contracts.reminders_world import ADVANCE_DAY, LETTER_DAY, PLAN_DAY, reminder_of, world
from tests.documents.factories import page_texts, renewal_letter
from tests.notifications.factories import NOW, enqueue
from tests.notifications.sink import (  # noqa: F401 - fixture
    SmtpSink,
    free_port,
    smtp_sink_fixture,
)
from tests.operations.children import python_run

pytestmark = pytest.mark.django_db

BUCKET = "channeldesk-documents"
REGION = "eu-central-1"
ACCESS_KEY, SECRET_KEY = "test-access-key", "test-secret-key"  # moto accepts any


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port, for this module; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server: str, settings: Any, tmp_path: Path) -> Iterator[Any]:
    """An empty bucket, and the default storage pointed at it as settings.py does for
    STORAGE_BACKEND=s3; MEDIA_ROOT is a fresh directory that must stay empty."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": REGION,
                "location": "letters-archive",
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "file_overwrite": False,
                "default_acl": "private",
            },
        },
    }
    yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for stored in objects:
        client.delete_object(Bucket=BUCKET, Key=stored["Key"])
    client.delete_bucket(Bucket=BUCKET)


def bucket_keys(client: Any) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def bucket_bytes(client: Any, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def test_a_stored_letter_is_in_the_bucket_and_reads_back(bucket: Any, settings: Any) -> None:
    stored = letter_store(
        letter=renewal_letter("en"), kind="renewal", reference="V-2026-0042", key="reminder:1"
    )

    document = stored.document
    key = f"letters-archive/{document.file.name}"
    assert bucket_keys(bucket) == [key]
    content = bucket_bytes(bucket, key)
    assert document_content(document=document) == content
    assert content.startswith(b"%PDF-1.7\n")
    assert document.size_bytes == len(content)
    assert "Your contract V-2026-0042 ends on 1 December 2026" in page_texts(content)[0]
    assert not Path(settings.MEDIA_ROOT).exists()


def test_the_same_name_twice_never_overwrites_a_stored_letter(bucket: Any) -> None:
    # Two hosts racing for one letter write the same file name; the loser must not replace
    # (and then delete) the winner's PDF.
    first = default_storage.save("documents/2026/12/renewal-x.pdf", ContentFile(b"%PDF winner"))
    second = default_storage.save("documents/2026/12/renewal-x.pdf", ContentFile(b"%PDF loser"))
    default_storage.delete(second)

    assert first != second
    assert bucket_keys(bucket) == [f"letters-archive/{first}"]
    assert bucket_bytes(bucket, f"letters-archive/{first}") == b"%PDF winner"


def test_reminder_letters_go_to_the_bucket_into_the_batch_and_the_partners_copy(
    bucket: Any, settings: Any
) -> None:
    # Given a customer letter due today, stored in the bucket by the reminder run
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    report = reminders_dispatch(today=LETTER_DAY)
    document = Document.objects.get()
    archived = bucket_bytes(bucket, f"letters-archive/{document.file.name}")

    # When the day's print batch is bound from the bucket
    target = Path(settings.MEDIA_ROOT).parent / "batch.pdf"
    with target.open("wb") as stream:
        batch = letters_print_batch(
            documents=reminder_letters_sent_on(day=LETTER_DAY).iterator(), target=stream
        )

    # Then the letter was sent, the batch holds it, the partner's copy carries the same bytes
    assert report.sent == 2
    assert reminder_of("V-1", "renewal_letter").document_id == document.pk
    assert (batch.letters, batch.pages) == (1, document.page_count)
    assert "Ihr Vertrag V-1 endet am 31. Dezember 2026" in page_texts(target.read_bytes())[0]
    copy = OutboxMessage.objects.get(idempotency_key=reminder_of("V-1", "partner_letter_copy").key)
    assert bytes(copy.attachments.get().content) == archived
    assert not Path(settings.MEDIA_ROOT).exists()


def test_an_outbox_attachment_by_name_is_read_from_the_bucket_when_sent(
    bucket: Any, smtp_sink: SmtpSink
) -> None:
    # Given a letter in the bucket and an e-mail that names it (as tier notices do)
    stored = letter_store(
        letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="notice:1"
    )
    enqueue(
        attachments=[
            AttachmentDraft(
                filename="letter.pdf", path=stored.document.file.name, mimetype="application/pdf"
            )
        ]
    )

    # When the outbox sends it
    result = outbox_dispatch(now=NOW)

    # Then the mail carries the PDF exactly as in the bucket
    assert result == DispatchResult(claimed=1, sent=1)
    [received] = smtp_sink.received
    [attachment] = list(parsed(received.content).iter_attachments())
    assert attachment.get_filename() == "letter.pdf"
    assert attachment.get_content() == bucket_bytes(
        bucket, f"letters-archive/{stored.document.file.name}"
    )


def test_an_attachment_missing_from_the_bucket_fails_permanently(
    bucket: Any, smtp_sink: SmtpSink
) -> None:
    enqueue(attachments=[AttachmentDraft(filename="gone.pdf", path="documents/gone.pdf")])

    result = outbox_dispatch(now=NOW)

    message = OutboxMessage.objects.get()
    assert result == DispatchResult(claimed=1, failed=1)
    assert message.last_error.startswith("Cannot build the message: documents/gone.pdf is not")
    assert smtp_sink.received == []


def test_a_missing_file_is_named_and_nothing_is_bound(bucket: Any, settings: Any) -> None:
    stored = letter_store(
        letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="reminder:1"
    )
    bucket.delete_object(Bucket=BUCKET, Key=f"letters-archive/{stored.document.file.name}")

    with pytest.raises(DocumentMissing, match=f"bucket {BUCKET}/letters-archive"):
        document_content(document=stored.document)


@pytest.fixture
def unreachable_bucket(settings: Any) -> None:
    """An S3 endpoint nobody answers on, tried once."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": f"http://127.0.0.1:{free_port()}",
                "region_name": REGION,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "file_overwrite": False,
                "client_config": Config(retries={"total_max_attempts": 1}, connect_timeout=2),
            },
        },
    }


def test_an_unreachable_bucket_refuses_the_letter_and_stores_no_row(
    unreachable_bucket: None,
) -> None:
    with pytest.raises(DocumentStorageUnavailable, match="EndpointConnectionError"):
        letter_store(
            letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="reminder:1"
        )

    assert Document.objects.count() == 0


def test_an_unreachable_bucket_means_the_e_mail_is_tried_again_later(
    unreachable_bucket: None, smtp_sink: SmtpSink
) -> None:
    enqueue(attachments=[AttachmentDraft(filename="letter.pdf", path="documents/a.pdf")])

    result = outbox_dispatch(now=NOW)

    message = OutboxMessage.objects.get()
    assert result == DispatchResult(claimed=1, retried=1)
    assert message.status == "retry"
    assert message.last_error.startswith("Cannot build the message yet: The document storage")
    assert smtp_sink.received == []


@pytest.mark.processes
def test_the_environment_selects_the_bucket_with_credentials_from_files(
    bucket: Any, s3_server: str, tmp_path: Path
) -> None:
    # Given the documented variables, the secrets in files, in a process of its own
    (tmp_path / "access").write_text(ACCESS_KEY + "\n")
    (tmp_path / "secret").write_text(SECRET_KEY + "\n")
    environment = {
        **os.environ,
        "CHANNELDESK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "channeldesk.settings",
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_LOCATION": "from-environment",
        "AWS_ACCESS_KEY_ID_FILE": str(tmp_path / "access"),
        "AWS_SECRET_ACCESS_KEY_FILE": str(tmp_path / "secret"),
    }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        environment.pop(name, None)
    script = (
        "import django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage\n"
        "print(default_storage.save('documents/probe.pdf', ContentFile(b'%PDF probe')))\n"
    )

    # When it stores a file through the default storage
    finished = python_run("-c", script, environment=environment)

    # Then it is in the bucket under the prefix, and nothing in the data directory
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "documents/probe.pdf"
    assert bucket_bytes(bucket, "from-environment/documents/probe.pdf") == b"%PDF probe"
    assert not (tmp_path / "var" / "media").exists()


@pytest.mark.parametrize(
    ("variables", "refusal"),
    [
        ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME."),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND=ftp: use 'filesystem'"),
    ],
)
@pytest.mark.processes
def test_an_incomplete_storage_setting_is_refused_at_start(
    variables: dict[str, str], refusal: str, tmp_path: Path
) -> None:
    environment = {
        **os.environ,
        "CHANNELDESK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "channeldesk.settings",
        **variables,
    }
    environment.pop("AWS_STORAGE_BUCKET_NAME", None)

    finished = python_run("-c", "import django; django.setup()", environment=environment)

    assert finished.returncode != 0
    assert refusal in finished.stderr


@pytest.mark.parametrize("path", ["/etc/passwd", "documents/../../secret.pdf", "\\\\host\\x.pdf"])
def test_an_attachment_path_outside_the_storage_is_refused_and_nothing_stored(path: str) -> None:
    with pytest.raises(OutboxError, match="must be a name in the document storage"):
        enqueue(attachments=[AttachmentDraft(filename="x.pdf", path=path)])

    assert OutboxMessage.objects.count() == 0
