"""Prompt templates shipped with papercoder-nb (data files, one per call kind)."""
