"""Errors raised while reading a paper: each says what is wrong and what to do."""

from ..util.errors import PapercoderError


class PaperError(PapercoderError):
    """A paper could not be read. The message names the problem and the fix."""
