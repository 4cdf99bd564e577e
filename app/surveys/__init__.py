"""Questionnaires (问卷调查): DESIGN.md §5."""
