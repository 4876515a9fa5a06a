"""Text models: training, evaluation and a registry trusted by hash (R29)."""

from models.registry import ModelRegistry, RegisteredModel
from models.textmodel import TextModel, build_estimator, load_config

__all__ = ["ModelRegistry", "RegisteredModel", "TextModel", "build_estimator", "load_config"]
