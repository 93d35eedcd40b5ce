"""Verification room: static checks of a session's generated code."""
