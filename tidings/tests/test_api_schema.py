"""Schemathesis against the live schema: for every operation, data that fits the schema and
data that does not, sent through the real WSGI application with real tokens. No answer may be
a 5xx, and every answer must be one the schema declares, in the shape it declares."""

from typing import Any, ClassVar

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.actions import create_api_token
from tidings.test import BaseTestCase

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 25  # per operation and mode: 900 requests a token, under half a minute


@override_settings(API_RATE_PER_MINUTE=100_000, API_ANON_RATE_PER_MINUTE=100_000)
class SchemaFuzzTests(BaseTestCase):
    operations: ClassVar[list[Any]]

    def setUp(self) -> None:
        # The WSGI handler closes the connection at each request's end, as in production; in
        # a test's transaction that would throw the test data away (the test client does the
        # same disconnection).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        self.addCleanup(request_started.connect, close_old_connections)
        self.addCleanup(request_finished.connect, close_old_connections)
        self.story = self.make_story()
        self.schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())

    def fuzz(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
        failures: list[str] = []
        operations = cases = 0
        for result in self.schema.get_all_operations():
            if not isinstance(result, Ok):
                failures.append(f"the schema has an operation schemathesis cannot read: {result}")
                continue
            operation = result.ok()
            operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def check(case: Any) -> None:
                    nonlocal cases
                    cases += 1
                    case.call_and_validate(headers=headers, checks=CHECKS)

                try:
                    check()
                except Exception as exc:  # collected: one report names every operation
                    failures.append(f"{operation.label} ({mode}): {str(exc)[:1500]}")
        print(f"schemathesis: {operations} operations, {cases} cases, {len(failures)} failing")
        self.assertEqual(failures, [], "\n\n".join(failures))

    def test_an_editors_token_meets_the_schema_everywhere(self) -> None:
        self.fuzz(create_api_token(self.bob, "fuzz")[1])

    def test_a_readers_token_meets_the_schema_everywhere(self) -> None:
        self.fuzz(create_api_token(self.alice, "fuzz", ["read"])[1])
