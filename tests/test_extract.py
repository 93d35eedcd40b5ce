"""The one JSON reader for model answers: objects for the stages, any value for schema checks."""

import pytest

from papercoder_nb.util.extract import ExtractError, extract_json, find_json


@pytest.mark.parametrize("answer", [
    '{"a": 1}',
    'Here it is:\n```json\n{"a": 1}\n```\nDone.',
    'Sure. {"a": 1} is the answer.',
    '[CONTENT]\n{"a": 1,}\n[/CONTENT]',  # PaperCoder tags, a trailing comma
    '{"a": 1 // a comment\n}',
])
def test_object_in_every_wrapping(answer: str) -> None:
    assert extract_json(answer) == {"a": 1}
    assert find_json(answer) == {"a": 1}


def test_non_object_values_only_for_find_json() -> None:
    assert find_json("[1, 2]") == [1, 2]
    assert find_json("```json\n[\"x\"]\n```") == ["x"]
    with pytest.raises(ExtractError, match="found JSON list"):
        extract_json("[1, 2]")


def test_no_json_at_all() -> None:
    assert find_json("I cannot help with that.") is None
    with pytest.raises(ExtractError, match="no JSON object"):
        extract_json("I cannot help with that.")


def test_raw_control_characters_inside_strings() -> None:
    assert find_json('{"code": "line1\nline2"}') == {"code": "line1\nline2"}
