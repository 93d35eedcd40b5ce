"""The one traceback reader shared by the sandbox and repair."""

from papercoder_nb.checks.tracebacks import deepest_repo_frame, last_error_line

TB = '''Traceback (most recent call last):
  File "/tmp/papercoder-x/repo/main.py", line 12, in <module>
    main()
  File "/tmp/papercoder-x/repo/model.py", line 40, in main
    build()
  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads
    return _default_decoder.decode(s)
  File "<string>", line 1, in <module>
ValueError: bad shape
  hint: indented lines after the error are not the error
'''


def test_last_error_line_is_the_exception() -> None:
    assert last_error_line(TB) == "ValueError: bad shape"
    assert last_error_line("") is None


def test_deepest_frame_under_the_run_root() -> None:
    assert deepest_repo_frame(TB, root="/tmp/papercoder-x/repo") == ("model.py", 40)
    assert deepest_repo_frame(TB, root="/elsewhere") == (None, None)


def test_deepest_frame_among_known_files_without_the_root() -> None:
    assert deepest_repo_frame(TB, files=["main.py", "model.py"]) == ("model.py", 40)
    assert deepest_repo_frame(TB, files=["main.py"]) == ("main.py", 12)
    relative = 'File "utils.py", line 3, in f\nFile "other.py", line 9, in g\n'
    assert deepest_repo_frame(relative, files=["utils.py"]) == ("utils.py", 3)
    assert deepest_repo_frame(relative) == ("other.py", 9)
