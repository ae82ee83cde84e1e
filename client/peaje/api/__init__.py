"""The HTTP front: FastAPI over every engine. Run it with ``uvicorn peaje.api:app``."""

from peaje.api.app import app, create_app

__all__ = ["app", "create_app"]
