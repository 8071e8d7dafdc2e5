"""A helper process for the fault tests: it does what the application's other parts would do
(create logins, queue e-mails, enqueue jobs) through the public functions, one command per line
on stdin, one answer per line on stdout ("ok ..." or "error ...").

    users PREFIX N        N logins PREFIX-0 … with e-mail PREFIX-i@example.com
    mail PREFIX N         N e-mails into the outbox, keys PREFIX-i, to PREFIX-i@example.com
    dispatch              enqueue the outbox dispatch job now; answers its task id
    schedule SECONDS      enqueue it to run in SECONDS; answers its task id

Run with DJANGO_SETTINGS_MODULE and the environment of the processes under test.
"""

from __future__ import annotations

import sys

import django


def _users(prefix: str, count: int) -> str:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    model.objects.bulk_create(
        model(username=f"{prefix}-{i}", email=f"{prefix}-{i}@example.com", password="!")
        for i in range(count)
    )
    return str(count)


def _mail(prefix: str, count: int) -> str:
    from channeldesk.notifications.services import MessageDraft, outbox_enqueue_many

    drafts = [
        MessageDraft(
            key=f"{prefix}-{i}",
            to=[f"{prefix}-{i}@example.com"],
            subject=f"Fault test {prefix} {i}",
            text="Hello.",
        )
        for i in range(count)
    ]
    return str(sum(result.created for result in outbox_enqueue_many(drafts=drafts)))


def _dispatch(delay: int | None = None) -> str:
    """Enqueue the job as the scheduler would (a periodic task called is enqueued once)."""
    from channeldesk.jobs.tasks import outbox_minutely_dispatch

    if delay is None:
        return str(outbox_minutely_dispatch().id)
    return str(outbox_minutely_dispatch.schedule(delay=delay).id)


def answer(line: str) -> str:
    command, *arguments = line.split()
    if command == "users":
        return _users(arguments[0], int(arguments[1]))
    if command == "mail":
        return _mail(arguments[0], int(arguments[1]))
    if command == "dispatch":
        return _dispatch()
    if command == "schedule":
        return _dispatch(int(arguments[0]))
    raise ValueError(f"unknown command {command!r}")


def main() -> None:
    django.setup()
    for line in sys.stdin:
        try:
            reply = "ok " + answer(line)
        except Exception as error:  # the test reads any error as the answer
            reply = f"error {type(error).__name__}: {error}".replace("\n", " ")
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
