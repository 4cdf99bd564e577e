"""How requests find their routes: no route of one router answers a path of another's (so the routers'
order, ``app.main.BUSIEST`` first, decides only how soon a route is found, never which route answers it),
and no route dependency runs in FastAPI's thread pool (a plain function is run there, a hop of a thread and
back on every request for what is usually a line of work)."""

import inspect
import re

from fastapi.routing import APIRoute
from starlette.routing import compile_path

from app.main import create_app

SAMPLE = "0f0f0f0f-0000-4000-8000-000000000000"  # what each path parameter is given

# Providers that other code calls as plain functions too (and tests override): not on the hot paths.
PLAIN_FUNCTIONS = {"get_storage", "get_wechat", "get_realname", "wants_english"}


def _routes(route, prefix: str = ""):
    """(full path, route) of the API routes under a top-level route (an included router, or a route)."""
    if isinstance(route, APIRoute):
        yield prefix + route.path_format, route
    router = getattr(route, "original_router", None)
    if router is not None:
        for inner in router.routes:
            yield from _routes(inner, prefix + route.include_context.prefix)


def _plain(dependant):
    for dependency in dependant.dependencies:
        call = dependency.call
        function = call if inspect.isroutine(call) else type(call).__call__  # an instance: its __call__
        if not (inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)):
            yield getattr(call, "__name__", repr(call))
        yield from _plain(dependency)


def test_routers_do_not_overlap_so_their_order_decides_nothing():
    app = create_app()
    tops = [list(_routes(top)) for top in app.router.routes]
    assert sum(1 for routes in tops if len(routes) > 1) > 10  # every domain's router was walked
    overlaps = [
        (path, other)
        for n, routes in enumerate(tops) for m, others in enumerate(tops) if n != m
        for path, route in routes for other, other_route in others
        if route.methods & other_route.methods
        and compile_path(other)[0].match(re.sub(r"\{[^}]+\}", SAMPLE, path))
    ]
    assert overlaps == []


def test_no_route_runs_a_dependency_in_a_thread():
    routes = [route for top in create_app().router.routes for _, route in _routes(top)]
    assert len(routes) > 150  # every domain's routes were walked
    found = {name for route in routes for name in _plain(route.dependant)}
    assert found <= PLAIN_FUNCTIONS, sorted(found - PLAIN_FUNCTIONS)
