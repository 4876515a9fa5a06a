"""The Scrapy project: spiders that collect public listings, and their settings.

The crawler stores what it collects through an item pipeline that the
composition root (``thbscan``) switches on; it imports nothing of the scoring
or review packages (R01).
"""
