"""A bounded schemathesis run against /api/v1/openapi.json: generated requests (valid and
not) to every operation, with a real account's token, must never get a server error and
every answer must match the document."""

from __future__ import annotations

import itertools

import pytest

from tests.web.test_views import add_session

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency (pip install -e '.[dev]')")


def test_the_api_keeps_its_document(app, make_user):
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import response_schema_conformance

    from webapp.auth import issue_api_token
    from webapp.db import session_scope
    from webapp.models import Grade, User

    user = make_user("fuzz@example.org", "generated-input-93")
    with session_scope(app) as s:
        token = issue_api_token(s, s.get(User, user.id))
    sid = add_session(app, user.id, sid="a1b2c3d4e5f6")
    with session_scope(app) as s:
        grade = Grade(session_id=sid, error="an earlier check")
        s.add(grade)
        s.commit()
        known = {"session_id": sid, "grade_id": grade.id}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [schemathesis.checks.not_a_server_error, response_schema_conformance]
    operations = [r.ok() for r in schema.get_all_operations()]
    calls = itertools.count()
    assert len(operations) >= 7
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            # mostly the caller's own session and grade, so generated bodies reach the handlers
            for name, value in known.items():
                if name in (case.path_parameters or {}) and next(calls) % 4:
                    case.path_parameters[name] = value
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

        fuzz()
