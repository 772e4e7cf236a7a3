"""What the gates add to Great Expectations, through GX's own extension points. The runner and the generator
import this module before they open the context: defining the classes registers them with GX.

- `paperpulse_frames`, a datasource of named in-memory DataFrames, so that one checkpoint validates
  several. GX's pandas `dataframe` asset takes its DataFrame from the run's batch parameters, which a
  checkpoint hands unchanged to every validation definition it runs, so a checkpoint over an extraction
  batch's mentions and results (or the marts' frames) could not tell them apart. A `frame` asset is that
  asset, except that the `dataframe` batch parameter may map asset names to frames, each asset taking its own:
  `checkpoint.run(batch_parameters={"dataframe": {"extraction_mentions": m, "extraction_results": r}})`.
- `update_data_docs_per_run`, GX's UpdateDataDocsAction building the site once per checkpoint run: GX's
  own rebuilds the site, index included (which reads every validation result it lists), once for each
  validation definition, 12 times a marts run. It renders a suite's page only when the site lacks it or
  the suite changed since, not at every run.
- A Data Docs site builder that copies its static assets (fonts, images, styles) only into a site that
  lacks them when it adds a run's pages; GX's copies them at every update (a tenth of a second a run).
- Data Docs views that compile their Jinja templates once per process: GX's build a new Jinja environment,
  and so compile every template again, for every page of every update (most of a small run's time).

Together they take a checkpoint run's Data Docs update from about 0.8 s (marts: 5 s) to a few hundredths.

A Data Docs page GX cannot write (a full disk) is logged as one line, the error's; GX puts the whole traceback
in its message, which would end up among a run's error lines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Literal

from great_expectations.checkpoint.actions import ActionContext, UpdateDataDocsAction
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier
from great_expectations.datasource.fluent.interfaces import DataAsset
from great_expectations.datasource.fluent.pandas_datasource import DataFrameAsset, _PandasDatasource
from great_expectations.render.renderer.site_builder import SiteBuilder as GXSiteBuilder
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView


class _PageErrorOnOneLine(logging.Filter):
    ERROR = re.compile(r'(\w+): "(.*?)"\.  Traceback: "', re.S)

    def filter(self, record: logging.LogRecord) -> bool:
        error = self.ERROR.search(record.getMessage())
        if error:
            record.msg, record.args = "a Data Docs page was not written: %s: %s", error.groups()
        return True


logging.getLogger("great_expectations.render.renderer.site_builder").addFilter(_PageErrorOnOneLine())

DATASOURCE_TYPE = "paperpulse_frames"
HOME_VARIABLE = "paperpulse_gx_home"  # config variable: where results and Data Docs go ($PAPERPULSE_HOME/gx)


class FrameAsset(DataFrameAsset):
    type: Literal["frame"] = "frame"

    def build_batch_request(self, options=None, batch_slice=None, partitioner=None):
        frames = (options or {}).get("dataframe")
        if isinstance(frames, Mapping):
            if self.name not in frames:
                raise KeyError(f"no frame named {self.name!r} among {sorted(frames)}")
            options = {"dataframe": frames[self.name]}
        return super().build_batch_request(options, batch_slice, partitioner)


class FramesDatasource(_PandasDatasource):
    """Named DataFrames handed in with each run (nothing to connect to)."""

    asset_types: ClassVar[Sequence[type[DataAsset]]] = [FrameAsset]
    type: Literal["paperpulse_frames"] = DATASOURCE_TYPE
    assets: list[FrameAsset] = []  # noqa: RUF012 (a pydantic field, as in GX's own datasources)

    def test_connection(self, test_assets: bool = True) -> None:
        """Nothing to connect to: the frames arrive with each run."""

    def add_frame_asset(self, name: str) -> FrameAsset:
        return self._add_asset(FrameAsset(name=name))


class UpdateDataDocsPerRunAction(UpdateDataDocsAction):
    """Add the run's validation results to the Data Docs in one site build, with the pages of the suites
    that the site lacks or that changed since their page was written."""

    type: Literal["update_data_docs_per_run"] = "update_data_docs_per_run"

    def run(self, checkpoint_result, action_context: ActionContext | None = None) -> dict:
        context = self._resolve_context().context
        suites = Path(context.root_directory) / "expectations"
        pages = Path(context.runtime_environment.get(HOME_VARIABLE, "")) / "data_docs" / "expectations"
        stale = sorted(
            {
                result.suite_name
                for result in checkpoint_result.run_results.values()
                if not _newer(pages / f"{result.suite_name}.html", suites / f"{result.suite_name}.json")
            }
        )
        self._build_data_docs(
            site_names=self.site_names,
            resource_identifiers=[
                *checkpoint_result.run_results,
                *(ExpectationSuiteIdentifier(name=name) for name in stale),
            ],
        )
        return {}


def _newer(page: Path, source: Path) -> bool:
    try:
        return page.stat().st_mtime >= source.stat().st_mtime
    except OSError:
        return False


class SiteBuilder(GXSiteBuilder):
    """GX's site builder; adding pages to a site that has its static assets, it does not copy them again
    (a full build, `paperpulse docs`, still does)."""

    STYLES = ("static", "styles", "data_docs_default_styles.css")

    def build(self, resource_identifiers=None, build_index: bool = True):
        store = self.target_store
        if resource_identifiers is None or not store.store_backends["static_assets"].has_key(self.STYLES):
            return super().build(resource_identifiers, build_index)
        store.copy_static_assets = lambda static_assets_source_dir=None: None
        try:
            return super().build(resource_identifiers, build_index)
        finally:
            del store.copy_static_assets


class _SharedEnvironment:
    _environments: ClassVar[dict] = {}

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        key = (type(self), custom_styles_directory, custom_views_directory)
        shared = _SharedEnvironment._environments.get(key)
        if shared is None:
            super().__init__(custom_styles_directory, custom_views_directory)
            _SharedEnvironment._environments[key] = self.env
        else:
            self.custom_styles_directory = custom_styles_directory
            self.custom_views_directory = custom_views_directory
            self.env = shared


class PageView(_SharedEnvironment, DefaultJinjaPageView):
    """Validation result and expectation suite pages."""


class IndexPageView(_SharedEnvironment, DefaultJinjaIndexPageView):
    """The index page."""
