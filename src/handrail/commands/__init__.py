"""Command groups that live outside cli.py, each registered on the `handrail` group at the end of cli.py."""
