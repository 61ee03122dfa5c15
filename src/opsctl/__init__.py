"""opsctl: make a product organisation's operating framework executable."""

__version__ = "0.1.0"
