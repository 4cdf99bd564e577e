"""Questionnaires (问卷调查): docs/domain.md."""
