"""Route dependencies are coroutines: FastAPI runs a plain function in its thread pool, a hop of a thread
and back on every request for what is usually a line of work."""

import inspect

from fastapi.routing import APIRoute

from app.main import create_app

# Providers that other code calls as plain functions too (and tests override): not on the hot paths.
PLAIN_FUNCTIONS = {"get_storage", "get_wechat", "get_realname", "wants_english"}


def _routes(routes):
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _routes(router.routes)


def _plain(dependant):
    for dependency in dependant.dependencies:
        call = dependency.call
        function = call if inspect.isroutine(call) else type(call).__call__  # an instance: its __call__
        if not (inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)):
            yield getattr(call, "__name__", repr(call))
        yield from _plain(dependency)


def test_no_route_runs_a_dependency_in_a_thread():
    routes = list(_routes(create_app().routes))
    assert len(routes) > 150  # every domain's routes were walked
    found = {name for route in routes for name in _plain(route.dependant)}
    assert found <= PLAIN_FUNCTIONS, sorted(found - PLAIN_FUNCTIONS)
