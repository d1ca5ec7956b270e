"""Admin for calendars, closures and policies. Every change clears the cached calendars in all
processes and recomputes the due times of running clocks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from .calendars import forget_calendars
from .models import Calendar, CalendarAssignment, Closure, OpeningHours, SlaClock, SlaPolicy


class RecomputeOnChange(admin.ModelAdmin):
    def _changed(self) -> None:
        from .tasks import recompute_sla_due_times

        forget_calendars()
        transaction.on_commit(lambda: recompute_sla_due_times.delay())

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._changed()

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        self._changed()

    def delete_model(self, request: Any, obj: Any) -> None:
        super().delete_model(request, obj)
        self._changed()


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.StackedInline):
    model = Closure
    extra = 0


class AssignmentInline(admin.TabularInline):
    model = CalendarAssignment
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(RecomputeOnChange):
    list_display = ["name", "is_default", "closed_on_public_holidays", "liberation_day"]
    inlines = [OpeningHoursInline, ClosureInline, AssignmentInline]


@admin.register(Closure)
class ClosureAdmin(RecomputeOnChange):
    list_display = ["reason_nl", "calendar", "kind", "date", "weekday", "starts_at", "ends_at"]
    list_filter = ["calendar", "kind"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(RecomputeOnChange):
    list_display = [
        "name",
        "position",
        "is_active",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
    ]
    list_editable = ["position", "is_active"]


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = ["ticket_id", "kind", "state", "due_at", "warned_at", "breached_at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
