"""Uploaded files: content-typed, hashed, stored once, served only to those who may see their object."""
