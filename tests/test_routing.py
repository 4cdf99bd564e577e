"""No route of one router answers a path of another's: the routers' order (``app.main.BUSIEST`` first)
decides only how soon a request's route is found, never which route answers it."""

import re

from fastapi.routing import APIRoute
from starlette.routing import compile_path

from app.main import create_app

SAMPLE = "0f0f0f0f-0000-4000-8000-000000000000"  # what each path parameter is given


def _routes(route, prefix: str = ""):
    """(full path, methods) of the API routes under a top-level route (an included router, or a route)."""
    if isinstance(route, APIRoute):
        yield prefix + route.path_format, route.methods
    router = getattr(route, "original_router", None)
    if router is not None:
        for inner in router.routes:
            yield from _routes(inner, prefix + route.include_context.prefix)


def test_routers_do_not_overlap_so_their_order_decides_nothing():
    app = create_app()
    tops = [list(_routes(top)) for top in app.router.routes]
    assert sum(1 for routes in tops if len(routes) > 1) > 10  # every domain's router was walked
    overlaps = [
        (path, other)
        for n, routes in enumerate(tops) for m, others in enumerate(tops) if n != m
        for path, methods in routes for other, other_methods in others
        if methods & other_methods and compile_path(other)[0].match(re.sub(r"\{[^}]+\}", SAMPLE, path))
    ]
    assert overlaps == []
