"""The SLA report for team leads and admins, on screen and as CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from balie.accounts.views import agent_required
from balie.tickets.access import tickets_for

from .forms import PeriodForm
from .sla_figures import WALL, SlaReport
from .sla_figures import sla_report as build_sla_report


def team_lead_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    @agent_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.agent.is_team_lead:  # type: ignore[attr-defined]
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _report(request: HttpRequest) -> tuple[PeriodForm, SlaReport | None]:
    form = PeriodForm.from_query(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    tickets = tickets_for(request.agent)  # type: ignore[attr-defined]
    return form, build_sla_report(
        tickets, start=data["van"], end=data["tot"], time_kind=data["tijd"]
    )


@team_lead_required
@require_GET
def sla_report(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    return render(
        request,
        "reporting/sla.html",
        {"form": form, "report": report, "wall": WALL, "query": request.GET.urlencode()},
        status=200 if report else 400,
    )


def minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


@team_lead_required
@require_GET
def sla_report_csv(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    filename = f"sla-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("indeling"),
            _("groep"),
            _("tickets"),
            _("eerste reactie gehaald"),
            _("eerste reactie overschreden"),
            _("eerste reactie naleving (%)"),
            _("oplossing gehaald"),
            _("oplossing overschreden"),
            _("oplossing naleving (%)"),
            _("eerste reactie mediaan (min)"),
            _("eerste reactie p90 (min)"),
            _("oplossing mediaan (min)"),
            _("oplossing p90 (min)"),
            _("tijd"),
        ]
    )
    kind = _("kloktijd") if report.time_kind == WALL else _("zakelijke tijd")
    for row in report.rows():
        writer.writerow(
            [
                _("team") if row.dimension == "team" else _("kanaal"),
                row.label,
                row.tickets,
                row.first_response_met,
                row.first_response_breached,
                percent(row.first_response_compliance),
                row.resolution_met,
                row.resolution_breached,
                percent(row.resolution_compliance),
                minutes(row.first_response_median),
                minutes(row.first_response_p90),
                minutes(row.resolution_median),
                minutes(row.resolution_p90),
                kind,
            ]
        )
    return response
