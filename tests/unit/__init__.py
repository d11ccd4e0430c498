"""Unit tests: fast checks of one function or class."""
