"""``python -m trialkit``: the same as the ``trialkit`` command."""

from trialkit.cli import main

if __name__ == "__main__":
    main()
