"""Generated code is parsed from several worker threads at once (runner, panel, checks)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from papercoder_nb.util.pyparse import compile_python, parse_python

# Deep enough that the AST constructor's recursion counter moves a lot during each parse.
SOURCE = "\n".join(f"def f{i}(x):\n    return " + "(" * 40 + "x" + " + 1)" * 40 for i in range(60))


def test_parsing_from_many_threads_at_once_never_fails() -> None:
    def work(n: int) -> int:
        for _ in range(15):
            compile_python(parse_python(SOURCE, f"m{n}.py"), f"m{n}.py")
        return n

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sorted(pool.map(work, range(12))) == list(range(12))


def test_a_syntax_error_is_raised_as_such() -> None:
    try:
        parse_python("def (:\n", "bad.py")
    except SyntaxError as e:
        assert e.filename == "bad.py"
    else:
        raise AssertionError("no SyntaxError")
