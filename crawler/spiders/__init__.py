"""Generic spiders; each site is a config file in crawler/sources/."""
