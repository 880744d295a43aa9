"""Print or rewrite README.md's course map from the files that exist (``make course-map``).

A lecture or problem set that exists is linked; one that does not yet is marked "planned". The
titles and slide topics come from COURSE.md section 3 (edit ``COURSE`` below if they change).

    python scripts/course_map.py            # print the table
    python scripts/course_map.py --write    # replace the table between the markers in README.md
"""
from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
START, END = "<!-- course-map:start -->", "<!-- course-map:end -->"

# (NN, file stem, title, slides covered)
COURSE = [
    ("01", "01_why_unlearn", "Why and what to unlearn",
     "motivations (right to be forgotten, correcting behaviour); what to unlearn; targets; exact vs approximate; the (epsilon, delta) definition; the gold standard"),
    ("02", "02_exact_unlearning", "Exact unlearning: summation form and SISA",
     "Cao & Yang's summation form; SISA (shards, slices, checkpoints, aggregation); costs; training on licensed data only"),
    ("03", "03_auditing_and_forging", "Auditing and forging",
     "auditability; forging with linear regression and with minibatch gradients"),
    ("04", "04_approximate_unlearning", "Approximate unlearning and the tug of war",
     "empirical unlearning; why some examples are hard; the utility conflict; ToW"),
    ("05", "05_measuring_unlearning", "Measuring unlearning",
     "weak vs strong membership inference; recovering \"unlearned\" data"),
    ("06", "06_llm_unlearning", "Unlearning in language models",
     "what the unlearned model should output (Who's Harry Potter); concept scope"),
    ("07", "07_in_context_unlearning", "In-context unlearning and UnUnlearning",
     "asking the model to forget; relearning in context"),
    ("08", "08_guardrails_and_retrieval", "Guardrails, dual use, retrieval",
     "unlearning for AI safety; input/output filters; system prompts; dual use; removal vs suppression; inference-time retrieval"),
]


def table(root: pathlib.Path = ROOT) -> str:
    """The course map as a Markdown table, linking what exists."""
    rows = ["| NN | lecture | problem set (student version) | slides covered |",
            "| --- | --- | --- | --- |"]
    solutions = root / "solutions"
    for nn, stem, title, slides in COURSE:
        lecture = root / "lectures" / f"{stem}.ipynb"
        lec = f"[{title}](lectures/{stem}.ipynb)" if lecture.exists() else f"{title} (planned)"
        found = sorted(p.name for p in solutions.glob(f"ps{nn}_*") if p.is_dir()) if solutions.is_dir() else []
        released = [n for n in found if (root / "exercises" / n / f"{n}.ipynb").exists()]
        ps = (", ".join(f"[{n}](exercises/{n}/{n}.ipynb)" for n in released) if released
              else f"ps{nn} (planned)")
        rows.append(f"| {nn} | {lec} | {ps} | {slides} |")
    return "\n".join(rows)


def write(root: pathlib.Path = ROOT) -> bool:
    """Replace the table in README.md; return whether it changed."""
    readme = root / "README.md"
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{table(root)}\n{END}{tail}"
    readme.write_text(new)
    return new != text


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        print("README.md course map " + ("updated" if write() else "already up to date"))
    else:
        print(table())
