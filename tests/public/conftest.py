"""The board's tests use the voting tests' estate (owners of every kind, a project in world A), and the
demo service walked as the README walks it (``walked``: one per session, shared by the crawl and the
browser checks)."""

from tests.public.walked import walked  # noqa: F401  (fixture)
from tests.voting.conftest import estate  # noqa: F401  (fixture)
