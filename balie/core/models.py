from django.db import models


class TimestampedModel(models.Model):
    """Base for Balie's rows: creation and change times, always aware (UTC in the database)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
