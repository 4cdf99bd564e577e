"""Personal-information tests share the voting tests' estate (owners of every kind, bound) and the auth
tests' registry tree."""

from tests.auth.conftest import tree  # noqa: F401  (fixture)
from tests.voting.conftest import estate  # noqa: F401  (fixture)
