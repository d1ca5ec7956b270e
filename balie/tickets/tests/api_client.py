"""A JSON client of the REST API with a bearer token, as an integration uses it."""

from __future__ import annotations

import json

from django.test import Client


class Api:
    """A JSON client with a bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {})

    def post(self, path: str, body: object):
        return self.client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")

    def patch(self, path: str, body: object):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json"
        )
