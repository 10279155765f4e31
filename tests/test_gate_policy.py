"""The gate's policy in the tracker (issue 11): an optional ``[gate]`` table that ``check``
uses, flags overriding it field by field; ``validate`` and the JSON Schema know it. Also the
URL rules (no user info, a port 0-65535) spelled out in the JSON Schema."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from condtrack.render.output_schemas import output_schema
from condtrack.schema.jsonschema import _URL, SCHEMA_FILE, dumps, tracker_schema
from condtrack.schema.models import READABLE_SCHEMAS, Url, lowest_schema
from tests.conftest import REPO
from tests.reliability.helpers import WITH_EVIDENCE, one_line_error, run
from tests.test_schema import as_json, taplo_check, tracker_validator

# The schema number a file with [gate] declares: computed by the one rule, not written down.
GATE_SCHEMA = lowest_schema(["gate"])
SHIPPED = (REPO / "conditions.toml").read_text(encoding="utf-8")
AS_OF = "2025-09-30"


def with_gate(text: str, body: str, schema: int | None = GATE_SCHEMA) -> str:
    """The tracker with a ``[gate]`` table before its first condition, its schema number
    ``schema`` (by default at least the gate's: a file that needs more keeps its own)."""
    declared = re.search(r"(?m)^schema = (\d+)$", text)
    if schema == GATE_SCHEMA and declared is not None:
        schema = max(schema, int(declared.group(1)))
    if schema is not None:
        text = re.sub(r"(?m)^schema = \d+$", f"schema = {schema}", text, count=1)
    found = re.search(r"(?m)^\[\[conditions\]\]", text)
    assert found is not None
    before = found.start()
    return f"{text[:before]}[gate]\n{body}\n\n{text[before:]}"


def tracker(folder: Path, text: str, name: str = "conditions.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def check_json(path: Path, *flags: str, as_of: str = AS_OF) -> tuple[int, dict[str, Any]]:
    result = run(path, "check", "--format", "json", "--as-of", as_of, *flags)
    assert result.exit_code in (0, 1, 3), result.output
    return result.exit_code, json.loads(result.stdout)


def verdict(document: dict[str, Any]) -> dict[str, Any]:
    """What the gate decided, leaving out where its policy came from."""
    kept = {k: v for k, v in document.items() if k not in ("requirements", "policy")}
    policy = {k: v for k, v in document["policy"].items() if k != "from"}
    return {**kept, "policy": policy}


# --- [gate] alone, and flags over it ------------------------------------------------------


def test_gate_alone_is_the_policy_check_applies(tmp_path: Path) -> None:
    body = 'require = ["political-prisoners"]\nmin_score = 40\nmax_age_days = 60'
    gated = tracker(tmp_path, with_gate(SHIPPED, body), "gated.toml")
    plain = tracker(tmp_path, SHIPPED, "plain.toml")
    code, document = check_json(gated)
    flags = ("--require", "political-prisoners", "--min-score", "40", "--max-age", "60")
    plain_code, plain_document = check_json(plain, *flags)
    assert (code, verdict(document)) == (plain_code, verdict(plain_document))
    assert document["policy"] == {
        "require": ["political-prisoners"],
        "min_score": 40,
        "max_age_days": 60,
        "require_sequencing": False,
        "from": {
            "require": "gate",
            "min_score": "gate",
            "max_age_days": "gate",
            "require_sequencing": "default",
        },
    }
    # the default gate (every condition met) is not what ran
    assert verdict(document) != verdict(check_json(plain)[1])
    # text, GitHub and JUnit say which requirements came from the file
    for output_format in ("text", "github", "junit"):
        result = run(gated, "check", "--format", output_format, "--as-of", AS_OF)
        assert result.exit_code == code, result.output
        if output_format == "junit":  # a test case per requirement, named as required
            assert "met: political-prisoners (from [gate])" in result.stdout
            assert "overall score &gt;= 40 (from [gate])" in result.stdout
        else:  # the verdict names what failed
            assert "political-prisoners not met (from [gate])" in result.stdout, output_format
            assert "overall score 0 is below 40 (from [gate])" in result.stdout
    flagged = run(plain, "check", "--as-of", AS_OF, *flags)
    assert "from [gate]" not in flagged.stdout  # flags and defaults print as before


def test_a_real_process_gates_by_the_file(tmp_path: Path) -> None:
    """As CI runs it: the exit code of a process of its own follows [gate]."""
    passing = tracker(tmp_path, with_gate(SHIPPED, "min_score = 0"), "pass.toml")
    failing = tracker(tmp_path, with_gate(SHIPPED, "min_score = 100"), "fail.toml")
    env = {**os.environ, "CONDTRACK_CACHE_DIR": str(tmp_path / "cache")}
    codes = []
    for path in (passing, failing):
        done = subprocess.run(
            [sys.executable, "-m", "condtrack", "--file", str(path), "check", "--as-of", AS_OF],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert "(from [gate])" in done.stdout, done.stdout + done.stderr
        codes.append(done.returncode)
    assert codes == [0, 1]


def test_an_empty_gate_table_leaves_the_default(tmp_path: Path) -> None:
    gated = tracker(tmp_path, with_gate(SHIPPED, ""), "gated.toml")
    plain = tracker(tmp_path, SHIPPED, "plain.toml")
    code, document = check_json(gated)
    assert (code, document) == check_json(plain)
    assert document["policy"]["from"] == dict.fromkeys(document["policy"]["from"], "default")


def test_require_all_in_the_file_is_every_condition(tmp_path: Path) -> None:
    ids = [c["id"] for c in tomllib.loads(SHIPPED)["conditions"]]
    for body in ('require = "all"', 'require = ["all"]', f'require = ["{ids[1]}", "all"]'):
        gated = tracker(tmp_path, with_gate(SHIPPED, body))
        _, document = check_json(gated)
        assert document["policy"]["require"] == ids, body
    one = tracker(tmp_path, with_gate(SHIPPED, f'require = "{ids[2]}"'))
    assert check_json(one)[1]["policy"]["require"] == [ids[2]]
    twice = tracker(tmp_path, with_gate(SHIPPED, f'require = ["{ids[2]}", "{ids[0]}", "{ids[2]}"]'))
    assert check_json(twice)[1]["policy"]["require"] == [ids[2], ids[0]]


FIELDS = {  # the field in [gate], the flag's value for it, another value to override it
    "require": ('require = ["political-prisoners"]', "political-prisoners", "russian-forces"),
    "min_score": ("min_score = 90", "90", "5"),
    "max_age_days": ("max_age_days = 10", "10", "400"),
}
FLAGS = {"require": "--require", "min_score": "--min-score", "max_age_days": "--max-age"}


@pytest.mark.parametrize("overridden", FIELDS)
def test_a_flag_overrides_its_field_and_only_that(overridden: str, tmp_path: Path) -> None:
    body = "\n".join(line for line, _, _ in FIELDS.values())
    gated = tracker(tmp_path, with_gate(SHIPPED, body), "gated.toml")
    plain = tracker(tmp_path, SHIPPED, "plain.toml")
    code, document = check_json(gated, FLAGS[overridden], FIELDS[overridden][2])
    sources = document["policy"]["from"]
    assert sources == {
        **{name: "flag" if name == overridden else "gate" for name in FIELDS},
        "require_sequencing": "default",
    }
    # the same as the merged values given as flags
    merged: list[str] = []
    for name, (_, in_file, override) in FIELDS.items():
        merged += [FLAGS[name], override if name == overridden else in_file]
    plain_code, plain_document = check_json(plain, *merged)
    assert (code, verdict(document)) == (plain_code, verdict(plain_document))
    assert verdict(document) != verdict(check_json(gated)[1])  # the flag changed something


def test_no_gate_ignores_the_table(tmp_path: Path) -> None:
    body = "\n".join(line for line, _, _ in FIELDS.values())
    gated = tracker(tmp_path, with_gate(SHIPPED, body), "gated.toml")
    plain = tracker(tmp_path, SHIPPED, "plain.toml")
    for flags in ((), ("--min-score", "5")):
        code, document = check_json(gated, "--no-gate", *flags)
        assert (code, document) == check_json(plain, *flags)
    assert check_json(gated)[1] != check_json(gated, "--no-gate")[1]


# --- invalid [gate]: one line naming [gate] and the field; validate lists them --------------


BAD = {
    "require = 5": ("require", "must be a list"),
    "require = []": ("require", "at least 1"),
    'require = ["political-prisoners,russian-forces"]': ("require", "require = ["),
    'require = "Political Prisoners"': ("require", "not a valid id"),
    "min_score = 101": ("min_score", "at most 100"),
    "min_score = -1": ("min_score", "at least 0"),
    "min_score = true": ("min_score", "true/false"),
    'min_score = "50"': ("min_score", "must be a number"),
    "min_score = nan": ("min_score", "not a finite number"),
    "max_age_days = -1": ("max_age_days", "at least 0"),
    "max_age_days = 1.5": ("max_age_days", "whole number"),
    "max_age = 30": ("max_age", "did you mean 'max_age_days'?"),
    "min-score = 30": ("min-score", "did you mean 'min_score'?"),
}


@pytest.mark.parametrize("line", BAD)
def test_a_bad_gate_field_is_refused_naming_it(line: str, tmp_path: Path) -> None:
    field, words = BAD[line]
    path = tracker(tmp_path, with_gate(WITH_EVIDENCE, line))
    before = path.read_bytes()
    for command in (("check",), ("status",)):
        err = one_line_error(run(path, *command), f"[gate], field '{field}'", words)
        assert err.count("[gate]") == 1
    result = run(path, "validate")
    assert result.exit_code == 2
    assert f"[gate], field '{field}': " in result.stderr and words in result.stderr
    assert path.read_bytes() == before


def test_an_unknown_condition_in_require_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = tracker(tmp_path, with_gate(WITH_EVIDENCE, 'require = ["troops", "prisoner"]'))
    err = one_line_error(run(path, "check"), "[gate], field 'require'", "unknown condition")
    assert "'prisoner'" in err and "did you mean 'prisoners'?" in err
    result = run(path, "validate")
    assert result.exit_code == 2 and result.stderr.count("[gate], field 'require'") == 1
    # the flag still overrides the field, but the file must be valid to be read at all
    one_line_error(run(path, "check", "--require", "troops"), "did you mean 'prisoners'?")


# --- the schema number ----------------------------------------------------------------------


def test_a_file_with_gate_declares_the_schema_that_has_it(tmp_path: Path) -> None:
    assert GATE_SCHEMA in READABLE_SCHEMAS and lowest_schema([]) == 1
    assert lowest_schema(["tracker", "scoring", "conditions", "evidence"]) == 1
    if GATE_SCHEMA > 1:
        low = tracker(tmp_path, with_gate(WITH_EVIDENCE, "min_score = 1", schema=GATE_SCHEMA - 1))
        err = one_line_error(run(low, "check"), "[tracker], field 'schema'", "[gate] needs")
        assert f"schema = {GATE_SCHEMA}" in err
    # a newer number, with or without [gate], reads; one beyond is refused by name
    newer = tracker(tmp_path, WITH_EVIDENCE.replace("schema = 1", f"schema = {GATE_SCHEMA}"))
    assert run(newer, "validate").exit_code == 0
    beyond = max(READABLE_SCHEMAS) + 1
    unknown = tracker(tmp_path, WITH_EVIDENCE.replace("schema = 1", f"schema = {beyond}"))
    one_line_error(run(unknown, "status"), f"schema {beyond} is not supported")


def test_init_writes_schema_1_with_a_commented_gate_example(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    result = run(path, "init", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    document = tomllib.loads(text)
    assert "gate" not in document and document["tracker"]["schema"] == lowest_schema(document)
    example = "\n".join(
        line.removeprefix("# ") for line in text.splitlines() if line.startswith("# [gate]")
    )
    assert example == "[gate]"
    # uncommented as the comment says, it is a valid gate
    uncommented = re.sub(r"(?m)^# (\[gate\]|require =|min_score =|max_age_days =)", r"\1", text)
    uncommented = uncommented.replace("schema = 1", f"schema = {GATE_SCHEMA}", 1)
    assert tomllib.loads(uncommented)["gate"]["min_score"] == 50
    path.write_text(uncommented, encoding="utf-8")
    assert run(path, "validate").exit_code == 0
    assert check_json(path)[1]["policy"]["from"]["min_score"] == "gate"


@cache
def previous_release(folder: Path) -> Path | None:
    """The release before [gate] (c2df1a2), unpacked, or None when git cannot give it."""
    if shutil.which("git") is None:
        return None
    target = folder / "previous"
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "c2df1a2", "condtrack"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    target.mkdir()
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


# The previous release run from its own sources, not the editable install's finder.
PREVIOUS = (
    "import runpy, sys; "
    "sys.meta_path[:] = [f for f in sys.meta_path "
    "if not getattr(f, '__module__', '').startswith('__editable__')]; "
    "sys.path.insert(0, sys.argv.pop(1)); "
    "import condtrack; assert condtrack.__file__.startswith(sys.path[0]), condtrack.__file__; "
    "runpy.run_module('condtrack', run_name='__main__', alter_sys=True)"
)


def run_previous(old: Path, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PREVIOUS, str(old), "--file", str(path), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CONDTRACK_CACHE_DIR": str(path.parent / "cache")},
        timeout=120,
        check=False,
    )


def test_the_previous_release_refuses_a_gate_file_by_its_schema_number(tmp_path: Path) -> None:
    old = previous_release(tmp_path)
    if old is None:
        pytest.skip("the previous release (c2df1a2) is not in this clone's history")
    path = tracker(tmp_path, with_gate(WITH_EVIDENCE, 'require = ["troops"]'))
    # It names the unknown table first (it looks for those before anything else), and
    # then, listed by validate, the reason: the schema number it does not read.
    done = run_previous(old, path, "status")
    assert done.returncode == 2, done.stderr
    assert "unknown table or key 'gate'; 1 more" in done.stderr, done.stderr
    done = run_previous(old, path, "validate")
    assert done.returncode == 2, done.stderr
    assert f"schema {GATE_SCHEMA} is not supported" in done.stderr, done.stderr
    # and a file without [gate] is still read by it
    done = run_previous(old, tracker(tmp_path, WITH_EVIDENCE, "plain.toml"), "validate")
    assert done.returncode == 0, done.stderr


# --- JSON Schema and Taplo ------------------------------------------------------------------


ANY_OF = "is not valid under any of the schemas listed in the 'anyOf' keyword"
GOOD_GATE = 'require = ["troops", "all"]\nmin_score = 50.5\nmax_age_days = 120'
BAD_FOR_SCHEMA = {
    "unknown key": ("maxage = 3", "'maxage' was unexpected"),
    "score": ("min_score = 101", "101 is greater than the maximum of 100"),
    "age": ("max_age_days = 1.5", '1.5 is not of type "integer"'),
    "require": (
        'require = ["two words"]',
        "is not valid under any of the schemas listed in the 'anyOf' keyword",
    ),
    "empty require": (
        "require = []",
        "is not valid under any of the schemas listed in the 'anyOf' keyword",
    ),
}


def schema_beside(folder: Path, text: str) -> Path:
    (folder / SCHEMA_FILE).write_text(dumps(tracker_schema()), encoding="utf-8")
    return tracker(folder, f"#:schema ./{SCHEMA_FILE}\n\n{text}")


def test_a_good_gate_passes_taplo_and_the_schema(tmp_path: Path) -> None:
    for body in (GOOD_GATE, 'require = "all"', ""):
        path = schema_beside(tmp_path, with_gate(WITH_EVIDENCE, body))
        assert run(path, "validate").exit_code == 0
        tracker_validator().validate(as_json(tomllib.loads(path.read_text(encoding="utf-8"))))
        checked = taplo_check(path)
        assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("case", BAD_FOR_SCHEMA)
def test_a_bad_gate_fails_taplo_as_it_fails_condtrack(case: str, tmp_path: Path) -> None:
    line, message = BAD_FOR_SCHEMA[case]
    path = schema_beside(tmp_path, with_gate(WITH_EVIDENCE, line))
    assert run(path, "validate").exit_code == 2
    document = as_json(tomllib.loads(path.read_text(encoding="utf-8")))
    assert not tracker_validator().is_valid(document)
    checked = taplo_check(path)
    assert checked.returncode != 0 and message in checked.stderr, checked.stderr
    assert "failed to load schema" not in checked.stderr


def test_taplo_refuses_gate_in_a_file_of_an_older_schema(tmp_path: Path) -> None:
    if GATE_SCHEMA == 1:
        pytest.skip("[gate] is readable in schema 1")
    path = schema_beside(tmp_path, with_gate(WITH_EVIDENCE, GOOD_GATE, schema=GATE_SCHEMA - 1))
    assert run(path, "validate").exit_code == 2
    checked = taplo_check(path)
    assert checked.returncode != 0, "taplo accepted [gate] in a schema 1 file"
    assert f"less than the minimum of {GATE_SCHEMA}" in checked.stderr, checked.stderr


def test_check_json_with_a_gate_fits_the_published_schema(tmp_path: Path) -> None:
    path = tracker(tmp_path, with_gate(SHIPPED, GOOD_GATE.replace("troops", "russian-forces")))
    validator = jsonschema.Draft7Validator(output_schema("check"))
    for flags in ((), ("--min-score", "10"), ("--require", "all", "--max-age", "5")):
        _, document = check_json(path, *flags)
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], errors
        assert set(document["policy"]["from"].values()) <= {"flag", "gate", "default"}


# --- the policy merged equals the merged values given as flags -------------------------------


CONDITIONS = [c["id"] for c in tomllib.loads(SHIPPED)["conditions"]]
requires = st.none() | st.just(["all"]) | st.lists(st.sampled_from(CONDITIONS), min_size=1)
scores = (
    st.none() | st.integers(0, 100) | st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2))
)
ages = st.none() | st.integers(0, 800)


def toml_value(value: Any) -> str:
    return json.dumps(value)  # lists of ids, numbers: the same in TOML


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    gate=st.fixed_dictionaries({"require": requires, "min_score": scores, "max_age_days": ages}),
    flags=st.fixed_dictionaries({"require": requires, "min_score": scores, "max_age_days": ages}),
    as_of=st.sampled_from(["2024-06-01", "2025-09-30", "2026-06-01"]),
)
def test_gate_and_flags_give_what_the_merged_flags_give(
    gate: dict[str, Any], flags: dict[str, Any], as_of: str, tmp_path: Path
) -> None:
    body = "\n".join(f"{k} = {toml_value(v)}" for k, v in gate.items() if v is not None)
    gated = tracker(tmp_path, with_gate(SHIPPED, body), "gated.toml")
    plain = tracker(tmp_path, SHIPPED, "plain.toml")
    names = {"require": "--require", "min_score": "--min-score", "max_age_days": "--max-age"}

    def as_flags(values: dict[str, Any]) -> list[str]:
        out: list[str] = []
        for key, value in values.items():
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                out += [names[key], str(item)]
        return out

    merged = {k: flags[k] if flags[k] is not None else gate[k] for k in names}
    code, document = check_json(gated, *as_flags(flags), as_of=as_of)
    plain_code, plain_document = check_json(plain, *as_flags(merged), as_of=as_of)
    assert code == plain_code
    assert verdict(document) == verdict(plain_document)
    expected = {
        k: "flag" if flags[k] is not None else "gate" if gate[k] is not None else "default"
        for k in names
    }
    assert document["policy"]["from"] == {**expected, "require_sequencing": "default"}


# --- URLs: the schema knows the user-info and port rules ------------------------------------


URLS = {
    "https://user@example.org/a": False,
    "https://user:secret@example.org": False,
    "https://trusted.example@evil.example/": False,
    "https://example.org:99999/": False,
    "https://example.org:65536": False,
    "https://example.org:8o/": False,
    "https://example.org:+80/": False,  # ASCII digits only, whatever urlsplit takes
    "https://example.org:8_0/": False,
    "https://example.org:-1/": False,
    "https://example.org:80:81/": False,
    "https://example.org:80\\@evil.example/": True,  # the authority ends at a backslash
    "https://example.org:xy\\@evil.example/": False,  # ... with its bad port
    "https://example.org:65535/x": True,
    "https://example.org:0080/x": True,
    "https://example.org:/x": True,
    "https://[::1]:8080/x": True,
    "https://example.org/a@b:c": True,  # after the authority, @ and : are path
    "https://example.org?next=a@b": True,
    "https://example.org#x:y@z": True,
}


@pytest.mark.parametrize("url", URLS)
def test_the_model_and_the_schema_agree_on_urls(url: str) -> None:
    accepted = URLS[url]
    adapter = TypeAdapter(Url)
    try:
        adapter.validate_python(url)
        model = True
    except ValidationError:
        model = False
    assert model is accepted
    schema = jsonschema.Draft7Validator(_URL).is_valid(url)
    assert schema is accepted


@pytest.mark.parametrize(
    ("url", "message"),
    [("https://user@example.org/a", "does not match"), ("https://e.org:99999", "does not match")],
)
def test_taplo_refuses_user_info_and_bad_ports(url: str, message: str, tmp_path: Path) -> None:
    text = WITH_EVIDENCE.replace('url = "https://example.org/a?b=1"', f'url = "{url}"', 1)
    assert text != WITH_EVIDENCE
    path = schema_beside(tmp_path, text)
    assert run(path, "validate").exit_code == 2
    checked = taplo_check(path)
    assert checked.returncode != 0 and url in checked.stderr and message in checked.stderr, (
        checked.stderr
    )


URL_PARTS = st.sampled_from(
    [*"ab.:@[]\\/?#09", "::1", "65535", "65536", "80", "v1.x", "%40", "é", "\uff1a", "\uff20"]
)


# Built once: building them for each of the 3000 examples took most of the test's time.
URL_MODEL = TypeAdapter(Url)
URL_SCHEMA = jsonschema.Draft7Validator(_URL)


@settings(max_examples=3000, deadline=None)
@given(scheme=st.sampled_from(["https://", "http://", "HTTPS://"]), tail=st.lists(URL_PARTS))
def test_the_schema_never_refuses_a_url_the_model_accepts(scheme: str, tail: list[str]) -> None:
    url = scheme + "".join(tail)
    try:
        URL_MODEL.validate_python(url)
        model = True
    except ValidationError:
        model = False
    schema = URL_SCHEMA.is_valid(url)
    assert schema or not model, url
    # and without a bracketed host (an IPv6 address, beyond a pattern) they agree exactly
    if "[" not in url and "]" not in url and not re.search("[\uff1a\uff20]", url):
        assert schema == model, url


# --- [gate] everywhere the head is read: the fast reader, the merge driver -------------------


def test_the_fast_reader_takes_a_head_with_gate(tmp_path: Path) -> None:
    from condtrack.storage import slices

    text = with_gate(WITH_EVIDENCE, GOOD_GATE)
    read = slices.read_tracker(text.encode("utf-8"), vouched=0)
    assert read is not None and read.header.gate is not None  # not the slow path
    assert read.header.gate.min_score == 50.5


def test_a_gate_added_on_one_branch_merges_with_evidence_from_the_other(tmp_path: Path) -> None:
    base = tracker(tmp_path, WITH_EVIDENCE, "base.toml")
    ours = tracker(tmp_path, with_gate(WITH_EVIDENCE, f"# agreed in review\n{GOOD_GATE}"), "o.toml")
    block = WITH_EVIDENCE[WITH_EVIDENCE.index("[[evidence]]") :].split("\n\n")[0]
    extra = block.replace("ev-aaaaaaaaaa", "ev-eeeeeeeeee").replace("Base closed.", "Another.")
    theirs = tracker(tmp_path, f"{WITH_EVIDENCE}\n{extra}\n", "t.toml")
    result = run(None, "merge", str(base), str(ours), str(theirs), "conditions.toml")
    assert result.exit_code == 0, result.output
    merged = ours.read_text(encoding="utf-8")
    assert f"[gate]\n# agreed in review\n{GOOD_GATE}\n" in merged  # its own text, kept
    document = tomllib.loads(merged)
    assert document["tracker"]["schema"] == GATE_SCHEMA
    assert "ev-eeeeeeeeee" in [e["id"] for e in document["evidence"]]
    assert run(ours, "validate").exit_code == 0
    assert check_json(ours)[1]["policy"]["from"]["min_score"] == "gate"


# --- any value in [gate]: accepted and applied, or refused in one line naming the field --------


toml_values = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
    st.sampled_from(["all", "troops", "prisoners", "economy", "Troops", "troops,economy"]),
    st.lists(st.sampled_from(["all", "troops", "prisoners", "economy", "x", "", "a b"])),
    st.lists(st.integers(0, 3), max_size=2),
)


def toml_literal(value: Any) -> str:
    import tomli_w

    return tomli_w.dumps({"v": value}).removeprefix("v = ").strip()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(["require", "min_score", "max_age_days", "maxage", "gate"]),
    value=toml_values,
)
def test_any_gate_value_is_applied_or_refused_naming_its_field(
    field: str, value: Any, tmp_path: Path
) -> None:
    path = tracker(tmp_path, with_gate(WITH_EVIDENCE, f"{field} = {toml_literal(value)}"))
    before = path.read_bytes()
    result = run(path, "check", "--format", "json", "--as-of", AS_OF)
    if result.exit_code == 2:
        one_line_error(result, f"[gate], field '{field}'")
    else:
        assert result.exit_code in (0, 1, 3), result.output
        policy = json.loads(result.stdout)["policy"]
        assert policy["from"][field] == "gate"
        applied = policy[field]
        if field == "require":
            named = [value] if isinstance(value, str) else value
            ids = ["troops", "prisoners", "economy"]
            assert applied == (ids if "all" in named else list(dict.fromkeys(named)))
        else:
            assert applied == value and not isinstance(value, bool)
    assert path.read_bytes() == before
