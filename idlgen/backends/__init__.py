"""Backends: one subpackage per kind of output."""
