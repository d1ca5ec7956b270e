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
