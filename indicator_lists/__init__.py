"""thbscan indicator catalogue: versioned, tested indicator lists and their tools.

This package imports nothing else of the project (see the import-linter contracts).
"""

from .diff import diff, format_diff
from .errors import CatalogueError, Problem
from .export import export, verify_export
from .listing import format_table, rows
from .loader import load_catalogue, load_list_file
from .model import (
    CATEGORIES,
    FORMS,
    GRADES,
    LANGUAGES,
    Catalogue,
    ChangelogEntry,
    Examples,
    Indicator,
    IndicatorList,
    LanguagePatterns,
    Rule,
)
from .schema import json_schema
from .validate import lock, validate

__all__ = [
    "CATEGORIES",
    "FORMS",
    "GRADES",
    "LANGUAGES",
    "Catalogue",
    "CatalogueError",
    "ChangelogEntry",
    "Examples",
    "Indicator",
    "IndicatorList",
    "LanguagePatterns",
    "Problem",
    "Rule",
    "diff",
    "export",
    "format_diff",
    "format_table",
    "json_schema",
    "load_catalogue",
    "load_list_file",
    "lock",
    "rows",
    "validate",
    "verify_export",
]
