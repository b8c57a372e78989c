"""``python -m trialkit``: the same as the ``trialkit`` command."""

from trialkit.cli import entry

if __name__ == "__main__":
    entry()
