"""Residency: how people become residents of units (bindings, invitation codes), and the caller's own page."""
