"""Renovation projects: the lifecycle, the renovation menu, item progress and the timeline."""
