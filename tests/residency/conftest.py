"""Residency tests share the auth tests' registry tree, WeChat client and live app."""

from tests.auth.conftest import app, live, tree  # noqa: F401  (fixtures)
