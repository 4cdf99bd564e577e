"""Projects tests: the shared two-world fixture (``tests.worlds``) and stand-ins for later domains' guards."""


import pytest

from app.projects import lifecycle
from app.projects.lifecycle import Guard


class LaterGuards:
    """Test checks standing in for the guards of domains not built yet (``PROVIDED_BY_LATER_DOMAINS``).

    Each refuses until ``allow(name)``; ``refuse(name)`` closes it again.
    """

    def __init__(self) -> None:
        self.allowed: set[str] = set()

    def allow(self, *names: str) -> None:
        self.allowed |= set(names)

    def refuse(self, *names: str) -> None:
        self.allowed -= set(names)


@pytest.fixture
def later_guards():
    """Register the stand-ins for this test only, and put back whatever was registered before."""
    control = LaterGuards()
    saved = {name: lifecycle.registry.get(name) for name in sorted(lifecycle.PROVIDED_BY_LATER_DOMAINS)}
    for name in saved:
        async def check(session, project, name=name) -> bool:
            return name in control.allowed

        lifecycle.registry.unregister(name)
        lifecycle.registry.register(Guard(name, lifecycle.registry.edges_requiring(name),
                                          f"测试：{name} 未满足", f"test: {name} not met", check))
    try:
        yield control
    finally:
        for name, guard in saved.items():
            lifecycle.registry.unregister(name)
            if guard is not None:
                lifecycle.registry.register(guard)
