"""The `handrail` console script. `handrail hook ...` runs on every agent action, so it skips click and
the rest of the CLI (~50 ms of imports) and goes straight to the hook runner; everything else is cli.main."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "hook" and not any(a in ("-h", "--help") for a in argv[1:]):
        from handrail.hook import main as hook_main

        code = hook_main(argv[1:])
        # The reply is written and the journal committed: leave without the interpreter's teardown (module and
        # object finalisation, ~10 ms), which the agent would otherwise wait for on every action.
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # the agent closed the pipe: nothing left to tell it
            pass
        import os

        os._exit(code)
    from handrail.cli import main as cli_main

    cli_main()


if __name__ == "__main__":  # pragma: no cover
    main()
