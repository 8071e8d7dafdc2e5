"""The renewal reminder flow (R10, docs/reminders.md).

- `schedules`: which schedule is in force for a contract end date; the default schedule.
- `planning`: one `Reminder` row per contract, rule and end date, set-based and idempotent;
  cancelling the planned reminders of a contract that is renewed, cancelled or moved.
- `dispatch` and `sending`: claiming due reminders under a lease, re-checking each at send time,
  storing letters through `channeldesk.documents` and handing e-mails to the outbox
  (`channeldesk.notifications`).
- `kinds`, `letters`, `emails`: what each template says and to whom.
- `services`: staff decisions (release, dismiss) and `reminders_run`, the whole sweep.
- `selectors`: lists, a reminder's history, the letters of a day's print batch.

docs/reminders.md describes the schedule, the states and the guarantees.
"""
