"""The HTTP entrypoint: the FastAPI app, one router per resource, errors as problem+json."""

from api.app import create_app

__all__ = ["create_app"]
