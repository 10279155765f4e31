"""JSON Schema of the tracker file, generated from the models, for editors and scripts.

Taplo (and the Even Better TOML extension built on it) validates and completes a TOML file
against a JSON Schema named by a ``#:schema`` directive on its first line. The schema is
generated from the pydantic models in ``condtrack.schema.models``: unknown keys are refused
as the models refuse them, and the checks the models make in functions (tags, Admiralty
codes, URLs, fields that go together) are spelled out as JSON Schema keywords.

It is draft 7, the draft Taplo's validator honours (``dependencies``, not draft 2019's
``dependentRequired``). A schema may accept a little more than condtrack does (a quoted
date, which TOML tools turn into a string before checking; ids that must be unique or
exist), never less: `condtrack validate` has the last word.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from condtrack.schema import models
from condtrack.schema.models import (
    EASING_ACTIONS,
    FOR_ACTIONS,
    MAX_MAGNITUDE,
    READABLE_SCHEMAS,
    TABLE_SINCE,
    VALUE_SINCE,
    Condition,
    Criterion,
    Evidence,
    Gate,
    Indicator,
    Model,
    Offset,
    Relief,
    Retraction,
    Scoring,
    TrackerInfo,
)

DRAFT = "http://json-schema.org/draft-07/schema#"
# The file beside a tracker that `condtrack init` writes, and its directive names.
SCHEMA_FILE = "condtrack.schema.json"
DIRECTIVE = f"#:schema ./{SCHEMA_FILE}"


class TrackerFile(Model):
    """A whole tracker file as its TOML reads: the tables ``check_document`` knows."""

    tracker: TrackerInfo
    scoring: Scoring = Scoring.model_construct()  # as Header's (condtrack.schema.models)
    gate: Gate | None = None
    conditions: list[Condition] = Field(min_length=1)
    evidence: list[Evidence] = Field(default_factory=list)
    retractions: list[Retraction] = Field(default_factory=list)
    relief: list[Relief] = Field(default_factory=list)


# What an editor shows on hover: each table and each key. A test holds this table to the
# models: every field described, nothing described that is not a field.
DOCS: dict[type[BaseModel], tuple[str, str, dict[str, str]]] = {
    TrackerFile: (
        "condtrack tracker",
        "The conditions for sanctions relief and the evidence log. Edit the conditions by "
        "hand; add evidence with `condtrack log` (append-only).",
        {
            "tracker": "What is tracked: title, subject, source, description.",
            "scoring": "How evidence is scored (every key optional).",
            "gate": "The CI gate's policy for `condtrack check` (every key optional; a flag "
            "given overrides its key). Needs schema = 2 in [tracker].",
            "conditions": "One [[conditions]] block per condition for sanctions relief.",
            "evidence": "Dated observations, appended by `condtrack log`; never edit or "
            "delete one: amend or retract it.",
            "retractions": "Withdrawals of evidence from scoring, appended by `condtrack retract`.",
            "relief": "The relief ledger (schema 2): each step a sender took to ease, lift, "
            "suspend or reimpose a sanction, appended by `condtrack relief add`.",
        },
    ),
    TrackerInfo: (
        "Tracker",
        "What the file tracks.",
        {
            "schema": "The file format's version: 1, or 2 for a file with a [gate] table or "
            "[[relief]] entries (older condtrack releases read only 1).",
            "title": "The tracker's title, shown atop every report (at most 300 characters).",
            "subject": "The country or government whose compliance is tracked.",
            "source": "Where the conditions come from: an http(s) URL.",
            "description": "Free text about the tracker.",
        },
    ),
    Scoring: (
        "Scoring",
        "How evidence counts.",
        {
            "min_reliability": "The weakest Admiralty grade that counts in scores, e.g. C3: "
            "a letter for the source (A reliable .. F cannot be judged), a digit for the "
            "information (1 confirmed .. 6 cannot be judged).",
            "stale_after_days": "Evidence older than this many days makes a condition stale.",
            "window_days": "How many days back flow indicators are added up.",
            "relief_requires": 'Which conditions relief must wait for: "all" (every '
            'condition met), or "linked" (those a relief entry names in `for`; none named '
            "means all).",
        },
    ),
    Gate: (
        "Gate",
        "What `condtrack check` requires, so CI and a laptop give the same answer. A flag "
        "given overrides its key; with no requirement here or in flags, every condition "
        "must be met.",
        {
            "require": 'Conditions that must be met: a list of condition ids, or "all" '
            "(as --require).",
            "min_score": "The minimum overall score, 0-100 (as --min-score).",
            "max_age_days": "Fail when a required condition's latest evidence is older than "
            "this many days (as --max-age).",
            "require_sequencing": "Fail when relief is in effect ahead of compliance (as "
            "--require-sequencing).",
        },
    ),
    Condition: (
        "Condition",
        "A condition for sanctions relief, with the criteria that make it met.",
        {
            "id": "A short id: lower-case letters, digits and hyphens, e.g. political-prisoners.",
            "title": "A one-line title (at most 300 characters).",
            "text": "The condition as set out, in full.",
            "weight": "Its weight in the overall score (above 0, at most 1000).",
            "snapback": "true when a breach should bring sanctions back automatically.",
            "criteria": "What must be true for the condition to be met (at least one).",
            "indicators": "Numbers to watch; one may decide a criterion by its target.",
            "offsets": "Flows netted against each other: releases cancelled out by new "
            "detentions are a revolving door.",
        },
    ),
    Criterion: (
        "Criterion",
        "One thing that must be true for its condition to be met.",
        {
            "id": "A short id, unique in its condition: lower-case letters, digits, hyphens.",
            "text": "What must be true.",
            "weight": "Its weight within the condition (above 0, at most 1000).",
        },
    ),
    Indicator: (
        "Indicator",
        "A number to watch, observed by evidence entries.",
        {
            "id": "A short id, unique in its condition: lower-case letters, digits, hyphens.",
            "label": "What is counted (at most 300 characters).",
            "unit": "The unit, e.g. people.",
            "kind": '"stock": a level, the latest value counts; "flow": a count of events, '
            "added up over window_days.",
            "better": "Which way is better: lower or higher.",
            "baseline": "The value at the start.",
            "target": "The value that meets the criterion it decides.",
            "minimum": "The lowest plausible value; observations below it are refused.",
            "criterion": "The criterion (of this condition) its target decides; needs a target.",
        },
    ),
    Offset: (
        "Offset",
        "One flow netted against another.",
        {
            "outflow": "The flow indicator that counts as progress (e.g. releases).",
            "inflow": "The flow indicator that cancels it out (e.g. new detentions).",
            "label": "What the balance is called.",
        },
    ),
    Evidence: (
        "Evidence entry",
        "A dated observation: an assessment of a criterion, an observation of an "
        "indicator, both, or just context. Log it with `condtrack log`.",
        {
            "id": "The entry's id (letters, digits, . _ -), unique in the file.",
            "condition": "The id of the condition it is about.",
            "criterion": "The criterion it assesses (with status).",
            "status": "Its assessment of the criterion: met, partial or not-met.",
            "indicator": "The indicator it observes (with value).",
            "value": "The value observed (with indicator).",
            "date": "The day it happened, YYYY-MM-DD (a TOML date, not a string).",
            "source": "Who reported it.",
            "url": "A link to the source: an http(s) URL.",
            "reliability": "The Admiralty grade, e.g. B2 (F6 when unknown).",
            "summary": "What the evidence says.",
            "tags": "Up to 20 tags: 1-40 letters, digits or . : / - _ each.",
            "supersedes": "The id of the entry this one amends (with reason).",
            "reason": "Why the entry it supersedes was amended.",
            "logged": "When it was logged: a TOML date-time with an offset.",
        },
    ),
    Relief: (
        "Relief entry",
        "One step of sanctions relief (or its reversal) by one sender on one measure. Add "
        "one with `condtrack relief add`; never edit or delete one: amend or retract it.",
        {
            "id": "The entry's id (letters, digits, . _ -), unique in the file; not "
            "starting with ev-, the prefix of evidence ids (condtrack makes rl-...).",
            "sender": "Who grants it: a short code such as US, EU, UK.",
            "measure": 'The sanction it touches, e.g. "Belavia".',
            "action": "eased, lifted, suspended, reimposed, expired, or renewed (kept in force "
            "without easing; needs schema 3).",
            "date": "The day it took effect, YYYY-MM-DD.",
            "instrument": 'The legal instrument, e.g. "OFAC Belarus General License 13".',
            "expires": "For eased, lifted or suspended: the last day it holds, YYYY-MM-DD.",
            "for": "The condition ids an easing was granted for, or a reimposition or expiry "
            "answers (none: not tied to any); not for renewed.",
            "source": "Who reported it.",
            "url": "A link to the source: an http(s) URL.",
            "reliability": "The Admiralty grade, e.g. B2 (F6 when unknown).",
            "summary": "What was granted or taken back.",
            "tags": "Up to 20 tags: 1-40 letters, digits or . : / - _ each.",
            "supersedes": "The id of the relief entry this one amends (with reason).",
            "reason": "Why the entry it supersedes was amended.",
            "logged": "When it was logged: a TOML date-time with an offset.",
        },
    ),
    Retraction: (
        "Retraction",
        "Withdraws an entry (and its amendments) from scoring; the entry itself stays. "
        "Add one with `condtrack retract`.",
        {
            "evidence": "The id of the entry withdrawn.",
            "reason": "Why it is withdrawn.",
            "date": "The day it was made, YYYY-MM-DD; it withdraws the entry at every as-of date.",
            "logged": "When it was logged: a TOML date-time with an offset.",
        },
    ),
}

# Keywords for what the models check in functions (``AfterValidator``s and model validators).
_NOT_BLANK = {"minLength": 1, "pattern": r"\S"}
# A tag: a word character, then word characters or . : / - (Python's \w is Unicode, Taplo's
# is ASCII, so the ASCII characters that are not allowed are listed instead).
_TAG = {
    "pattern": r"^[^\s\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
    r"[^\s\x00-\x2c\x3b-\x40\x5b-\x5e\x60\x7b-\x7f]{0,39}$"
}
_ADMIRALTY = {"pattern": r"^\s*[A-Fa-f][1-6]\s*$", "examples": ["B2", "C3", "F6"]}
# A URL: the shape, and (as ``models._http_url`` and ``models._valid_port``) an authority, up
# to / ? # or a backslash, with no user info (no @) and a port, if any, of 0-65535 in ASCII
# digits (a bracketed host's port follows its "]"). Only a valid IPv6 host in brackets is
# beyond a pattern: condtrack checks that one.
_PORT = r"(?::0*(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5]?[0-9]{1,4})?)?"
_AUTHORITY_CHAR = r"[^\s\x00-\x1f\x7f/?#\\@"
_URL_AUTHORITY = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://(?:{_AUTHORITY_CHAR}:]*"  # no port
    rf"|{_AUTHORITY_CHAR}:\[\]]*{_PORT}"  # host:port
    rf"|{_AUTHORITY_CHAR}\[]*\[{_AUTHORITY_CHAR}\]]*(?:\]{_AUTHORITY_CHAR}:]*{_PORT})?)"  # [host]
    r"(?:[/?#\\][^\s\x00-\x1f\x7f]*)?$"
)
_URL = {
    "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1f\x7f/?#]+[^\s\x00-\x1f\x7f]*$",
    "allOf": [{"pattern": _URL_AUTHORITY}],
}
_NUMBER = {"type": "number", "minimum": -int(MAX_MAGNITUDE), "maximum": int(MAX_MAGNITUDE)}
_CHECKS: dict[Callable[..., Any], dict[str, Any]] = {
    models._not_blank: _NOT_BLANK,
    models._tag: _TAG,
    models._admiralty: _ADMIRALTY,
    models._http_url: _URL,
    models._finite_number: _NUMBER,
}
_FIELD_RULES: dict[tuple[type[BaseModel], str], dict[str, Any]] = {
    (TrackerInfo, "schema"): {"enum": list(READABLE_SCHEMAS)},
    # Not the evidence prefix (``validation.foreign_prefix``; evidence's rule depends on the
    # file's schema number, which a field's schema cannot see).
    (Relief, "id"): {"not": {"pattern": "^[eE][vV]-"}},
}
# Lists that the model also takes as one item (``models._required_ids``).
_ONE_OR_LIST = {(Gate, "require")}
_MODEL_RULES: dict[type[BaseModel], dict[str, Any]] = {
    # A table that a later schema introduced needs that schema number (models.lowest_schema).
    TrackerFile: {
        "allOf": [
            {
                "if": {"required": [table]},
                "then": {"properties": {"tracker": {"properties": {"schema": {"minimum": since}}}}},
            }
            for table, since in TABLE_SINCE.items()
        ]
        # A value that a later schema introduced needs that number too (models.VALUE_SINCE).
        + [
            {
                "if": {
                    "required": [table],
                    "properties": {
                        table: {
                            "contains": {"required": [name], "properties": {name: {"const": value}}}
                        }
                    },
                },
                "then": {"properties": {"tracker": {"properties": {"schema": {"minimum": since}}}}},
            }
            for (table, name), values in VALUE_SINCE.items()
            for value, since in values.items()
        ]
    },
    Indicator: {"dependencies": {"criterion": ["target"]}},
    Relief: {
        "dependencies": {"supersedes": ["reason"], "reason": ["supersedes"]},
        "allOf": [
            {  # Only relief that eases expires.
                "if": {"not": {"properties": {"action": {"enum": list(EASING_ACTIONS)}}}},
                "then": {"not": {"required": ["expires"]}},
            },
            {  # Only these actions name conditions: a renewal grants nothing.
                "if": {"not": {"properties": {"action": {"enum": list(FOR_ACTIONS)}}}},
                "then": {"properties": {"for": {"maxItems": 0}}},
            },
        ],
    },
    Evidence: {
        "dependencies": {
            "status": ["criterion"],
            "indicator": ["value"],
            "value": ["indicator"],
            "supersedes": ["reason"],
            "reason": ["supersedes"],
        }
    },
}


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, plus the checks made in functions; for TOML (``toml``), an
    optional key is simply left out: TOML has no null."""

    toml = True

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        if self.toml:
            return self.generate_inner(schema["schema"])
        return super().nullable_schema(schema)

    def function_after_schema(
        self, schema: core_schema.AfterValidatorFunctionSchema
    ) -> JsonSchemaValue:
        return self._checked(super().function_after_schema(schema), schema)

    def function_before_schema(
        self, schema: core_schema.BeforeValidatorFunctionSchema
    ) -> JsonSchemaValue:
        if schema["function"]["function"] is models._finite_number:
            return dict(_NUMBER)
        return super().function_before_schema(schema)

    def _checked(self, value: JsonSchemaValue, schema: Any) -> JsonSchemaValue:
        extra = _CHECKS.get(schema["function"]["function"])
        return {**value, **extra} if extra else value


