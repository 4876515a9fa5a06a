"""Errors of the models package."""


class ModelError(Exception):
    """A model problem with a message that says what to do."""


class UntrustedModel(ModelError):
    """A model file whose SHA-256 is not in the manifest, or differs from it (R29)."""
