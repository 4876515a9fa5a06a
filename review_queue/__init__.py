"""Review queue: listings, scores and the human review of flagged listings.

Layers (inner to outer): ``domain`` (pure rules), ``db`` (SQLAlchemy models and
migrations), ``services`` (use-cases that receive a Session), ``web`` (FastAPI).
"""
