"""The analyst web application (thin FastAPI routers and Jinja templates)."""

from review_queue.web.app import create_app

__all__ = ["create_app"]
