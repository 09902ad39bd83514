"""Veil's command line: a thin layer that parses, calls the library and prints."""
