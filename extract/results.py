"""Numeric results: a number in a sentence tied to a metric or dataset mention (or stated as a gain).

Which numbers: a number with a result unit (%, x, times, points, ms, ...), or a decimal in a sentence that
names a metric or dataset, or an integer right next to a metric ("FID of 12"). Sizes, counts, years,
ratios such as 2:4, set-up percentages ("70% sparsity", "8% training samples") and numbers inside names
(GPT-4, top-1) are skipped. Ranges ("40-90% error reduction") give two results with the same unit.

What they are tied to, within the sentence: the metric named next to the number ("26.79 perplexity",
"mAP of 93.3%"), the dataset it is reported on ("... on ImageNet"), preferring those after the number and
never far from it. Where a sentence lists as many numbers (or parenthesised groups of numbers) as metrics
or datasets ("93.3% and 74.3% on Market1501 and MSMT17"), they pair in order, and numbers before
"respectively" pair with the datasets named before them. The numbers of a list and the ends of a range share
their kind (absolute or improvement). The model is the paper's own method when it has one, else the model
named before the number.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from extract.mentions import ByStart, Mention
from extract.text import sentence_spans

# A number and its unit, matched where a digit run starts (the caller checks the character before it).
_NUMBER = re.compile(
    r"(?P<value>\d+(?:,\d{3})*(?:\.\d+)?)(?![.,:]\d|\^)\+?"
    r"(?P<unit>\s?\\?%|\s?(?:×|x|X|times)(?![\w])|\s(?:points?|pp|ms|s|sec|seconds|minutes|hours|dB|GB|MB)(?![\w])"
    r"|[GMT](?=\s?(?:FLOPs|FLOP|MACs)\b))?"
    r"(?![\w@])"
)
# The rest of a range after its first number: "40-90%", "0.27%-0.35%", "60% to 75%".
_RANGE_END = re.compile(r"\\?%?\s?(?:[-–]|to\s)\s?\d+(?:\.\d+)?\s?(?P<unit>\\?%|x\b|×|times\b)")
DIGIT_RUN = re.compile(r"\d[\d.,]*")
# "8/644 problems": a fraction of whole numbers is one value; "85.1/76.3" lists two.
_DENOMINATOR = re.compile(r"/\d{1,7}(?![\d/]|[.,]\d)")
_INTEGER_BEFORE_SLASH = re.compile(r"(?<![\d.,])\d{1,7}/$")
_SIGNS = "+-−±~"
# Units that make a number a result; a bare number needs a metric or dataset named next to it.
_RESULT_UNITS = {"%", "x", "points", "pp", "ms", "s", "sec", "seconds", "minutes", "hours", "dB"}
# Words after a number that make it a size or a count, not a result.
_NOT_RESULT_AFTER = re.compile(
    r"\s*(?:[BMKT]\b|billion|million|trillion|thousand|k\b|params|parameters|tokens|layers|heads|GPUs?|TPUs?|"
    r"nodes|datasets?|tasks?|languages|benchmarks?|samples|images|examples|instances|videos|hours of|steps|"
    r"epochs|iterations|classes|categories|models|papers|participants|users|subjects|queries|documents|words|"
    r"sentences|pairs|questions|problems|domains|types|dimensions|bits?\b|-bit|shots?|-shot|rounds|trials|"
    r"orders|larger\b|bigger\b|(?:fewer|less|more|smaller|longer)\s+(?:\S+\s+){0,2}?(?:parameters|params|tokens|"
    r"data|scans|samples|examples|images|labels|annotations))",
    re.I,
)
# A percentage that sets up an experiment rather than reports an outcome.
_NOT_RESULT_AFTER_PERCENT = re.compile(
    r"(?:\s?[-–]\s?\d+(?:\.\d+)?\\?%)?\)?\s*(?:sparsity|sparse|compression ratio|pruning|pruned|masking|"
    r"mask ratio|(?:additional|extra|trainable)\s+param|(?:of\s+(?:\S+\s+){0,3}?)?"
    r"(?:parameters|weights|data|tokens|labels|"
    r"labeled|samples|training (?:samples|data|examples|set)))",
    re.I,
)
_NOT_RESULT_BEFORE = re.compile(
    r"(?:Table|Figure|Fig\.|Section|Sec\.|Eq\.|arXiv:?|top|Top|@|k\s?=|n\s?=|N\s?=)\s*$"
)
# Words up to three before a number that make it a gain: "improves ... by 3%", "outperforms X by".
_GAIN_STEMS = (
    "by",
    "improv",
    "gain",
    "outperform",
    "boost",
    "increas",
    "reduc",
    "decreas",
    "surpass",
    "exceed",
    "lower",
    "cut",
    "sav",
    "speed",
    "accelerat",
    "beat",
    "margin",
    "increment",
)
_IMPROVEMENT_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:improvements?|gains?|increases?|reductions?|boosts?|speedups?|speed-ups?|faster|"
    r"fewer|less|more|higher|lower|better|smaller|larger|relative|savings?|absolute improvement|over|"
    r"compared|than|drop|decrease)\b",
    re.I,
)
_CONDITION = re.compile(
    r"\b(?:at|with|under)\s+(?:\d+(?:\.\d+)?%?\s*(?:sparsity|compression|pruning|bits?|-bit|shots?|-shot)"
    r"|(?:zero|one|few|\d+)-shot(?:\s+\w+)?|\d+-bit(?:\s+\w+)?|[\d.]+x\s+compression)",
    re.I,
)
_TO_OR_FROM = re.compile(r"\b(?:to|from)\b")
_TIME_UNITS = frozenset(("s", "sec", "seconds", "minutes", "hours"))
YEAR = re.compile(r"(?:19|20)\d\d")
# What may stand between the numbers of one list: "93.3% and 74.3%", "2.46% (90.72% vs. 88.54%) and".
_LIST_GLUE = re.compile(r"(?:[\s,;/()%+\\x×\-–−]|and\b|or\b|to\b|from\b|vs\.?|versus|\d+(?:\.\d+)?)*")
# "4% improvement in MRR": the number belongs to the metric after it.
_GAIN_IN = re.compile(
    r"\s*(?:absolute\s+|relative\s+|average\s+)?(?:improvements?|gains?|increases?|reductions?|decreases?|drops?|"
    r"boosts?|better|higher|lower|worse)\s+(?:in|on|of)\s+"
)
# "89.2% on Math500": the dataset named right after the number is its own, not the one before it.
_ON_AFTER = re.compile(r"%?\s*(?:(?:[\w@\-]+\s+){0,3}?on|for|in)\s+(?:the\s+)?")  # also "55.2 HOTA on X"
_METRIC_LIST_GLUE = re.compile(r"\s*(?:,|and|,\s*and)\s+")
_RESPECTIVELY = re.compile(r"[^.;\d]{0,60}?\brespectively\b")
_BOUND_BEFORE = re.compile(
    r"\)?\s*(?:by|of|to|from|at|=|:|\()\s*(?:about|approximately|up to|over|only|nearly|almost|around)?\s*"
)
_CLAUSE_BREAK = re.compile(r"[;]|,\s+(?:and|while|but|which|whereas|with)\b")
# "boosted to 80.2%", "improves from 70.1%": the number is a value before or after, not the gain.
_TARGET_BEFORE = re.compile(
    r"(?:(?<!up)\sto|(?<!ranging)(?<!range)(?<!ranges)(?<!varying)(?<!vary)\sfrom)\s$"
)
_RANGE_GLUE = re.compile(r"\s?(?:[-–]|to)\s?")
# How far (in characters) a metric or dataset may be from its number, before and after it.
_METRIC_REACH = (60, 40)
_DATASET_REACH = (25, 80)
# LaTeX left in abstracts glues "\sim" to the number that follows ("sim0.6").
_GLUED_BEFORE = ("sim", "approx")


@dataclass(slots=True)
class Number:
    start: int  # of the value (a sign, if any, is just before it)
    end: int  # of the value and its unit
    value: str
    unit: str
    sign: str
    group: int = 0  # numbers in brackets after a number share its group: "2.46% (90.72% vs. 88.54%)"


def numbers_in(text: str, digit_runs: list[int] | None = None) -> list[Number]:
    """The numbers of the text, in order."""
    if digit_runs is None:
        digit_runs = [run.start() for run in DIGIT_RUN.finditer(text)]
    numbers: list[Number] = []
    for start in digit_runs:
        number = _number_at(text, start)
        if number:
            numbers.append(number)
    return numbers


def _number_at(text: str, position: int) -> Number | None:
    before = text[position - 1] if position else " "
    sign = ""
    if before in _SIGNS:
        previous = text[position - 2 : position - 1]
        if previous.isalpha() or previous == "_":
            return None  # a name such as GPT-4 or top-1
        if previous == "/" or before == "±":
            return None  # an error margin: "+/-3%", "±0.2"
        sign = "" if previous.isdigit() or previous == "%" else before  # a range's dash is no sign
    elif (before.isalnum() and not text[max(0, position - 6) : position].endswith(_GLUED_BEFORE)) or (
        before in "._@^:" or (before == "/" and text[position - 2 : position - 1] not in "0123456789%")
    ):
        return None
    if before == "/" and _INTEGER_BEFORE_SLASH.search(text, max(0, position - 12), position):
        return None  # the denominator of a fraction ("8/644"), read with its numerator
    match = _NUMBER.match(text, position)
    if match is None:
        return None
    fraction = _DENOMINATOR.match(text, match.end("value")) if "." not in match["value"] else None
    if fraction:  # "8/644": one value, the fraction as written
        return Number(position, fraction.end(), match["value"].replace(",", "") + fraction.group(), "", sign)
    unit = _unit_of(match["unit"])
    if not unit:
        range_end = _RANGE_END.match(text, match.end())
        if range_end:
            unit = _unit_of(range_end["unit"])
    return Number(position, match.end(), match["value"].replace(",", ""), unit, sign)


def _unit_of(raw: str | None) -> str:
    if not raw:
        return ""
    unit = raw.strip().lstrip("\\")
    if unit in {"×", "X", "times"}:
        return "x"
    if unit in {"point", "points"}:
        return "points"
    return unit


def find(
    text: str, mentions: list[Mention], own_methods: list[str], digit_runs: list[int] | None = None
) -> tuple[list[dict], list[tuple[int, int]]]:
    """The results of an abstract, and the (start, end) of each one's number in the text, as written with its
    unit ("26.79%"); `digit_runs` (starts of digit runs) saves a scan when already known."""
    covered = bytearray(len(text) + 1)  # characters inside mentions: numbers there are parts of names
    for mention in mentions:
        covered[mention.start : mention.end] = b"\x01" * (mention.end - mention.start)
    candidates = [
        n for n in numbers_in(text, digit_runs) if 1 not in covered[n.start : n.end] and is_candidate(text, n)
    ]
    if not candidates:
        return [], []
    found = []
    value_spans = []
    own = own_methods[0] if own_methods else None
    paper_dataset = _only([m for m in mentions if m.type == "dataset"])
    by_start = ByStart(mentions)
    spans = sentence_spans(text)
    sentence_starts = [start for start, _ in spans]
    by_sentence: dict[int, list[Number]] = {}
    for number in candidates:
        by_sentence.setdefault(max(bisect_right(sentence_starts, number.start) - 1, 0), []).append(number)
    for index, numbers in by_sentence.items():
        start, end = spans[index]
        # Those within the sentence (an empty one may start at its end).
        sentence_mentions = [m for m in by_start.starting_in(start, end + 1) if m.end <= end]
        metrics = [m for m in sentence_mentions if m.type == "metric"]
        datasets = [m for m in sentence_mentions if m.type == "dataset"]
        models = [m for m in sentence_mentions if m.type == "model"]
        numbers = [n for n in numbers if _is_result_here(text, n, metrics, datasets)]
        if not numbers:
            continue
        _group_bracketed(text, numbers)
        # Datasets are listed after the numbers ("on A and B"); metrics before ("mAP/Rank-1 of") or after.
        later_datasets = [d for d in datasets if d.start > numbers[0].start]
        interleaved = _interleaved(numbers, later_datasets)
        paired_datasets = interleaved or _paired(numbers, _listed(text, later_datasets))
        number_runs = runs(text, numbers)
        run_datasets = {} if paired_datasets else _run_pairs(text, number_runs, datasets, before_too=True)
        paired_metrics = _paired(
            numbers, _listed(text, [m for m in metrics if m.end <= numbers[0].start], backwards=True)
        ) or _paired(numbers, _listed(text, [m for m in metrics if m.start >= numbers[-1].end]))
        evidence = text[start:end]
        condition_match = _CONDITION.search(evidence)
        previous: tuple[Number, Mention | None, Mention | None] | None = None
        terms_metric = _in_terms_of(text, metrics)
        run_metrics = {} if paired_metrics else _run_pairs(text, number_runs, metrics)
        list_first = {id(number): run[0] for run in number_runs for number in run}
        kinds: dict[int, str] = {}
        for index, number in enumerate(numbers):
            range_start = numbers[index - 1] if index else None
            if range_start and _RANGE_GLUE.fullmatch(text, range_start.end, number.start):
                kinds[id(number)] = kinds[id(range_start)]  # "by 2-5%", "ranging from 2.1% to 5.3%"
            else:
                kinds[id(number)] = _kind(text, number, list_first[id(number)], start, end)
            if paired_metrics:
                metric = paired_metrics[number.group]
            elif id(number) in run_metrics:
                metric = run_metrics[id(number)]
            else:
                metric = _nearest(text, metrics, number, _METRIC_REACH, numbers)
            if paired_datasets:
                dataset = paired_datasets[number.group]
            elif id(number) in run_datasets:
                dataset = run_datasets[id(number)]
            else:
                dataset = _nearest(text, datasets, number, _DATASET_REACH, numbers)
            if metric is None and terms_metric:
                metric = terms_metric
            if (
                metric is None
                and previous
                and previous[0].unit == number.unit
                and (interleaved or text[max(0, number.start - 5) : number.start].endswith(("and ", ", ")))
            ):
                metric = previous[1]  # "pass@1 of 68.2% on HumanEval and 61.5% on MBPP": one metric
            if metric is None and dataset is None and number.unit != "x":
                if previous and previous[0].unit == number.unit:
                    # "... 78.9% on ImageNet, which can be further boosted to 80.2%": the same measure
                    _, metric, dataset = previous
                elif number.unit not in _TIME_UNITS and number.unit != "ms":
                    # A time is not what the sentence's one metric measures, nor is a metric bound to
                    # another number ("inference speed (77 ms vs. 168 ms)").
                    metric = _only([m for m in metrics if not _bound_to_next(text, m, numbers)])
                    dataset = _only(datasets)
            if dataset is None and metric is not None and number.unit != "x":
                dataset = paper_dataset  # "... 36.5% accuracy": on the one dataset the paper names
            previous = (number, metric, dataset)
            metric = _short_form(text, metric, metrics)
            model = own or _model_before(models, number.start)
            value_spans.append((number.start, number.end))
            found.append(
                {
                    "value": number.value,
                    "unit": number.unit,
                    "kind": kinds[id(number)],
                    "metric": metric.surface if metric else None,
                    "dataset": dataset.surface if dataset else None,
                    "model": model.surface if isinstance(model, Mention) else model,
                    "evidence": evidence,
                    "condition": condition_match.group(0) if condition_match else None,
                }
            )
        _share_dataset_along_metric_list(text, numbers, metrics, found[-len(numbers) :])
    return found, value_spans


def _share_dataset_along_metric_list(
    text: str, numbers: list[Number], metrics: list[Mention], sentence_results: list[dict]
) -> None:
    """ "63.4 HOTA and 78.1 MOTA on MOT17": a number followed by its metric and another number takes the
    dataset that number is reported on."""
    for index in range(len(numbers) - 2, -1, -1):
        if sentence_results[index]["dataset"] is not None or sentence_results[index + 1]["dataset"] is None:
            continue
        number, following = numbers[index], numbers[index + 1]
        metric = next((m for m in metrics if number.end <= m.start and m.end <= following.start), None)
        if (
            metric is not None
            and not text[number.end : metric.start].strip()
            and _METRIC_LIST_GLUE.fullmatch(text, metric.end, following.start - len(following.sign))
        ):
            sentence_results[index]["dataset"] = sentence_results[index + 1]["dataset"]


def is_candidate(text: str, number: Number) -> bool:
    """Not a size, count, year, reference or set-up percentage."""
    start, end, unit, value = number.start, number.end, number.unit, number.value
    if not unit and YEAR.fullmatch(value):
        return False
    if unit in ("", "x") and _NOT_RESULT_AFTER.match(text, end):
        return False
    if unit in _TIME_UNITS and text.startswith(" of ", end):
        return False  # "10 hours of speech": an amount of data
    if unit == "%" and _NOT_RESULT_AFTER_PERCENT.match(text, end):
        return False
    if _NOT_RESULT_BEFORE.search(text, max(0, start - 10), start):
        return False
    return not (
        text[start - 1 : start] == "(" and text[end : end + 1] == ")" and not unit and "." not in value
    )


def _is_result_here(text: str, number: Number, metrics: list[Mention], datasets: list[Mention]) -> bool:
    if number.unit in _RESULT_UNITS:
        return True
    if "." in number.value:
        return bool(metrics or datasets)
    return _nearest(text, metrics, number, (20, 20)) is not None  # an integer only right next to a metric


def _group_bracketed(text: str, numbers: list[Number]) -> None:
    """Number the groups: a number in brackets right after another joins its group."""
    group = -1
    depth_start = None
    for index, number in enumerate(numbers):
        opening = text.rfind("(", 0, number.start)
        closing = text.rfind(")", 0, number.start)
        inside = opening > closing and index > 0 and opening > numbers[index - 1].start
        if inside or (depth_start is not None and opening == depth_start and opening > closing):
            depth_start = opening
        else:
            depth_start = None
            group += 1
        number.group = max(group, 0)


def _paired(numbers: list[Number], mentions: list[Mention]) -> list[Mention] | None:
    """Groups of numbers and mentions listed in the same order and number pair up."""
    distinct = _distinct(mentions)
    groups = numbers[-1].group + 1
    if groups > 1 and len(distinct) == groups:
        return distinct
    return None


def _nearest(
    text: str, mentions: list[Mention], number: Number, reach: tuple[int, int], numbers: list[Number] = ()
) -> Mention | None:
    """The mention closest to the number within reach (characters before, after); after wins ties.

    Looking back, it does not pass another number unless both are in one list ("mAP of 93.3% and 74.3%");
    looking ahead, it stops at a new clause ("12.9%, and training time decreased by 14%").
    """
    best, best_distance = None, None
    reach_before, reach_after = reach
    for mention in mentions:
        if mention.end <= number.start:
            distance = number.start - mention.end
            if distance > reach_before or _number_between(text, numbers, mention.end, number):
                continue
            if _BOUND_BEFORE.fullmatch(text, mention.end, number.start - len(number.sign)):
                distance -= 10  # "MMLU by 3.4 points", "mAP of 93.3%"
        elif mention.start >= number.end:
            # Ahead of a list of numbers ("7.5%, 6.5%, and 6.0% WER"), distance counts from the list's end.
            list_end = _list_end(text, numbers, number, mention.start)
            if any(list_end <= n.start < mention.start for n in numbers):
                continue  # another number, not listed with this one, stands nearer to the mention
            distance = mention.start - list_end
            if distance > reach_after or _CLAUSE_BREAK.search(text, list_end, mention.start):
                continue
            if _bound_to_next(text, mention, numbers):
                continue  # "accuracy from 0.688 to 0.744 and ROC AUC from 0.786": ROC AUC is the next one's
            if _GAIN_IN.fullmatch(text, list_end, mention.start) or _ON_AFTER.fullmatch(
                text, list_end, mention.start
            ):
                distance -= 10  # "4% improvement in MRR", "89.2% on Math500"
            else:
                distance -= 0.5
            if text[list_end : list_end + 1] == ",":
                distance += 10  # ", GSM8K by 9.1": the next item of a list
        else:
            continue
        if best_distance is None or distance < best_distance:
            best, best_distance = mention, distance
    return best


def _bound_to_next(text: str, mention: Mention, numbers: list[Number]) -> bool:
    """Whether a number follows the mention, bound to it ("RMSE by 9.8%", "ROC AUC from 0.786")."""
    bound = _BOUND_BEFORE.match(text, mention.end)
    return bound is not None and any(n.start - len(n.sign) == bound.end() for n in numbers)


def _list_end(text: str, numbers: list[Number], number: Number, limit: int) -> int:
    end = number.end
    for other in numbers:
        if end <= other.start < limit and _LIST_GLUE.fullmatch(text, end, other.start):
            end = other.end
    return end


def _run_pairs(
    text: str, runs: list[list[Number]], mentions: list[Mention], before_too: bool = False
) -> dict[int, Mention]:
    """Within a sentence (`runs`: its numbers as `runs` groups them), a run of listed numbers followed
    by as many listed mentions pairs up in order: "6.54 and 1.07 decrease in FID and sFID ..., saving
    35.4G FLOPs" (keys: id of each number). With `before_too`, a run with nothing after it pairs with a
    list before it: "On A and B, X obtains 36.2 and 37.9 BLEU"."""
    pairs: dict[int, Mention] = {}
    for run in runs:
        if len(run) < 2:
            continue
        after = [m for m in mentions if run[-1].end <= m.start <= run[-1].end + _METRIC_REACH[1]]
        listed = _listed(text, after)
        if not after and before_too:
            before = [m for m in mentions if m.end <= run[0].start]
            listed = _listed(text, before, backwards=True)
            if len(listed) != len(run) and _RESPECTIVELY.match(text, run[-1].end):
                # "82.6% on GSM8K and 40.6% on MATH, surpassing ... by 14.2% and 20.8%, respectively"
                listed = _distinct(before)[-len(run) :]
        if len(listed) == len(run):
            pairs.update((id(number), mention) for number, mention in zip(run, listed, strict=True))
    return pairs


def runs(text: str, numbers: list[Number]) -> list[list[Number]]:
    """The numbers in runs listed together: "93.3% and 74.3%", "+14.6% / +17.2%"."""
    runs: list[list[Number]] = []
    for number in numbers:
        if runs and _LIST_GLUE.fullmatch(text, runs[-1][-1].end, number.start):
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs


def _distinct(mentions: list[Mention]) -> list[Mention]:
    """The mentions in order, each surface once."""
    distinct: list[Mention] = []
    for mention in mentions:
        if mention.surface not in [m.surface for m in distinct]:
            distinct.append(mention)
    return distinct


def _interleaved(numbers: list[Number], mentions: list[Mention]) -> list[Mention] | None:
    """ "40% on AGIEval, 19% on MMLU, 54% on GSM8K": each group of numbers, then its mention."""
    groups = numbers[-1].group + 1
    if groups < 2 or len(mentions) != groups:
        return None
    for group, mention in enumerate(mentions):
        last_of_group = max(n.end for n in numbers if n.group == group)
        next_group = [n.start for n in numbers if n.group == group + 1]
        if mention.start < last_of_group or (next_group and mention.start > next_group[0]):
            return None
    return mentions


def _listed(text: str, mentions: list[Mention], backwards: bool = False) -> list[Mention]:
    """The first run of mentions listed together ("FID and sFID", "A, B and C"); from the end if backwards."""
    ordered = mentions[::-1] if backwards else mentions
    run = ordered[:1]
    for mention in ordered[1:]:
        left, right = (mention, run[-1]) if backwards else (run[-1], mention)
        if not _MENTION_GLUE.fullmatch(text, left.end, right.start):
            break
        run.append(mention)
    return run[::-1] if backwards else run


_MENTION_GLUE = re.compile(r"\s*(?:,|/|and|or|,\s*and|,\s*or)?\s*")


def _number_between(text: str, numbers: list[Number], start: int, number: Number) -> bool:
    """Whether another number, not listed together with `number`, stands between `start` and it."""
    between = [n for n in numbers if start <= n.start < number.start]
    if not between:
        return False
    return not _LIST_GLUE.fullmatch(text, between[0].end, number.start)


def _in_terms_of(text: str, metrics: list[Mention]) -> Mention | None:
    """ "... on FGVC and VTAB-1k in terms of Top-1 accuracy": the metric of the whole sentence."""
    for metric in metrics:
        if text[max(0, metric.start - 12) : metric.start].endswith(("in terms of ", "measured by ")):
            return metric
    return None


def _only(mentions: list[Mention]) -> Mention | None:
    """The one mention of the sentence, if it names only one thing."""
    return mentions[0] if mentions and all(m.surface == mentions[0].surface for m in mentions) else None


def _short_form(text: str, metric: Mention | None, metrics: list[Mention]) -> Mention | None:
    """ "word error rate (WER)": a result names the metric by its short form."""
    if metric is None or text[metric.end : metric.end + 2] != " (":
        return metric
    for other in metrics:
        if other.start == metric.end + 2 and text[other.end : other.end + 1] == ")":
            return other
    return metric


def _model_before(models: list[Mention], position: int) -> Mention | None:
    before = [m for m in models if m.end <= position]
    return before[-1] if before else None


def _kind(text: str, number: Number, list_first: Number, sentence_start: int, sentence_end: int) -> str:
    """Improvement or absolute; `list_first` is the first number of the list the number is in."""
    if number.sign == "+":
        return "improvement"
    before = text[max(sentence_start, number.start - 40) : number.start]
    if _TARGET_BEFORE.search(before):
        return "absolute"
    after = text[number.end : min(sentence_end, number.end + 40)]
    if _gain_before(before) or _IMPROVEMENT_AFTER.search(after):
        return "improvement"
    # The later numbers of a list share the words before the first: "gains of 2.1 and 3.4".
    before_first = text[max(sentence_start, list_first.start - 40) : list_first.start]
    if (
        list_first is not number
        and _gain_before(before_first)
        and not _TARGET_BEFORE.search(before_first)
        and not _TO_OR_FROM.search(text, list_first.end, number.start)
    ):
        return "improvement"
    # The first numbers of a list share the words after the last: "0.9% and 2.5% mIoU better".
    glue = _LIST_GLUE.match(text, number.end, sentence_end)
    if any(c.isdigit() for c in glue.group()):
        return "improvement" if _IMPROVEMENT_AFTER.search(text[glue.end() : glue.end() + 40]) else "absolute"
    return "absolute"


def _gain_before(before: str) -> bool:
    """Whether one of the three words before a number says it is a gain ("improves ... by", "gains of")."""
    words = before.lower().replace("-", " ").replace("(", " ").split()[-3:]
    return any(word.startswith(_GAIN_STEMS) for word in words)
