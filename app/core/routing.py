"""Each request offered only to the routers that could answer it.

FastAPI offers a request to the application's routers in order, and each router tries it route by route
(~2 us a route): a roster page, in the tenth router, was tried against the 86 routes of the nine before
it first. A route can only match a path that starts with the route's literal beginning (its path up to
its first parameter), so each included router is given a check in front of its own: the request's path
must start with one of its routes' beginnings, or the router answers "no match" at once (one
``str.startswith`` over a tuple). The check refuses only paths that none of the router's routes could
match: which route answers is unchanged (tests/test_routing.py), only how soon it is found.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path  # what Starlette's routes match against
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

__all__ = ["guard_routers"]


def _literal_beginnings(route: BaseRoute, prefix: str = "") -> set[str]:
    """The literal beginnings of the paths of every route under ``route`` (an included router or a route);
    an empty string, which every path starts with, for a route of another kind (it may match anything)."""
    if isinstance(route, APIRoute):
        return {(prefix + route.path_format).split("{", 1)[0]}
    router = getattr(route, "original_router", None)
    if router is None:
        return {""}
    prefix += route.include_context.prefix  # type: ignore[attr-defined]  # FastAPI's included router
    return {beginning for inner in router.routes for beginning in _literal_beginnings(inner, prefix)}


def _guarded(matches: Callable[[Scope], tuple[Match, Scope]], beginnings: tuple[str, ...]):
    def guarded(scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(beginnings):
            return Match.NONE, {}
        return matches(scope)

    return guarded


def guard_routers(app: FastAPI) -> None:
    """Put the check in front of each router the application includes (call it after the last
    ``include_router``). The application's router calls each route's ``matches``: Starlette's protocol."""
    for route in app.router.routes:
        if getattr(route, "original_router", None) is None:
            continue  # a route of the application's own (the docs, a mount): tried as before
        beginnings = _literal_beginnings(route)
        if "" not in beginnings:
            included: Any = route
            included.matches = _guarded(route.matches, tuple(sorted(beginnings)))
