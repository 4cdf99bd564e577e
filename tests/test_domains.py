"""The composition root: every domain's manifest installed through the one map of extension points."""

import pytest

from app import domains
from app.core.errors import CATALOGUE, ErrorCode
from app.core.jobs import JOBS, Job
from app.core.manifest import Manifest
from app.projects import lifecycle
from app.residency import todo


def test_the_manifests_are_in_layer_order():
    from tests.test_layers import LAYER

    layers = [LAYER[m.name] for m in domains.MANIFESTS]
    assert layers == sorted(layers)
    assert {m.name for m in domains.MANIFESTS} == set(LAYER) - {"main", "domains", "models", "__main__", "demo"}


def test_every_contribution_has_an_extension_point_and_is_installed():
    for manifest in domains.MANIFESTS:
        for contribution in manifest.contributions:
            assert type(contribution) in domains.EXTENSION_POINTS, (manifest.name, contribution)
    domains.install()  # again: installing the same values changes nothing
    declared = [c for m in domains.MANIFESTS for c in m.contributions]
    assert {j.name for j in declared if isinstance(j, Job)} == set(JOBS)
    assert all(lifecycle.registry.get(g.name) == g for g in declared if isinstance(g, lifecycle.Guard))
    assert {s.kind for s in declared if isinstance(s, todo.TaskSource)} == set(todo.KINDS)


def test_a_value_no_extension_point_takes_is_refused():
    with pytest.raises(TypeError, match="stray: no extension point takes a str"):
        domains.install((Manifest(name="stray", contributions=("a guard, perhaps",)),))


def test_a_second_value_under_one_name_is_refused():
    async def other(session):
        return None

    with pytest.raises(ValueError, match="already installed"):
        domains.install((Manifest(name="stray", contributions=(Job("voting.close_due", JOBS["voting.close_due"].interval,
                                                                     other),)),))


def test_every_error_code_is_declared_by_a_manifest():
    """The catalogue is exactly the codes of the manifests' error modules: no code defined out of sight."""
    declared = {value.code for m in domains.MANIFESTS if m.errors is not None
                for value in vars(m.errors).values() if isinstance(value, ErrorCode)}
    assert declared == set(CATALOGUE)
