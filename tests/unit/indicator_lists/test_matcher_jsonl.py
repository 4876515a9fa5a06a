import io

from indicator_lists.matcher.jsonl import read_jsonl


def test_lines_are_numbered_and_errors_named() -> None:
    stream = io.StringIO('{"title": "a", "text": "b"}\n\n[1]\n{bad\n{"text": 3}\n{"x": 1}\n')
    lines = list(read_jsonl(stream, required=("title", "text")))
    assert [ln.number for ln in lines] == [1, 3, 4, 5, 6]
    assert lines[0].value == {"title": "a", "text": "b"}
    assert "expected a JSON object" in lines[1].error
    assert "line 4: not valid JSON" in lines[2].error
    assert "'text' must be a string" in lines[3].error
    assert "needs a non-empty 'title' or 'text'" in lines[4].error
