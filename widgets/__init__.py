"""The ipywidgets workbench: ``from papercoder_nb.widgets import Workbench``.

Imports the engine, never the reverse; the engine runs without ipywidgets installed.
"""

from .workbench import Workbench

__all__ = ["Workbench"]
