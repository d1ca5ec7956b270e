"""Rules as JSON: download all or one, upload a file to create them (all or none), with clear
Dutch errors for a bad file."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from balie.automation import actions
from balie.automation.models import Rule

pytestmark = pytest.mark.django_db
IMPORT = "/beheer/regels/importeren/"


@pytest.fixture
def admin_client(client, admin_agent):
    client.force_login(admin_agent.user)
    return client


@pytest.fixture
def rules(cast, admin_agent):
    first = actions.create_rule(
        by=admin_agent,
        name="Storing is urgent",
        event="ticket.created",
        conditions=[{"field": "text", "op": "contains", "value": "storing"}],
        actions=[{"type": "set_field", "field": "priority", "value": "urgent"}],
        description="Voor de monteurs",
    )
    second = actions.create_rule(
        by=admin_agent,
        name="Te laat naar techniek",
        event="sla.breached",
        conditions=[],
        actions=[{"type": "assign_team", "team": "techniek"}],
        is_active=False,
    )
    return [first, second]


def upload(client, content: bytes | str, **extra):
    raw = content.encode() if isinstance(content, str) else content
    data = {"file": SimpleUploadedFile("regels.json", raw, content_type="application/json")}
    return client.post(IMPORT, {**data, **extra})


def test_all_rules_download_as_json_and_come_back_switched_off(admin_client, rules):
    response = admin_client.get("/beheer/regels/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="balie-regels-')
    document = json.loads(response.content)
    assert (document["balie"], document["versie"]) == ("regels", 1)
    assert [r["name"] for r in document["rules"]] == ["Storing is urgent", "Te laat naar techniek"]
    assert document["rules"][0]["conditions"] == rules[0].conditions

    Rule.objects.all().delete()
    imported = upload(admin_client, response.content)

    assert imported.status_code == 302
    again = list(Rule.objects.order_by("position"))
    assert [(r.name, r.event, r.is_active) for r in again] == [
        ("Storing is urgent", "ticket.created", False),
        ("Te laat naar techniek", "sla.breached", False),
    ]
    assert again[0].actions == rules[0].actions
    assert again[0].description == "Voor de monteurs"
    page = admin_client.get("/beheer/regels/").content.decode()
    assert "2 regels geïmporteerd. Ze staan uit" in page


def test_one_rule_downloads_and_imports_as_it_was_when_asked(admin_client, rules):
    response = admin_client.get(f"/beheer/regels/{rules[0].pk}/export/")
    assert [r["name"] for r in json.loads(response.content)["rules"]] == ["Storing is urgent"]

    upload(admin_client, response.content, keep_active="on")

    copies = Rule.objects.filter(name="Storing is urgent").order_by("id")
    assert [c.is_active for c in copies] == [True, True]


def test_a_single_rule_object_is_accepted(admin_client, cast):
    rule = {
        "name": "Label",
        "event": "message.received",
        "actions": [{"type": "add_tag", "tag": "klant-schreef"}],
    }

    assert upload(admin_client, json.dumps(rule)).status_code == 302
    assert Rule.objects.get().conditions == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"rules": [', "Geen geldige JSON (regel 1, kolom 12)"),
        (b"\xff\xfe\x00n\x00i", "Het bestand is geen UTF-8-tekst."),
        ("", "Het bestand is leeg."),
        ("42", "Verwacht een export van regels"),
        ('{"balie": "regels", "versie": 9, "rules": []}', "geen regel-export van deze versie"),
        ('{"rules": []}', "Het bestand bevat geen regels."),
        ("[" * 100_000 + "]" * 100_000, "te diep genest"),
        (b" " * 1_000_001, "te groot"),
    ],
)
def test_a_bad_file_is_refused_with_a_reason(admin_client, cast, content, message):
    response = upload(admin_client, content)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Rule.objects.exists()


def test_one_bad_rule_imports_nothing_and_names_each_error(admin_client, cast):
    document = {
        "balie": "regels",
        "versie": 1,
        "rules": [
            {
                "name": "Goed",
                "event": "ticket.created",
                "actions": [{"type": "add_tag", "tag": "a"}],
            },
            {
                "name": "Fout team",
                "event": "ticket.created",
                "conditions": [{"field": "team", "op": "is", "value": "verkoop"}],
                "actions": [{"type": "assign_team", "team": "verkoop"}],
            },
            {"name": "", "event": "ticket.deleted", "actions": [], "id": 4},
        ],
    }

    response = upload(admin_client, json.dumps(document))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Regel 2 («Fout team»): Voorwaarde 1: onbekend team &#x27;verkoop&#x27;." in html
    assert "Regel 2 («Fout team»): Actie 1: onbekend team &#x27;verkoop&#x27;." in html
    assert "Regel 3: onbekende sleutels id." in html
    assert "Regel 3: geef een naam." in html
    assert "Regel 3: onbekende gebeurtenis &#x27;ticket.deleted&#x27;" in html
    assert "Regel 3: Acties moeten een lijst zijn met minstens één actie." in html
    assert not Rule.objects.exists()


def test_only_admins_export_and_import(client, cast, rules):
    client.force_login(cast.anna.user)

    assert client.get("/beheer/regels/export/").status_code == 403
    assert client.get(f"/beheer/regels/{rules[0].pk}/export/").status_code == 403
    assert upload(client, "[]").status_code == 403


def test_the_edit_page_shows_the_rule_as_json(admin_client, rules):
    html = admin_client.get(f"/beheer/regels/{rules[0].pk}/").content.decode()

    assert "Deze regel als JSON" in html
    assert "&quot;priority&quot;" in html
    assert f"/beheer/regels/{rules[0].pk}/export/" in html
