"""Fuzz the HTTP API from its OpenAPI description with schemathesis.

run_operations(schema, key, count, record) calls every operation of the
schema with the cases schemathesis draws (valid and invalid arguments and
bodies), most with the API key, some without or with a wrong one, and
checks each answer: never a 500, status, content type and body as the
description says. record(outcome) counts an answer, crash(index, data,
error) a failure; the run goes on after a failure."""
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection,
    response_schema_conformance, status_code_conformance)

KEYS = ['valid'] * 8 + ['none', 'wrong']
# not positive_data_acceptance: a body valid for the schema may still be
# refused with a 400 (a subject or a body required, an unknown commune...)
CHECKS = [not_a_server_error, status_code_conformance,
    content_type_conformance, response_schema_conformance,
    negative_data_rejection]


def run_operations(schema, key, count, report, base_url, seed=None):
    """Call the operations of schema count times in all; report has add
    (outcome) and crash(index, data, error)"""
    operations = [r.ok() for r in schema.get_all_operations()]
    budget = max(1, count // len(operations))
    session = requests.Session()
    calls = [0]
    for operation in operations:
        label = '%s %s' % (operation.method.upper(), operation.path)

        @settings(max_examples=budget, database=None, deadline=None,
            derandomize=seed is not None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), auth=st.sampled_from(KEYS))
        def run(case, auth):
            headers = {}
            if auth == 'valid':
                headers['X-API-Key'] = key
            elif auth == 'wrong':
                headers['X-API-Key'] = 'gru_wrong_key'
            else:
                (case.headers or {}).pop('X-API-Key', None)
            calls[0] += 1
            try:
                response = case.call(base_url=base_url, session=session,
                    headers=headers, timeout=60)
            except requests.RequestException as error:
                report.crash(calls[0], repr(case).encode(),
                    '%s: no answer: %r' % (label, error))
                return
            if response.status_code >= 500 and response.status_code != 503:
                report.crash(calls[0], repr(case).encode(),
                    '%s: HTTP %d %s' % (label, response.status_code,
                        response.text[:200]))
                return
            try:
                case.validate_response(response, checks=CHECKS)
            except (AssertionError, FailureGroup) as error:
                report.crash(calls[0], repr(case).encode(),
                    '%s: HTTP %d does not conform: %s' % (
                        label, response.status_code, str(error)[:400]))
                return
            report.add('%s -> %d' % (label, response.status_code))
        run()
