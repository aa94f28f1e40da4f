"""shared-inbox: a terminal shared inbox for small support teams."""

__version__ = "0.1.0"
