"""Factories for test data, one module per domain; ``from tests import factories as f`` gives them all."""

from tests.factories.auth import bind, consent, headers, user
from tests.factories.plans import published_plan
from tests.factories.projects import project, project_item, project_organization
from tests.factories.registry import (
    Tree,
    building,
    community,
    entrance,
    estate,
    grid,
    holding,
    organization,
    owner,
    street,
    tree,
    unit,
)

__all__ = [
    "Tree", "bind", "building", "consent", "community", "entrance", "estate", "grid", "headers", "holding", "organization", "owner",
    "project", "project_item", "project_organization", "published_plan", "street", "tree", "unit", "user",
]
