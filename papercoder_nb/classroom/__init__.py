"""Classroom settings: an instructor's settings and per-user usage (imports only util and llm)."""
