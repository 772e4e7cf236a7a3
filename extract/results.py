"""Numeric results: a number in a sentence tied to a metric or dataset mention (or stated as a gain).

A number counts when it carries a result unit (%, x, times, points, ms, ...) or is a decimal in a sentence
that names a metric or dataset; sizes, counts, years and numbers inside names are skipped. The metric is the
one named next to the number ("26.79 perplexity", "mAP of 93.3%"), the dataset the one it is reported on;
where a sentence lists as many numbers as datasets ("93.3% and 74.3% on Market1501 and MSMT17"), they pair
in order. The model is the paper's own method when it has one, else the model named before the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.mentions import Mention
from extract.text import sentence_spans

# A number and its unit, matched where a digit run starts (the caller checks the character before it).
_NUMBER = re.compile(
    r"(?P<value>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?P<unit>\s?\\?%|\s?(?:×|x|X)(?![\w])|\s(?:times|points?|pp|ms|s|sec|seconds|minutes|hours|dB|GB|MB|FPS)(?![\w]))?"
    r"(?![\w@])"
)
_DIGIT_RUN = re.compile(r"\d+(?:[.,]\d+)*")
_SIGNS = "+-−±~"
# Units that make a number a result; a bare number needs a metric or dataset named next to it.
_RESULT_UNITS = {"%", "x", "points", "pp", "ms", "s", "sec", "seconds", "minutes", "hours", "dB"}
# Words after a number that make it a size or a count, not a result.
_NOT_RESULT_AFTER = re.compile(
    r"\s*(?:[BMKT]\b|billion|million|thousand|k\b|params|parameters|tokens|layers|heads|GPUs?|TPUs?|nodes|"
    r"datasets?|tasks?|languages|benchmarks?|samples|images|examples|instances|videos|hours of|steps|epochs|"
    r"iterations|classes|categories|models|papers|participants|users|subjects|queries|documents|words|"
    r"sentences|pairs|questions|problems|domains|types|dimensions|bits?\b|-bit|shots?|-shot|rounds|trials|"
    r"times more (?:data|parameters)|orders)",
    re.I,
)
# A percentage that sets up an experiment rather than reports an outcome.
_NOT_RESULT_AFTER_PERCENT = re.compile(
    r"\s*(?:sparsity|sparse|compression|pruning|pruned|masking|mask ratio|of (?:the )?(?:parameters|weights|"
    r"training data|data|tokens|labels|labeled|samples|compute))",
    re.I,
)
_NOT_RESULT_BEFORE = re.compile(
    r"(?:Table|Figure|Fig\.|Section|Sec\.|Eq\.|arXiv:?|top|Top|@|k\s?=|n\s?=|N\s?=)\s*$"
)
_IMPROVEMENT_BEFORE = re.compile(
    r"\b(?:by|improv\w*|gains?|outperform\w*|boost\w*|increas\w*|reduc\w*|decreas\w*|surpass\w*|exceed\w*|"
    r"lower\w*|cut\w*|sav\w*|speed\w*|accelerat\w*|beat\w*|margin\w*|up to)\W+(?:\w+\W+){0,2}$",
    re.I,
)
_IMPROVEMENT_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:improvements?|gains?|increases?|reductions?|boosts?|speedups?|speed-ups?|faster|"
    r"fewer|less|more|higher|lower|better|smaller|larger|relative|savings?|absolute improvement|over|"
    r"compared|than|drop)\b",
    re.I,
)
_CONDITION = re.compile(
    r"\b(?:at|with|under)\s+(?:\d+(?:\.\d+)?%?\s*(?:sparsity|compression|pruning|bits?|-bit|shots?|-shot)"
    r"|(?:zero|one|few|\d+)-shot(?:\s+\w+)?|\d+-bit(?:\s+\w+)?|[\d.]+x\s+compression)",
    re.I,
)
_YEAR = re.compile(r"(?:19|20)\d\d")


def _unit_of(raw: str | None) -> str:
    if not raw:
        return ""
    unit = raw.strip().lstrip("\\")
    if unit in {"×", "X", "times"}:
        return "x"
    if unit in {"point", "points"}:
        return "points"
    return unit


def _nearest(mentions: list[Mention], position: int, after_first: bool) -> Mention | None:
    """The mention closest to `position`; one right after the number wins ties."""
    best, best_distance = None, None
    for mention in mentions:
        if mention.end <= position:
            distance = position - mention.end
        else:
            distance = mention.start - position - (15 if after_first else 0)
        if best_distance is None or distance < best_distance:
            best, best_distance = mention, distance
    return best


@dataclass(slots=True)
class Number:
    start: int  # of the value (a sign, if any, is just before it)
    end: int  # of the value and its unit
    value: str
    unit: str
    sign: str


def numbers_in(text: str, digit_tokens: list[tuple[int, int]]) -> list[Number]:
    """The numbers that start inside the tokens holding digits ((start, length) pairs), in text order."""
    numbers = []
    for token_start, length in digit_tokens:
        for run in _DIGIT_RUN.finditer(text, token_start, token_start + length):
            number = _number_at(text, run.start())
            if number and (not numbers or numbers[-1].start != number.start):
                numbers.append(number)
    return numbers


def _number_at(text: str, position: int) -> Number | None:
    before = text[position - 1] if position else " "
    sign = ""
    if before in _SIGNS:
        if position > 1 and text[position - 2].isalnum():
            return None  # a name such as GPT-4 or top-1
        sign = before
    elif (
        before.isalnum()
        or before in "._@^-"
        or (before == "/" and not text[position - 2 : position - 1].isdigit())
    ):
        return None
    match = _NUMBER.match(text, position)
    if match is None:
        return None
    return Number(position, match.end(), match["value"].replace(",", ""), _unit_of(match["unit"]), sign)


def find(
    text: str, mentions: list[Mention], own_methods: list[str], digit_tokens: list[tuple[int, int]]
) -> list[dict]:
    candidates = [n for n in numbers_in(text, digit_tokens) if _is_candidate(text, n, mentions)]
    if not candidates:
        return []
    found = []
    own = own_methods[0] if own_methods else None
    for start, end in sentence_spans(text):
        numbers = [n for n in candidates if start <= n.start < end]
        if not numbers:
            continue
        sentence_mentions = [m for m in mentions if start <= m.start and m.end <= end]
        metrics = [m for m in sentence_mentions if m.type == "metric"]
        datasets = [m for m in sentence_mentions if m.type == "dataset"]
        models = [m for m in sentence_mentions if m.type == "model"]
        has_context = bool(metrics or datasets)
        numbers = [n for n in numbers if n.unit in _RESULT_UNITS or has_context]
        paired_datasets = _paired(numbers, datasets)
        paired_metrics = _paired(numbers, metrics)
        evidence = text[start:end]
        condition_match = _CONDITION.search(evidence)
        for index, number in enumerate(numbers):
            metric = paired_metrics[index] if paired_metrics else _nearest(metrics, number.end, True)
            dataset = paired_datasets[index] if paired_datasets else _nearest(datasets, number.end, True)
            model = own or _model_before(models, number.start)
            found.append(
                {
                    "value": number.value,
                    "unit": number.unit,
                    "kind": _kind(text, number, start, end),
                    "metric": metric.surface if metric else None,
                    "dataset": dataset.surface if dataset else None,
                    "model": model.surface if isinstance(model, Mention) else model,
                    "evidence": evidence,
                    "condition": condition_match.group(0) if condition_match else None,
                }
            )
    return found


def _is_candidate(text: str, number: Number, mentions: list[Mention]) -> bool:
    """Not a size, count, year, reference or part of a name."""
    start, end, unit, value = number.start, number.end, number.unit, number.value
    if any(m.start < end and start < m.end for m in mentions):
        return False
    if not unit and _YEAR.fullmatch(value):
        return False
    if (not unit or unit == "x") and _NOT_RESULT_AFTER.match(text, end):
        return False
    if unit == "%" and _NOT_RESULT_AFTER_PERCENT.match(text, end):
        return False
    if _NOT_RESULT_BEFORE.search(text, max(0, start - 10), start):
        return False
    return not (
        text[start - 1 : start] == "(" and text[end : end + 1] == ")" and not unit and "." not in value
    )


def _paired(numbers: list[Number], mentions: list[Mention]) -> list[Mention] | None:
    """Numbers and mentions listed in the same order and number pair up (`93.3% and 74.3% on A and B`)."""
    distinct = []
    for mention in mentions:
        if mention.surface not in [m.surface for m in distinct]:
            distinct.append(mention)
    if len(numbers) > 1 and len(distinct) == len(numbers):
        return distinct
    return None


def _model_before(models: list[Mention], position: int) -> Mention | None:
    before = [m for m in models if m.end <= position]
    return before[-1] if before else None


def _kind(text: str, number: Number, sentence_start: int, sentence_end: int) -> str:
    if number.sign == "+":
        return "improvement"
    before = text[max(sentence_start, number.start - 40) : number.start]
    after = text[number.end : min(sentence_end, number.end + 40)]
    if _IMPROVEMENT_BEFORE.search(before) or _IMPROVEMENT_AFTER.search(after):
        return "improvement"
    return "absolute"
