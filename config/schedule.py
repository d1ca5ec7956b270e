"""Every periodic job of Balie, in one place."""

import os
from datetime import timedelta

CELERY_BEAT_SCHEDULE = {
    "poll-accounts": {
        "task": "balie.intake.tasks.poll_accounts",
        "schedule": timedelta(seconds=int(os.environ.get("BALIE_IMAP_POLL_SECONDS", "60"))),
    },
    "retry-outbox": {
        "task": "balie.messaging.tasks.retry_outbox",
        "schedule": timedelta(seconds=30),
    },
    "record-worker-heartbeat": {
        "task": "balie.core.tasks.record_worker_heartbeat",
        "schedule": timedelta(seconds=20),
    },
    "replay-stuck-envelopes": {
        "task": "balie.intake.tasks.process_pending_envelopes",
        "schedule": timedelta(minutes=2),
    },
    "chat-idle": {
        "task": "balie.chat.tasks.check_idle_chats",
        "schedule": timedelta(seconds=15),
    },
    "check-sla-clocks": {
        "task": "balie.sla.tasks.check_sla_clocks",
        "schedule": timedelta(minutes=1),
    },
    "run-ticket-lifecycle": {
        "task": "balie.automation.tasks.run_lifecycle",
        "schedule": timedelta(minutes=15),
    },
    "wake-snoozed-tickets": {
        "task": "balie.automation.tasks.wake_snoozed_tickets",
        "schedule": timedelta(minutes=1),
    },
    "routing-tick": {
        "task": "balie.routing.tasks.routing_tick",
        "schedule": timedelta(seconds=5),
    },
}
