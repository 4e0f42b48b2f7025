"""Schemathesis hooks for the Work Plan Tracker (loaded through SCHEMATHESIS_HOOKS).

Why each one exists is also written in docs/testing.md.

1. `cursor` is an opaque position that only the server issues (the `next_cursor` of an
   earlier page). A schema can only say "a string", so positive generation invents
   strings the server never issued, which it rightly refuses with 422. Positive cases
   leave `cursor` out; negative cases keep whatever was generated, and the stateful
   phase still follows real `next_cursor` values.

2. `schema_valid_fields_accepted`: the built-in `positive_data_acceptance` check is
   configured (schemathesis.toml) to accept 422, because some rules cannot be written
   in a schema: a code must name an existing body, a schedule's dates must be in order,
   a number indicator's target must be a number. This check takes back everything else:
   a schema-valid request answered 422 for a reason the schema does express (a length,
   a blank or control character, a code's or email's shape, a type, a missing or unknown
   field, a range) fails, because then the schema and the server disagree.
"""

import json

import schemathesis
from schemathesis import CheckContext, Case, Response


@schemathesis.hook
def map_case(context, case):
    meta = getattr(case, "meta", None)
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and case.query and "cursor" in case.query:
        query = dict(case.query)
        del query["cursor"]
        case.query = query
    return case


# Messages of the server's field errors that restate a rule the schema declares.
SHAPE_MESSAGES = (
    "must not be empty",
    "must be at most",
    "must be at least",
    "must not contain control characters",
    "must not contain NUL",
    "must be 1 to 40 characters",
    "must be an email address",
    "must be an http(s) link",
    "must be from",
    "invalid type",
    "invalid value",
    "unknown field",
    "unknown variant",
    "missing field",
)


@schemathesis.check
def schema_valid_fields_accepted(ctx: CheckContext, response: Response, case: Case):
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        raise AssertionError("a 422 without a problem+json body")
    shape = [
        e for e in problem.get("errors", [])
        if any(m in e.get("message", "") for m in SHAPE_MESSAGES)
    ]
    if shape:
        raise AssertionError(
            "schema-valid data refused for a rule the schema declares; the schema and "
            f"the server disagree: {shape}"
        )
    return None
