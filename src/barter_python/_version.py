"""The package's version: the native crate's (`rust/Cargo.toml`), which maturin also gives the
wheel (`pyproject.toml` declares the version dynamic)."""

from barter_python._native import __version__

__all__ = ["__version__"]
