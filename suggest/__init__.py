"""huashu-suggest: reply suggestions (话术) for Chinese e-commerce customer service."""

__version__ = "0.1.0"
