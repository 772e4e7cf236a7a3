"""Several dbt commands in one process, on one parse of the project:
`python -m paperpulse.warehouse.dbt_session '{"shared": [args], "commands": [[args], ..., [args]]}'`.

Starting dbt costs seconds (importing it, reading the project); here every command after the first
costs only what it does. `shared` (the project, profiles and vars) goes to the parse and to every
command. The commands before the last only report, in their artefacts under the target path: whatever
they find, and even when they fail, the next one runs. The last one decides the exit status, as the
`dbt` executable would (0 success, 1 failure, 2 error).
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from dbt.cli.main import dbtRunner

    session = json.loads(argv[1])
    shared = session["shared"]
    *reports, last = session["commands"]
    parsed = dbtRunner().invoke(["parse", *shared])
    if not parsed.success:
        return 2
    runner = dbtRunner(manifest=parsed.result)
    for command in reports:
        runner.invoke([*command, *shared])
    result = runner.invoke([*last, *shared])
    if result.exception is not None:
        return 2
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
