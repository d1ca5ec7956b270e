"""The API's codes are English identifiers, listed as enums in its schema."""


def test_the_openapi_schema_lists_the_english_codes_for_what_goes_in_and_out(client):
    # when a client reads the API schema
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    # then statuses, priorities, types, channels and tiers are enums of English codes
    assert schemas["Status"]["enum"] == ["new", "open", "pending", "on_hold", "solved", "closed"]
    assert schemas["Priority"]["enum"] == ["low", "normal", "high", "urgent"]
    assert {"phone", "visit", "letter", "portal"} <= set(schemas["Channel"]["enum"])
    assert schemas["Tier"]["enum"] == ["standard", "business", "vip"]
    # and tickets going out use them
    out = schemas["TicketOut"]["properties"]
    for field, enum in (("status", "Status"), ("priority", "Priority"), ("channel", "Channel")):
        assert out[field]["$ref"] == f"#/components/schemas/{enum}"


def test_the_inbox_views_and_sorts_are_english_codes_in_the_api(client, cast):
    from balie.accounts.actions import create_api_token
    from balie.accounts.models import TokenScope
    from balie.core.actors import SYSTEM

    # the schema lists them
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["View"]["enum"] == [
        "mine",
        "unassigned",
        "team",
        "all_open",
        "waiting",
        "solved",
        "all",
    ]
    assert schemas["Sort"]["enum"] == ["deadline", "recent", "least_recent", "newest", "oldest"]

    # and the list takes them, and refuses the Dutch ones it took before
    raw = create_api_token(cast.anna, name="crm", scope=TokenScope.READ, by=SYSTEM)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert (
        client.get("/api/v1/tickets", {"view": "waiting", "sort": "oldest"}, **auth).status_code
        == 200
    )
    for dutch in ({"view": "wacht-op-klant"}, {"sort": "oud"}):
        assert client.get("/api/v1/tickets", dutch, **auth).status_code == 422
    refusal = client.get("/api/v1/tickets", {"sort": "oud"}, **auth).json()["detail"]
    assert refusal == (
        "Ongeldige invoer: query.sort: onbekende waarde; toegestaan: "
        "'deadline', 'recent', 'least_recent', 'newest', 'oldest'"
    )
