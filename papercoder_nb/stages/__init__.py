"""The stages: what each artifact's prompt holds and how its answer is checked.

``spec_for(artifact_id)`` gives an ``ArtifactSpec``: the prompt template, the output
schema (for the JSON designs), the output token limit, and ``parse``, which turns a
model answer into the artifact's file content or raises ``ValueError`` with a message
that is quoted back to the model in the single repair request.
"""

from .specs import ArtifactSpec, spec_for

__all__ = ["ArtifactSpec", "spec_for"]
