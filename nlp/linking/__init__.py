"""Linking listings into operations: shared identifiers and shared templates."""

from .clusters import MAX_DEGREE, Cluster, Linker, LinkInput
from .signals import Signal, SignalConfig
from .templates import TemplateConfig, TemplateIndex, slots_of

__all__ = [
    "MAX_DEGREE",
    "Cluster",
    "LinkInput",
    "Linker",
    "Signal",
    "SignalConfig",
    "TemplateConfig",
    "TemplateIndex",
    "slots_of",
]
