"""How requests find their routes: no route of one router answers a path of another's (so the routers'
order, ``app.main.BUSIEST`` first, decides only how soon a route is found, never which route answers it),
no route dependency runs in FastAPI's thread pool (a plain function is run there, a hop of a thread and
back on every request for what is usually a line of work), no request waits for its route to be built, and a request is offered only to the routers that could answer
it."""

import gc
import inspect
import re

import fastapi.routing
import httpx
from fastapi.routing import APIRoute
from starlette.routing import Match, compile_path

import app.main
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


async def _models_built_by_first_requests(application, monkeypatch) -> int:
    built = []
    make = fastapi.routing.create_model_field
    monkeypatch.setattr(fastapi.routing, "create_model_field", lambda *a, **k: built.append(1) or make(*a, **k))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as c:
        for path in ("/healthz", "/api/v1/me", "/api/v1/me/tasks", f"/api/v1/ballots/{SAMPLE}", "/api/v1/streets"):
            assert (await c.get(path)).status_code < 500
    return len(built)


async def test_the_lifespan_builds_every_route_before_the_first_request(monkeypatch):
    """FastAPI builds a router's routes on the first request that reaches it (~0.4 s for all, in the event
    loop, every request beside it waiting): the lifespan builds them before the server takes a request."""

    async def _keep_engine() -> None:  # the suite's engine outlives this app
        pass

    monkeypatch.setattr(app.main, "dispose_engine", _keep_engine)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the suite's heap stays collectable
    started = create_app()
    async with started.router.lifespan_context(started):
        assert await _models_built_by_first_requests(started, monkeypatch) == 0
    assert await _models_built_by_first_requests(create_app(), monkeypatch) > 0  # what it saves


def _first_full_match(application, path: str, method: str):
    """The top-level route the application's router hands the request to, as its loop finds it."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}
    return next((top for top in application.router.routes if top.matches(scope)[0] == Match.FULL), None)


def test_every_route_is_still_reached_through_its_routers_check():
    """The check in front of each router (app.core.routing) refuses no path one of its routes matches."""
    application = create_app()
    checked = 0
    for top in application.router.routes:
        for path, route in _routes(top):
            sample = re.sub(r"\{[^}]+\}", SAMPLE, path)
            assert _first_full_match(application, sample, sorted(route.methods)[0]) is top, path
            checked += 1
    assert checked > 150


def test_a_path_is_tried_only_by_the_routers_whose_routes_begin_like_it(monkeypatch):
    application = create_app()
    tried = []
    for top in application.router.routes:
        if hasattr(top, "_match"):  # an included router: counted when it walks its routes
            monkeypatch.setattr(top, "_match", lambda scope, top=top, walk=top._match: tried.append(top) or walk(scope))
    roster = f"/api/v1/grids/{SAMPLE}/roster"
    found = _first_full_match(application, roster, "GET")
    assert any(path.endswith("/roster") for path, _ in _routes(found))
    assert tried == [found]  # the routers before it, /me's and the projects' among them, were passed over
