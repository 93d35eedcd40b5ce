"""The ``papercoder`` command line: one parser and one error handler (``main``); the
commands register from their rooms (this package, ``verify``, ``evaluate``)."""

from ..util.errors import CliError
from .main import build_parser, main

__all__ = ["CliError", "build_parser", "main"]
