"""Rules as a JSON file, to keep, move to another Balie or review: `export_rules` writes them,
`import_rules` reads such a file and creates its rules, all or none, after checking every rule
as the form does (clear Dutch errors naming the rule and the part).

The file: {"balie": "regels", "versie": 1, "rules": [{"name", "event", "is_active",
"description", "conditions", "actions"}, …]}. Import also takes a bare list of rules or one
rule. Teams and agents are named by slug and username, macros by their number in this Balie.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Agent

from .models import Event, Rule
from .rule_conditions import validate_conditions
from .rule_effects import validate_actions

FORMAT = "regels"
VERSION = 1
MAX_BYTES = 1_000_000
MAX_RULES = 200
KEYS = {"name", "event", "is_active", "description", "conditions", "actions"}


class ImportRefused(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def rule_data(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "event": rule.event,
        "is_active": rule.is_active,
        "description": rule.description,
        "conditions": rule.conditions,
        "actions": rule.actions,
    }


def export_rules(rules: Iterable[Rule]) -> str:
    document = {
        "balie": FORMAT,
        "versie": VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "rules": [rule_data(rule) for rule in rules],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _parse(raw: bytes) -> Any:
    if len(raw) > MAX_BYTES:
        raise ImportRefused([_("Het bestand is te groot (hooguit 1 MB).")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused([_("Het bestand is geen UTF-8-tekst.")]) from error
    if not text.strip():
        raise ImportRefused([_("Het bestand is leeg.")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(
            [
                _("Geen geldige JSON (regel %(line)s, kolom %(col)s): %(msg)s")
                % {"line": error.lineno, "col": error.colno, "msg": error.msg}
            ]
        ) from error
    except RecursionError as error:
        raise ImportRefused([_("De JSON is te diep genest.")]) from error


def _rules_in(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "rules" in document:
        if document.get("balie", FORMAT) != FORMAT or document.get("versie", VERSION) != VERSION:
            raise ImportRefused(
                [
                    _(
                        "Dit bestand is geen regel-export van deze versie van Balie (regels, versie 1)."
                    )
                ]
            )
        if not isinstance(document["rules"], list):
            raise ImportRefused([_("«rules» moet een lijst van regels zijn.")])
        return document["rules"]
    if isinstance(document, dict):
        return [document]
    raise ImportRefused([_("Verwacht een export van regels, een lijst van regels of één regel.")])


def rule_errors(item: Any) -> list[str]:
    """What is wrong with one rule of a file, in Dutch."""
    if not isinstance(item, dict):
        return [_("moet een object zijn.")]
    errors: list[str] = []
    unknown = set(item) - KEYS
    if unknown:
        errors.append(_("onbekende sleutels %(k)s.") % {"k": ", ".join(sorted(map(str, unknown)))})
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(_("geef een naam."))
    elif len(name.strip()) > 120:
        errors.append(_("de naam is hooguit 120 tekens."))
    event = item.get("event")
    if not isinstance(event, str) or event not in Event.values:
        errors.append(
            _("onbekende gebeurtenis %(e)r (kies uit %(ok)s).")
            % {"e": event, "ok": ", ".join(Event.values)}
        )
    if not isinstance(item.get("is_active", True), bool):
        errors.append(_("is_active moet true of false zijn."))
    description = item.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        errors.append(_("de toelichting moet een tekst van hooguit 2000 tekens zijn."))
    errors += validate_conditions(item.get("conditions", []))
    errors += validate_actions(item.get("actions"))
    return errors


def check_rules(raw: bytes) -> list[dict[str, Any]]:
    """The rules of a file, checked; raises ImportRefused with every error found."""
    items = _rules_in(_parse(raw))
    if not items:
        raise ImportRefused([_("Het bestand bevat geen regels.")])
    if len(items) > MAX_RULES:
        raise ImportRefused([_("Hooguit %(n)s regels per bestand.") % {"n": MAX_RULES}])
    errors: list[str] = []
    for number, item in enumerate(items, start=1):
        name = item.get("name") if isinstance(item, dict) else None
        label = (
            _("Regel %(n)s («%(name)s»): ") % {"n": number, "name": name[:60]}
            if isinstance(name, str) and name.strip()
            else _("Regel %(n)s: ") % {"n": number}
        )
        errors += [label + error for error in rule_errors(item)]
    if errors:
        raise ImportRefused(errors)
    return items


def import_rules(raw: bytes, *, by: Agent, keep_active: bool = False) -> list[Rule]:
    """Create every rule of the file after the existing ones, or none. Unless `keep_active`,
    they arrive switched off, to be looked at and switched on one by one."""
    from .actions import create_rule

    items = check_rules(raw)
    with transaction.atomic():
        return [
            create_rule(
                by=by,
                name=item["name"].strip(),
                event=item["event"],
                conditions=item.get("conditions", []),
                actions=item["actions"],
                is_active=bool(item.get("is_active", True)) and keep_active,
                description=item.get("description", ""),
            )
            for item in items
        ]
