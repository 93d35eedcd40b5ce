"""The panel's steps as objects (``Step``), registered in order in ``registry``."""

from .base import Step, StepHost
from .files import AnalysisStep, CodeStep, FilesStep, FileTree, file_tree_style
from .registry import STEP_NAMES, STEP_TYPES, Steps, UnknownStep, step_for_artifact

__all__ = [
    "STEP_NAMES", "STEP_TYPES", "AnalysisStep", "CodeStep", "FileTree", "FilesStep", "Step", "StepHost", "Steps",
    "UnknownStep", "file_tree_style", "step_for_artifact",
]
