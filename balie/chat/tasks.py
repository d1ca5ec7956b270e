from __future__ import annotations

from celery import shared_task


@shared_task
def check_idle_chats() -> str:
    from .idle import check_idle
    from .leaving import give_up_places

    warned, closed = check_idle()
    left = give_up_places()
    return f"{warned} warned, {closed} closed, {left} left the queue"
