from __future__ import annotations

from celery import shared_task


@shared_task
def check_idle_chats() -> str:
    from .idle import check_idle

    warned, closed = check_idle()
    return f"{warned} warned, {closed} closed"
