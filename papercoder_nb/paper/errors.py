"""Errors raised while reading a paper: each says what is wrong and what to do."""


class PaperError(Exception):
    """A paper could not be read. The message names the problem and the fix."""
