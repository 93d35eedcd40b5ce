"""The ipywidgets workbench (placeholder until the panel lands)."""
