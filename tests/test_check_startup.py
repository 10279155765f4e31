"""The schema models build no pydantic validator when imported (issue 15): a command
answered from the snapshot validates nothing, so it should build nothing."""

from __future__ import annotations

from condtrack.schema.models import Header, Scoring


def test_the_default_scoring_is_scoring_as_validated() -> None:
    default = Header.model_fields["scoring"].default
    built = Scoring()
    assert default == built
    assert default.model_dump() == built.model_dump()
    assert default.model_fields_set == built.model_fields_set == set()
