import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("balie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _warm_up(**_kwargs: object) -> None:
    """Load, once in the worker's main process, what the first burst of mail would otherwise
    load in every forked process: the Dutch public holidays (the `holidays` package imports
    its country data on first use), the acknowledgement template, the language models
    (4 s per process that loads them itself) and the e-mail address check (Django compiles
    its domain pattern, with its Unicode ranges, on first use: 20 ms, more on a busy machine,
    inside the first burst of every forked process)."""
    from django.core.validators import validate_email
    from django.template.loader import get_template

    from balie.core.language_detection import warm_up
    from balie.sla.business_time import load_public_holidays

    warm_up()
    load_public_holidays()
    get_template("tickets/email/acknowledgement.txt")
    validate_email("warm-up@voorbeeld.nl")
