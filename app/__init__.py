"""Resident participation backend for old-estate renovation (老旧小区改造)."""
