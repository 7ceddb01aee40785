"""citewatch: check, verify and archive the sources an article cites."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/citewatch/citewatch"
