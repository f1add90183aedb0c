"""The ASGI application: routing, the request pipeline, the one error handler."""
