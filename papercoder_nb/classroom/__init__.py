"""A class on one hub: the instructor's settings, each student's usage and daily budget.

Everything an instructor controls lives here, below the runner and the panel, so both
read the same rules: ``settings`` (the file the hub admin writes), ``policy`` (which model
a student may use, and why not), ``ledger`` (what each student spent, in a file the
instructor can read) and ``guard`` (the backend wrapper that stops a call past the cap).
"""
