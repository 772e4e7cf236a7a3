"""Text for people: what LaTeX leaves in titles and abstracts (arXiv keeps them as the authors wrote them:
`93.3\\%`, `Table~1`, `$\\times$`, `\\textbf{...}`) turned into plain Unicode text."""

from __future__ import annotations

import re

SYMBOLS = {
    "times": "×",
    "pm": "±",
    "mp": "∓",
    "approx": "≈",
    "sim": "~",
    "simeq": "≃",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ll": "≪",
    "gg": "≫",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "infty": "∞",
    "cdot": "·",
    "circ": "°",
    "degree": "°",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "in": "∈",
    "sum": "∑",
    "prod": "∏",
    "sqrt": "√",
    "partial": "∂",
    "nabla": "∇",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
ESCAPED = re.compile(r"\\([%&_#$])")  # \% \& \_ \# \$
# commands whose argument is dropped with them, and those replaced by it (any other \cmd{x} keeps x)
DROPPED = re.compile(r"\\(?:cite[tp]?|ref|eqref|label|footnote|vspace|hspace)\*?(?:\[[^\]]*\])?\{[^{}]*\}")
TWO_ARGUMENTS = re.compile(r"\\(?:href|textcolor|colorbox)\{[^{}]*\}\{([^{}]*)\}")  # the second is shown
WITH_ARGUMENT = re.compile(r"\\(?!href\b|textcolor\b|colorbox\b)[A-Za-z]+\*?(?:\[[^\]]*\])?\{([^{}]*)\}")
COMMAND = re.compile(r"\\([A-Za-z]+)")
MATH = re.compile(r"(?<!\\)\$\$?([^$]*)\$\$?")
SCRIPT = re.compile(r"([_^])\{([^{}]*)\}")
TIE = re.compile(r"(?<=\S)~(?=\S)")  # Table~1, et~al.
QUOTES = (("``", "“"), ("''", "”"), ("---", "—"), ("--", "–"))


def plain(text: str | None) -> str | None:
    """`text` with LaTeX markup turned into what it shows: escapes unescaped, math symbols as Unicode,
    formatting commands as their argument, ties as spaces, dollar signs and braces gone."""
    if not text or ("\\" not in text and "$" not in text and "~" not in text and "`" not in text):
        return text
    text = TIE.sub(" ", text)
    text = MATH.sub(lambda m: m[1], text)
    text = SCRIPT.sub(r"\1\2", text)
    for _ in range(5):  # nested ones from the inside out: \textbf{\href{url}{\texttt{x}}}
        unwrapped = WITH_ARGUMENT.sub(r"\1", TWO_ARGUMENTS.sub(r"\1", DROPPED.sub("", text)))
        if unwrapped == text:
            break
        text = unwrapped
    text = ESCAPED.sub(r"\1", text)
    text = COMMAND.sub(lambda m: SYMBOLS.get(m[1], ""), text)
    text = text.replace("{", "").replace("}", "")
    for latex, shown in QUOTES:
        text = text.replace(latex, shown)
    return re.sub(r"\s{2,}", " ", text).strip()
