"""Errors the library raises; each message is written for the person who will read it."""


class QAError(Exception):
    """Base class for every error this package raises on purpose."""


class BadQuestion(QAError):
    """The question is empty, too long or otherwise unusable."""


class IndexMissing(QAError):
    """There is no index to answer from (or it holds nothing)."""


class IndexBusy(QAError):
    """Another indexing run holds the index lock."""


class ConfigError(QAError):
    """A setting has a value the program cannot use."""


class StoreUnreachable(ConfigError):
    """The Chroma server of QA_CHROMA_URL cannot be reached or refuses the requests."""


class DocumentError(QAError):
    """A corpus file cannot be read; indexing skips it and goes on."""


class ModelFailed(QAError):
    """The local model process crashed, timed out or reported an error; answers fall back."""


class IndexOutdated(IndexMissing):
    """The index was built by an earlier version whose layout this one cannot read."""
