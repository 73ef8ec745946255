"""The installed distribution's version (from `pyproject.toml`, through the wheel's metadata)."""

from importlib.metadata import version

__version__ = version("barter-python")
