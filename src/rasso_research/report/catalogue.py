"""What each output file is, for the report: which notebook writes a figure or a table (by
the prefix of its name), and a description of a figure from its name, used as the image's
alt text and caption. Descriptions say what a figure shows, never a number."""

from __future__ import annotations

import re

#: Notebook of each output prefix (figures and tables alike), first match wins.
OWNERS = [
    ("validation", "00"),
    ("its_sicily", "00"),
    ("data_coverage", "01"),
    ("overview_", "01"),
    ("revision_", "01"),
    ("funnel", "02"),
    ("its_national", "02"),
    ("its_joint", "02"),
    ("its_comparison", "02"),
    ("cps_rape", "02"),
    ("its_force_", "03"),
    ("spec_curve", "04"),
    ("fig", "05"),
    ("claims", "06"),
    ("soteria", "07"),
]

#: Notebook numbers and their chapter titles when the executed notebook is missing.
CHAPTERS = {
    "00": "ITS validation",
    "01": "Data overview",
    "02": "National interrupted time series",
    "03": "One force against the others",
    "04": "Sensitivity",
    "05": "Paper figures",
    "06": "Claims ledger",
    "07": "Operation Soteria",
}


def owner(stem: str) -> str:
    """The two-digit number of the notebook that writes ``stem`` ('' when unknown)."""
    for prefix, nb in OWNERS:
        if stem.startswith(prefix):
            return nb
    return ""


def _words(slug: str) -> str:
    """``'rape-charges-per-100-recorded-rapes'`` -> ``'rape charges per 100 recorded rapes'``."""
    text = re.sub(r"[-_]+", " ", slug).strip()
    text = re.sub(r"\b(\d{4}) (\d{2})\b", r"\1/\2", text)  # financial years: 2017/18
    text = re.sub(r"\b(\d{1,3}) (000)\b", r"\1,\2", text)  # 100,000
    return re.sub(r"\b(cps|ols|its|moj|ons)\b", lambda m: m.group(1).upper(), text)


#: Series named by a study's key in a file name (notebook 07), in words.
SERIES_WORDS = {
    "sexual closed": "sexual-offence charges per 100,000, closed in the year",
    "sexual cohort": "sexual-offence charges per 100,000, offences recorded in the year",
    "rape adult charges q": "adult rape charges per 100,000, quarterly",
    "rape adult charge rate q": "adult rape charges per 100 adult rapes recorded, quarterly",
}

_WIDTH = re.compile(r"_(one|two)col$")

#: (pattern on the stem without its width suffix, description template); the template's
#: fields are the pattern's named groups in words (``force`` title-cased, ``quarter`` upper).
_UNIT = r"(?P<force>.+?)-(?P<quarter>\d{4}q\d)"
FIGURES = [
    (
        r"fig1_national_its",
        "Paper figure 1: the national series, observed and fitted, with the counterfactual "
        "without the 2020-2021 reforms",
    ),
    (
        r"fig2_effects",
        "Paper figure 2: each date alone, the effects at the interruption and 4 and 8 quarters "
        "after, with the slope changes and their 95% CIs",
    ),
    (
        rf"fig3_force_{_UNIT}_(?P<series>.+)",
        "Paper figure 3: {force} ({quarter}) against the other forces, {series}, with the "
        "placebo distribution of the level change",
    ),
    (
        r"fig4_spec_curve",
        "Paper figure 4: the specification curve of the level change at RASSO 2025 over "
        "defensible modelling choices, and the interruption date moved",
    ),
    (
        r"funnel",
        "The attrition funnel: rape from recording by the police to sentence, per financial "
        "year, on a log scale",
    ),
    (
        r"its_sicily_validation",
        "Validation: the Sicily smoking-ban interrupted time series of Lopez Bernal, Cummins "
        "and Gasparrini (2017) reproduced, with its counterfactual",
    ),
    (
        r"its_joint_(?P<series>.+)",
        "The 2020-2021 reforms in one model: {series}, observed, fitted and the counterfactual "
        "without the reforms, with the national lockdowns marked",
    ),
    (
        r"its_national_(?P<series>.+)",
        "Each date alone: the interrupted time series of {series}, observed, fitted and "
        "counterfactual",
    ),
    (
        r"its_comparison_(?P<series>.+)",
        "The comparison series: {series}, observed, fitted and the counterfactual without the "
        "2020-2021 reforms",
    ),
    (
        rf"its_force_{_UNIT}_annual_(?P<series>.+)_sdid",
        "{force} ({quarter}) against every other force, annual {series}: synthetic "
        "difference-in-differences paths and the placebo estimates",
    ),
    (
        rf"its_force_{_UNIT}_annual_(?P<series>.+)_event",
        "{force} ({quarter}) against every other force, annual {series}: event-study "
        "coefficients with the placebo band",
    ),
    (
        rf"its_force_{_UNIT}_(?P<series>.+)",
        "{force} ({quarter}): single-force and controlled interrupted time series of {series}, "
        "over the other forces' series",
    ),
    (
        r"overview_national",
        "The national series: police recorded rape, police charges and the CPS outcomes over time",
    ),
    (r"overview_forces_(?P<series>.+)", "Every force's series of {series}, one panel per force"),
    (
        r"revision_(?P<series>.+)",
        "Revision between releases: {series}, an early release against the latest",
    ),
    (
        r"spec_curve",
        "The specification curve: the estimate under every combination of modelling choices, "
        "one panel per inference method, and the date curve",
    ),
    (
        r"soteria_(?P<unknown>[a-z_]+?)_(?P<series>[a-z0-9-]+)_event",
        "Operation Soteria ({series}; forces of unknown cohort: {unknown}): (a) Callaway-"
        "Sant'Anna effects by cohort and years from adoption, (b) the effects aggregated over "
        "cohorts, Callaway-Sant'Anna with its permutation band and Sun-Abraham with its 95% CIs",
    ),
    (
        r"claims_claim7_(?P<what>.+)",
        "Claim 7: each series as a percentage of its 2016 level ({what})",
    ),
]


def describe_figure(stem: str) -> str:
    """A description of the figure saved as ``stem`` (a file name without its suffix), from
    the name alone; its words when no rule matches."""
    base = _WIDTH.sub("", stem)
    for pattern, text in FIGURES:
        m = re.fullmatch(pattern, base)
        if m:
            words = {k: _words(v) for k, v in m.groupdict().items()}
            if "series" in words:
                words["series"] = SERIES_WORDS.get(words["series"], words["series"])
            if "force" in words:
                words["force"] = words["force"].title()
            if "quarter" in words:
                words["quarter"] = words["quarter"].upper()
            return text.format(**words)
    return _words(base).capitalize()
