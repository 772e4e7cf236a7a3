"""The gates' Great Expectations project, defined in Python and written out as the files GX loads.

`python -m expectations.define` writes expectations/gx/ (great_expectations.yml, expectations/*.json,
validation_definitions/*.json, checkpoints/*.json) from the definitions here and in expectations/marts.py;
`--check` only says whether the committed files are what it would write (tests/test_gx_project.py
checks that too). The gate runner (expectations/gate.py) only loads and runs them.

One checkpoint per gate, each validation definition one named frame (a `frame` asset of the
`paperpulse_frames` datasource, expectations/frames.py) and the suite of the same name:

- `raw_batch`: one interval's papers, before they are loaded;
- `extraction`: one extraction batch's mentions and results, before they are written;
- `marts`: the frames of expectations/marts.py, after the dbt build.

Every checkpoint keeps its validation results and updates the Data Docs after each run; both live under
the warehouse home ($PAPERPULSE_HOME/gx/), which the runner passes as the config variable
`paperpulse_gx_home` when it opens the context: nothing in this folder is written at run time.

The files are written through GX's own stores (in a scratch project), then the random ids GX gives each
object are replaced by ids derived from the object's place, so the same definitions give the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import uuid
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import great_expectations.expectations as gxe
import yaml

from expectations import extensions, marts

GX_DIR = Path(__file__).resolve().with_name("gx")
DATASOURCE = "paperpulse"
BATCH_DEFINITION = "whole_frame"
HOME_VARIABLE = extensions.HOME_VARIABLE  # the runner's `runtime_environment`: $PAPERPULSE_HOME/gx
KEEP_RUNS = 30  # runs whose validation results each checkpoint keeps (gate.py prunes older ones)
INDEX_RESULTS = 30  # the newest validation results the Data Docs index lists (and reads at each update)
IDS = uuid.UUID("6a1d5c3e-4f2b-4e39-9c57-0b6f2f5d1a10")  # namespace of the derived ids


def raw_batch() -> gx.ExpectationSuite:
    """One interval's papers, after record-level checks sent bad records to quarantine."""
    return gx.ExpectationSuite(
        name="raw_batch",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="paper_id"),
            gxe.ExpectColumnValuesToBeUnique(column="paper_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="title"),
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="abstract",
                min_value={"$PARAMETER": "min_abstract_chars"},
                max_value={"$PARAMETER": "max_abstract_chars"},
                description="within the abstract bounds of raw loading (passed by the caller)",
            ),
            gxe.ExpectColumnValueLengthsToEqual(column="content_hash", value=64),
            gxe.ExpectColumnValuesToNotBeNull(column="listed_date"),
            gxe.ExpectColumnValuesToNotBeNull(column="source"),
        ],
    )


def extraction_mentions() -> gx.ExpectationSuite:
    """Mentions of one extraction batch, with the abstract's length and whether the offsets slice the
    abstract to the surface."""
    return gx.ExpectationSuite(
        name="extraction_mentions",
        expectations=[
            gxe.ExpectColumnValuesToBeInSet(column="type", value_set=marts.MENTION_TYPES),
            gxe.ExpectColumnValuesToNotBeNull(column="canonical"),
            gxe.ExpectColumnValuesToBeBetween(column="start_char", min_value=0),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_char", column_B="start_char"),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="abstract_length", column_B="end_char", or_equal=True
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="surface_at_offsets",
                value_set=[True],
                description="the offsets slice the abstract to the mention's surface",
            ),
        ],
    )


def extraction_results() -> gx.ExpectationSuite:
    """Numeric results of one extraction batch."""
    return gx.ExpectationSuite(
        name="extraction_results",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="value"),
            gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=marts.RESULT_KINDS),
            gxe.ExpectColumnValuesToNotBeNull(column="kind"),
            gxe.ExpectColumnValuesToNotBeNull(column="evidence"),
        ],
    )


def marts_suites() -> list[gx.ExpectationSuite]:
    return [
        gx.ExpectationSuite(
            name=frame.asset,
            expectations=[expectation.copy() for expectation in frame.expectations],
            notes=frame.description,
        )
        for frame in marts.FRAMES
    ]


def checkpoints() -> dict[str, list[gx.ExpectationSuite]]:
    """Each gate's checkpoint and its suites, one validation definition (and frame) per suite."""
    return {
        "raw_batch": [raw_batch()],
        "extraction": [extraction_mentions(), extraction_results()],
        "marts": marts_suites(),
    }


def views(name: str) -> dict:
    return {"view": {"module_name": "expectations.extensions", "class_name": name}}


def project_config() -> dict:
    """great_expectations.yml without its datasource (GX writes that part)."""

    def store(kind: str, directory: str, committed: bool = True) -> dict:
        backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": directory}
        if committed:  # else GX writes a store id file into the repo when it opens the store
            backend["suppress_store_backend_id"] = True
        return {"class_name": kind, "store_backend": backend}

    return {
        "config_version": 4.0,
        "analytics_enabled": False,
        "data_context_id": str(uuid.uuid5(IDS, "data_context")),
        "config_variables_file_path": None,
        "plugins_directory": None,
        "progress_bars": {"globally": False, "metric_calculations": False},
        "stores": {
            "expectations_store": store("ExpectationsStore", "expectations/"),
            "validation_definition_store": store("ValidationDefinitionStore", "validation_definitions/"),
            "checkpoint_store": store("CheckpointStore", "checkpoints/"),
            "validation_results_store": store(
                "ValidationResultsStore", f"${{{HOME_VARIABLE}}}/validations/", committed=False
            ),
        },
        "expectations_store_name": "expectations_store",
        "validation_results_store_name": "validation_results_store",
        "checkpoint_store_name": "checkpoint_store",
        "data_docs_sites": {
            "local_site": {
                "class_name": "SiteBuilder",
                "module_name": "expectations.extensions",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": f"${{{HOME_VARIABLE}}}/data_docs/",
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": INDEX_RESULTS,
                    **views("IndexPageView"),
                },
                "site_section_builders": {
                    "expectations": views("PageView"),
                    "validations": views("PageView"),
                    "profiling": "None",
                },
            }
        },
    }


