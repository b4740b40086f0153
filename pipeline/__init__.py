"""tmpipe: offline Chinese-to-English translation-memory pipeline."""
__version__ = "0.1.0"
