"""The API's routers: the engine operations (v1) and the service endpoints."""
