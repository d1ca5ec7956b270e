"""/api/v1/docs on a machine without internet: the browser gets everything from Balie itself
and shows the API's operations, not a blank page."""

from __future__ import annotations

import pytest

from tests.conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_show_the_operations_with_every_other_host_unreachable(
    live_server, browser_page
):
    page = browser_page
    elsewhere: list[str] = []

    def only_balie(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:  # no internet: a CDN, a font host, anything else fails
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_balie)
    page.goto(f"{live_server.url}/api/v1/docs")

    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert page.get_by_text("/api/v1/tickets/{number}").first.is_visible()
    assert elsewhere == []
