"""Verification room: running and repairing generated code (sandbox, smoke run, session
environment, repair); the static readers it uses live in ``checks``."""
