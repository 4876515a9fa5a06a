"""YAML data files (slots and templates) from which the fixture listings are generated."""
