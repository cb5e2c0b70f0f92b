"""A problem as the HTTP API answers it, for the answers that are no HTTP response: a bulk
registration's refused items and a command's reply."""

from typing import Any

from shared.problems import Problem


def problem_body(problem: Problem) -> dict[str, Any]:
    """The problem+json body (RFC 9457) `shared.problems.problem_response` sends."""
    kind = (
        "about:blank#validation"
        if problem.status == 422
        else (f"https://httpstatuses.io/{problem.status}")
    )
    return {
        "type": kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        **problem.extra,
    }
