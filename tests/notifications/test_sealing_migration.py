"""Account e-mails stored before bodies were sealed: the migration seals or strips them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from channeldesk.notifications.delivery import email_for
from channeldesk.notifications.models import OutboxMessage

BEFORE = [("notifications", "0001_initial")]
LINK = "http://testserver/accounts/password/reset/key/4-abc-0123456789abcdef/"


# Serialized: the flush after it then skips post_migrate, so a later serialized test (they run
# last, in any order under xdist) restores the migrations' rows onto an empty database.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_stored_account_mails_are_sealed_or_stripped_by_the_migration() -> None:
    # Given the outbox before sealing, with a reset e-mail waiting, one sent and a reminder,
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_state = executor.loader.project_state(BEFORE).apps
    message_model = old_state.get_model("notifications", "OutboxMessage")
    common = {"to": ["a@example.com"], "subject": "s", "next_attempt_at": "2026-01-01T00:00Z"}
    for key, status, category in [
        ("account:waiting", "pending", "account"),
        ("account:sent", "sent", "account"),
        ("reminder:1:partner", "pending", "reminder:x"),
    ]:
        message_model.objects.create(
            idempotency_key=key,
            category=category,
            status=status,
            text_body=f"Reset: {LINK}",
            message_id=f"<{key}@x>",
            created_at="2026-01-01T00:00Z",
            **common,
        )

    # when the migration runs (and any later one: the schema ends as it was),
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("notifications"))

    # the waiting one is sealed (delivery still sends the link), the sent one keeps no text,
    messages = {message.idempotency_key: message for message in OutboxMessage.objects.all()}
    waiting = messages["account:waiting"]
    assert waiting.sensitive
    assert LINK not in waiting.text_body
    assert email_for(waiting).body == f"Reset: {LINK}"
    assert LINK not in messages["account:sent"].text_body
    assert not messages["account:sent"].sensitive
    # and other messages are untouched.
    assert messages["reminder:1:partner"].text_body == f"Reset: {LINK}"
    OutboxMessage.objects.all().delete()
