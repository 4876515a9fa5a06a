"""Text models: training, evaluation and a registry trusted by hash (R29)."""

from models.listing_model import ListingModel, load_config
from models.registry import ModelRegistry, RegisteredModel

__all__ = ["ListingModel", "ModelRegistry", "RegisteredModel", "load_config"]
