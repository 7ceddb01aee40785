"""citewatch: check, verify and archive the sources an article cites."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/citewatch/citewatch"
DEFAULT_USER_AGENT = f"citewatch/{__version__} (+{PROJECT_URL}; source verification for footnotes)"
