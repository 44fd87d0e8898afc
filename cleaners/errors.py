"""Named exceptions the library raises. Only the CLI turns them into messages and exit codes.

A bad *document* is never an exception: it becomes a `Reject` with a reason. These are for
problems with the run itself (a config that does not validate, an input path that does
not exist, an output folder that belongs to another corpus).
"""


class DocprepError(Exception):
    """Base class: the run cannot proceed as asked."""


class ConfigError(DocprepError):
    """The config file or a setting is invalid."""


class InputError(DocprepError):
    """An input given on the command line does not exist or cannot be used."""


class OutputError(DocprepError):
    """The output folder cannot be written or is in an inconsistent state."""


class AccountingError(DocprepError):
    """Inputs != records + rejects: a bug, and the run fails loudly rather than lose data."""