class _JsonGenerator(_Generator):
    toml = False


def tracker_schema() -> dict[str, Any]:
    """The JSON Schema of a tracker file (``condtrack schema``; the shipped file)."""
    schema = TrackerFile.model_json_schema(schema_generator=_Generator)
    return _finish(schema, toml=True)


def entry_schema(model: type[Evidence | Relief] = Evidence) -> dict[str, Any]:
    """The JSON Schema of an evidence entry (or a relief entry) as the JSON outputs give it
    (``model_dump``, by the file's names): every key present, ``null`` when not set."""
    schema = model.model_json_schema(mode="serialization", schema_generator=_JsonGenerator)
    schema["required"] = list(schema["properties"])
    return _finish(schema, toml=False)


def _finish(schema: dict[str, Any], *, toml: bool) -> dict[str, Any]:
    definitions = schema.get("$defs", {})
    for model in DOCS:
        node = schema if model.__name__ == schema.get("title") else definitions.get(model.__name__)
        if node is not None:
            _describe(node, model, toml=toml)
    finished: dict[str, Any] = _ordered({"$schema": DRAFT, **schema})
    return finished


def _describe(node: dict[str, Any], model: type[BaseModel], *, toml: bool) -> None:
    title, description, fields = DOCS[model]
    node["title"], node["description"] = title, description
    for name, prop in node.get("properties", {}).items():
        prop.pop("title", None)
        if toml and prop.get("default", 0) is None:
            del prop["default"]
        prop["description"] = fields[name]
        prop.update(_FIELD_RULES.get((model, name), {}))
        if (model, name) in _ONE_OR_LIST:  # one item alone, or a list of them
            listed = {k: prop.pop(k) for k in ("type", "items", "minItems")}
            prop["anyOf"] = [listed["items"], listed]
        if "$ref" in prop:  # draft 7 ignores a $ref's siblings: keep them by wrapping it
            node["properties"][name] = {"allOf": [{"$ref": prop.pop("$ref")}], **prop}
    node.update(_MODEL_RULES.get(model, {}))


_FIRST = ("$schema", "title", "description", "type")


def _ordered(value: Any, names: bool = False) -> Any:
    """Keys that orient a reader first, the rest as generated: a stable, readable file.

    ``names``: a map of names (properties, definitions), kept in its own order."""
    if isinstance(value, dict):
        keys = list(value)
        if not names:
            keys = [k for k in _FIRST if k in value] + [k for k in value if k not in _FIRST]
        return {k: _ordered(value[k], not names and k in _NAMED) for k in keys}
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


_NAMED = ("properties", "$defs", "definitions", "dependencies")


def dumps(schema: dict[str, Any]) -> str:
    """A schema as the shipped files hold it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