HEADER = """\
# paperpulse's gates as a Great Expectations project. Written by `python -m expectations.define` from
# expectations/define.py and expectations/marts.py: change those and run it again (a test checks that
# these files are what it writes). Nothing here is written at run time: validation results and Data Docs
# go under $PAPERPULSE_HOME/gx/, the `paperpulse_gx_home` the gate runner passes when it opens the context.
"""


def _scratch_project(root: Path) -> None:
    """Create the project in `root` through GX's API (its stores write the files)."""
    (root / "gx").mkdir(parents=True)
    (root / "gx" / "great_expectations.yml").write_text(yaml.safe_dump(project_config(), sort_keys=False))
    context = gx.get_context(
        mode="file", project_root_dir=str(root), runtime_environment={HOME_VARIABLE: str(root / "home")}
    )
    datasource = getattr(context.data_sources, f"add_{extensions.DATASOURCE_TYPE}")(DATASOURCE)
    for checkpoint, suites in checkpoints().items():
        definitions = []
        for suite in suites:
            batches = datasource.add_frame_asset(suite.name).add_batch_definition_whole_dataframe(
                BATCH_DEFINITION
            )
            suite = context.suites.add(suite)
            definitions.append(
                context.validation_definitions.add(
                    gx.ValidationDefinition(name=suite.name, data=batches, suite=suite)
                )
            )
        context.checkpoints.add(
            gx.Checkpoint(
                name=checkpoint,
                validation_definitions=definitions,
                actions=[extensions.UpdateDataDocsPerRunAction(name="update_data_docs")],
                result_format="SUMMARY",
            )
        )


def _stable_ids(files: dict[str, str]) -> dict[str, str]:
    """Replace GX's random ids by ids derived from what each identifies."""
    places: dict[str, str] = {}
    datasources = yaml.safe_load(files["great_expectations.yml"])["fluent_datasources"]
    for name, datasource in datasources.items():
        places[datasource["id"]] = f"datasource/{name}"
        for asset_name, asset in datasource["assets"].items():
            places[asset["id"]] = f"asset/{name}/{asset_name}"
            for definition_name, definition in asset["batch_definitions"].items():
                places[definition["id"]] = f"batch_definition/{name}/{asset_name}/{definition_name}"
    for path, text in files.items():
        if not path.endswith(".json"):
            continue
        document = json.loads(text)
        kind = path.split("/")[0]
        places[document["id"]] = f"{kind}/{document['name']}"
        for expectation in document.get("expectations", []):
            identity = json.dumps([expectation["type"], expectation["kwargs"]], sort_keys=True)
            places[expectation["id"]] = f"{kind}/{document['name']}/{identity}"
    ids = {old: str(uuid.uuid5(IDS, place)) for old, place in places.items()}
    pattern = re.compile("|".join(map(re.escape, ids)))
    return {path: pattern.sub(lambda m: ids[m[0]], text) for path, text in files.items()}


def generate() -> dict[str, str]:
    """The project's files (path under expectations/gx/ -> text), as this module defines them."""
    with tempfile.TemporaryDirectory(prefix="paperpulse-gx-") as scratch:
        root = Path(scratch)
        _scratch_project(root)
        written = root / "gx"
        files = {
            str(path.relative_to(written)): path.read_text(encoding="utf-8")
            for kind in ("expectations", "validation_definitions", "checkpoints")
            for path in sorted((written / kind).glob("*.json"))
        }
        datasources = yaml.safe_load((written / "great_expectations.yml").read_text())["fluent_datasources"]
    config = {**project_config(), "fluent_datasources": datasources}
    files["great_expectations.yml"] = HEADER + yaml.safe_dump(config, sort_keys=False)
    files = _stable_ids(files)
    return {path: text if text.endswith("\n") else text + "\n" for path, text in sorted(files.items())}


def committed(directory: Path = GX_DIR) -> dict[str, str]:
    paths = [directory / "great_expectations.yml", *sorted(directory.glob("*/*.json"))]
    return {str(p.relative_to(directory)): p.read_text(encoding="utf-8") for p in paths if p.is_file()}


def write(directory: Path = GX_DIR) -> list[str]:
    """Write the project into `directory`, removing files it no longer has; returns what changed."""
    wanted, present = generate(), committed(directory)
    for path in set(present) - set(wanted):
        (directory / path).unlink()
    for path, text in wanted.items():
        if present.get(path) != text:
            (directory / path).parent.mkdir(parents=True, exist_ok=True)
            (directory / path).write_text(text, encoding="utf-8")
    return sorted(p for p in set(wanted) | set(present) if wanted.get(p) != present.get(p))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m expectations.define", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the files are up to date")
    args = parser.parse_args(argv)
    if args.check:
        wanted, present = generate(), committed()
        stale = sorted(p for p in set(wanted) | set(present) if wanted.get(p) != present.get(p))
        if stale:
            print(f"{GX_DIR} is out of date ({', '.join(stale)}): run python -m expectations.define")
            return 1
        print(f"{GX_DIR} is up to date")
        return 0
    changed = write()
    print(f"{GX_DIR}: {len(changed)} files written" + (f" ({', '.join(changed)})" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
