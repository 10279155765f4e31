"""`init condtrack.schema.json`: the tracker would be the very file where init writes its
JSON Schema. The refusal says that, not that the file "is the tracker"; nothing is written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.helpers import one_line_error, run


def listing(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b""
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    "target", ["condtrack.schema.json", "sub/condtrack.schema.json", "sub/../condtrack.schema.json"]
)
@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("existing", [False, True])
def test_init_at_the_schemas_own_name_is_refused_in_words_that_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, force: bool, existing: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    if existing:  # a schema init wrote earlier, beside a tracker
        assert run(None, "init", "--force").exit_code == 0
    before = listing(tmp_path)
    args = ["init", target, *(["--force"] if force else [])]
    message = one_line_error(run(None, *args))
    assert "it is the tracker" not in message
    folder = os.path.dirname(target)
    other = os.path.join(folder, "conditions.toml") if folder else "conditions.toml"
    assert message == (
        f"error: cannot start a tracker at {target}: condtrack.schema.json is the JSON Schema "
        f"that init writes beside the tracker; give the tracker another name, e.g. "
        f"`condtrack init {other}`\n"
    )
    assert listing(tmp_path) == before
    # The same through --file, the other way to name the tracker.
    assert one_line_error(run(tmp_path / target, *args[:1], *args[2:])) == message.replace(
        f" at {target}:", f" at {tmp_path / target}:"
    ).replace(f"init {other}", f"init {tmp_path / other}")
    assert listing(tmp_path) == before


def test_init_under_another_name_still_writes_the_schema_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "tracker.toml"
    assert run(None, "init", str(target)).exit_code == 0
    assert target.is_file() and (tmp_path / "condtrack.schema.json").is_file()
