"""The extraction interface: a pure function from (id, title, abstract) to mentions and results.

`Extractor.extract(papers)` takes an iterable of {"id", "title", "abstract"} dicts and yields,
in the same order, one prediction per paper:

    {"id": ...,
     "models": [surface, ...], "datasets": [...], "metrics": [...], "tasks": [...],  # distinct surfaces
     "results": [{"value": "26.79", "unit": "%"|"x"|""|..., "kind": "absolute"|"improvement",
                  "metric": surface|None, "dataset": surface|None, "model": surface|None,
                  "evidence": sentence, "condition": str|None}],
     "entities": [{"type": "model"|"dataset"|"metric"|"task", "surface", "canonical",
                   "start", "end", "family", "size"}]}              # offsets into the abstract

The pipeline is assembled from `config.cfg` (spacy.blank("en") plus the components registered in
`components.py`, `crf.py` and `task_crf.py`) with `spacy.util.load_model_from_config`; `nlp.initialize()`
loads the data (lexicons, weights). Its variants are overrides of that config (`pipeline_overrides`). A Doc's
output is in its span groups, `doc.spans["mentions"]` and `doc.spans["results"]` (`components.SpanWriter`).

The version is a hand-set rules number plus a hash of the config (after overrides), of the data the
enabled components load and of their code (the modules defining them and the extract/ modules those
import), so any change to a rule, a lexicon or a weight the pipeline uses re-extracts old papers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from functools import cache
from itertools import islice
from pathlib import Path

from spacy.language import Language
from spacy.util import load_config, load_model_from_config, registry
from thinc.api import Config

from extract import components, names
from extract import crf as _crf  # noqa: F401 (registers the paperpulse_crf factory)
from extract import task_crf as _task_crf  # noqa: F401 (registers the paperpulse_task_crf factory)

EXTRACT_DIR = Path(__file__).resolve().parent
CONFIG_FILE = EXTRACT_DIR / "config.cfg"
RULES_VERSION = "1.1"
ENTITY_TYPES = ("model", "dataset", "metric", "task")
BATCH_SIZE = 256
ZONE_SIZE = 1024  # papers per memory zone
PAPER_ID = "paperpulse_id"
DEFAULT = "default"
DEFAULT_SCORER = DEFAULT
NAMES, CRF, TASK_CRF = "paperpulse_names", "paperpulse_crf", "paperpulse_task_crf"


def pipeline_overrides(
    held_out_ids: Iterable[str] = (),
    conventions: str = "guidelines",
    scorer=DEFAULT,
    crf=DEFAULT,
    task_crf=DEFAULT,
) -> dict:
    """The overrides of `config.cfg` for a variant of the pipeline.

    `held_out_ids` drops lexicon entries taken from those seed gold papers (for cross-validation);
    `conventions="tdmsci"` marks spans as TDMSci does.

    `scorer` is the learned name scorer: by default the weights shipped in the repository under TDMSci's
    conventions and none under the guidelines' (on abstracts it added nothing measurable in cross-validation
    and cost a quarter of the speed, extract/README.md); None for none; a path for other weights; or a
    `names.NameScorer` (e.g. one just trained), which `build_pipeline` sets on the component. The shipped
    weights saw the silver labels of every bundled (seed gold) abstract, so with `held_out_ids` the default
    is none: cross-validation passes a scorer trained without the held-out papers.

    `crf`, under TDMSci's conventions only: the CRF that re-tags dataset mentions (`crf.py`), "default" for
    the model shipped in the repository, a path, or None for none; `task_crf` likewise, the CRF that re-tags
    task mentions (`task_crf.py`)."""
    held_out = sorted(held_out_ids)
    overrides: dict = {}
    if conventions != "guidelines":
        overrides["paperpulse.conventions"] = conventions
    if held_out:
        overrides["paperpulse.held_out_ids"] = held_out
    if isinstance(scorer, str) and scorer == DEFAULT:
        scorer_on = conventions == "tdmsci" and not held_out
    else:
        scorer_on = scorer is not None
        if isinstance(scorer, str | Path):
            overrides["paths.names_weights"] = str(scorer)
        elif scorer is not None:
            overrides["paths.names_weights"] = None  # set on the component before it is initialized
    crf_on = conventions == "tdmsci" and crf is not None
    if crf_on and not (isinstance(crf, str) and crf == DEFAULT):
        overrides["paths.crf_model"] = str(crf)
    task_crf_on = conventions == "tdmsci" and task_crf is not None
    if task_crf_on and not (isinstance(task_crf, str) and task_crf == DEFAULT):
        overrides["paths.task_crf_model"] = str(task_crf)
    disabled = [name for name, on in ((NAMES, scorer_on), (CRF, crf_on), (TASK_CRF, task_crf_on)) if not on]
    if disabled != [NAMES, CRF, TASK_CRF]:  # the config's own
        overrides["nlp.disabled"] = disabled
    return overrides


def pipeline_config(overrides: dict | None = None) -> Config:
    """`config.cfg` with `overrides` ({"section.key": value}), not interpolated."""
    return load_config(CONFIG_FILE, overrides=dict(overrides or {}), interpolate=False)


def build_pipeline(
    held_out_ids: Iterable[str] = (),
    conventions: str = "guidelines",
    scorer=DEFAULT,
    crf=DEFAULT,
    task_crf=DEFAULT,
    overrides: dict | None = None,
) -> Language:
    """The pipeline of `config.cfg` with the overrides of `pipeline_overrides(...)` (and `overrides`, e.g.
    another lexicon folder), initialized; its version in `nlp.meta["version"]`."""
    config = pipeline_config(
        pipeline_overrides(held_out_ids, conventions, scorer, crf, task_crf) | dict(overrides or {})
    )
    return assemble(config, scorer if isinstance(scorer, names.NameScorer) else None)


def assemble(config: Config, scorer: names.NameScorer | None = None) -> Language:
    """The pipeline of a config: built, then initialized (which loads the components' data). `scorer`, a
    learned name scorer held in memory, is set on the name finder before that (its weights path null)."""
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    version = version_of(config)
    if scorer is not None:
        nlp.get_pipe(NAMES).scorer = scorer
        version += "+in-memory-scorer"  # not reproducible from the config
    nlp.initialize()
    nlp.meta["version"] = version
    return nlp


# The version ------------------------------------------------------------------------------------------


def version_of(config: Config, root: Path = EXTRACT_DIR) -> str:
    """`RULES_VERSION` plus a hash of the config, of the data its enabled components load (the paths in
    their settings; folders by their files, less documentation) and of the code of extract/ they run
    (`root`: where to read extract/'s files, for tests)."""
    resolved = config.interpolate()
    disabled = set(resolved["nlp"].get("disabled") or ())
    enabled = [name for name in resolved["nlp"]["pipeline"] if name not in disabled]
    digest = hashlib.sha256(resolved.to_str().encode())
    for name, path in _code_files(resolved, enabled, root) + _data_files(resolved, enabled, root):
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return f"{RULES_VERSION}+{digest.hexdigest()[:10]}"


def _code_files(config: Config, enabled: list[str], root: Path) -> list[tuple[str, Path]]:
    """This module (which turns Docs into predictions) and the modules of extract/ that define the enabled
    components and the config's callbacks, with every module of extract/ they import, transitively."""
    functions = [
        registry.factories.get(Language.get_factory_name(config["components"][name]["factory"]))
        for name in enabled
    ]
    for stage in ("before_creation", "after_creation", "after_pipeline_creation"):
        callback = config["nlp"].get(stage) or {}
        if "@callbacks" in callback:
            functions.append(registry.callbacks.get(callback["@callbacks"]))
    pending = [f.__module__ for f in functions if f.__module__.split(".")[0] == "extract"]
    seen: dict[str, Path] = {}
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        path = _module_file(module, root)
        if path is None:
            continue
        seen[module] = path
        pending += _imported_modules(module, path)
    files = sorted(seen.items())
    return [(__name__, root / "extractor.py"), *files]


def _module_file(module: str, root: Path) -> Path | None:
    parts = module.split(".")[1:]
    for path in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
        if parts and path.is_file():
            return path
    return None


def _imported_modules(module: str, path: Path) -> list[str]:
    """The extract modules a module imports, anywhere in it (`from extract import x` may name a module).
    A scan of its import statements (parsing the modules would cost a tenth of a second at every load)."""
    found = []
    for match in _IMPORT.finditer(path.read_text(encoding="utf-8")):
        base, names, plain = match.groups()
        if plain is not None:
            found += [name.split(" as ")[0].strip() for name in plain.split("#")[0].split(",")]
            continue
        if base.startswith("."):  # relative: from the module's package upwards
            level = len(base) - len(base.lstrip("."))
            base = ".".join([*module.split(".")[:-level], base.lstrip(".")]).strip(".")
        names = re.sub(r"#[^\n]*", "", names).strip("()")
        found += [base, *(f"{base}.{name.split(' as ')[0].strip()}" for name in names.split(","))]
    return [name for name in found if name.split(".")[0] == "extract"]


# An import statement at the start of a line: `from X import a, b` (or `(a,\n b)`), `import X, Y`.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]*))", re.M
)


def _data_files(config: Config, enabled: list[str], root: Path) -> list[tuple[str, Path]]:
    files = []
    for name in enabled:
        settings = [config["components"][name], config["initialize"]["components"].get(name) or {}]
        for value in _strings(settings):
            path = Path(value) if Path(value).is_absolute() else root / value
            if path.is_file():
                files.append((value, path))
            elif path.is_dir():
                files += [
                    (f"{value}/{file.relative_to(path)}", file)
                    for file in sorted(path.rglob("*"))
                    if file.is_file() and file.suffix != ".md"
                ]
    return files


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@cache
def default_version() -> str:
    """The version of the pipeline as `config.cfg` ships it (what `load()` runs)."""
    return version_of(pipeline_config())


def __getattr__(name: str):
    if name == "EXTRACTOR_VERSION":  # computed on first use: `import extract.extractor` reads no file
        return default_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Running it -------------------------------------------------------------------------------------------


class Extractor:
    """Runs the pipeline over papers. Every batch after the first runs in a spaCy memory zone, so the
    strings that new names and numbers add to the vocabulary are freed after it: memory stays flat on an
    endless stream (the first batch, outside any zone, leaves the common words in the vocabulary, so the
    tokenizer's cache keeps serving them)."""

    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.version = nlp.meta.get("version")
        self._warm = False
        self._in_zone = False

    def extract(self, papers: Iterable[dict]) -> Iterator[dict]:
        def docs(batch: list[dict]) -> Iterator:
            for paper in batch:
                abstract = paper.get("abstract") or ""
                doc = self.nlp.make_doc(abstract)
                doc.user_data[components.TEXT] = abstract
                doc.user_data[components.TITLE] = paper.get("title") or ""
                doc.user_data[PAPER_ID] = paper["id"]
                yield doc

        papers = iter(papers)
        while batch := list(islice(papers, ZONE_SIZE)):
            zoned = self._warm and not self._in_zone  # zones do not nest: an inner extract() runs without
            with self.nlp.memory_zone() if zoned else nullcontext():
                self._in_zone = self._in_zone or zoned
                try:
                    # A batch is tokenized before the components run, not one paper at a time between
                    # them: the tokenizer's tables stay in the CPU cache (about 7% faster).
                    for start in range(0, len(batch), BATCH_SIZE):
                        for doc in self.nlp.pipe(list(docs(batch[start : start + BATCH_SIZE]))):
                            yield prediction(doc.user_data[PAPER_ID], doc)
                finally:
                    if zoned:
                        self._in_zone = False
            self._warm = True


def prediction(paper_id, doc) -> dict:
    """A paper's prediction from its Doc's mentions and results: the objects its span groups carry
    (`span._.mention`, `span._.result`), read from `doc._.mentions` and `doc._.results` in the same order.
    Reading them through the span groups would cost a Span and an Underscore object each, 18 µs an abstract
    (3% of the extractor's time); tests check that both agree."""
    by_type: dict[str, list[str]] = {entity_type: [] for entity_type in ENTITY_TYPES}
    entities = []
    for mention in doc.user_data.get(components.MENTIONS) or []:
        surfaces = by_type[mention.type]
        if mention.surface not in surfaces:
            surfaces.append(mention.surface)
        entities.append(
            {
                "type": mention.type,
                "surface": mention.surface,
                "canonical": mention.canonical,
                "start": mention.start,
                "end": mention.end,
                "family": mention.family if mention.type == "model" else None,
                "size": mention.size if mention.type == "model" else None,
            }
        )
    return {
        "id": paper_id,
        "models": by_type["model"],
        "datasets": by_type["dataset"],
        "metrics": by_type["metric"],
        "tasks": by_type["task"],
        "results": doc.user_data.get(components.RESULTS) or [],
        "entities": entities,
    }


def load(
    held_out_ids: Iterable[str] = (),
    conventions: str = "guidelines",
    scorer=DEFAULT,
    crf=DEFAULT,
    task_crf=DEFAULT,
) -> Extractor:
    return Extractor(build_pipeline(held_out_ids, conventions, scorer, crf, task_crf))
