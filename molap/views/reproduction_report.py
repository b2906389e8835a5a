"""The reproduction report (chapter "Reproduction report"): every claim's verdict from
:mod:`molap.claims`, the book's profile beside the paper profile's committed results."""

from __future__ import annotations

from collections import Counter

from molap.claims import VERDICTS, Claim, as_paper_says

Report = dict[str, list[Claim] | None]


def profile_line(profile, paper: Report | None) -> str:
    """What the book's profile trains, and which paper-profile sections are committed."""
    p = profile
    line = (f"book profile {p.name!r}: {len(p.seeds)} seeds, {p.training.schedule.n_steps} task-training steps "
            f"at batch {p.training.batch}, {p.evaluation.n_test}-trial test sets, {p.perturb.n_draws} draws per "
            f"perturbation level")
    if paper is not None:
        have = [k for k, v in paper.items() if v is not None]
        line += f"\npaper-profile results committed for: {', '.join(have) or 'nothing'}"
    return line


def claims_markdown(profile, rows: Report, paper: Report | None) -> str:
    """One Markdown table per section: claim (linked to its chapter), the paper, ours, verdict, and
    the paper profile's measurement beside it when given."""
    lines = []
    for section, mine in rows.items():
        other = None if paper is None else paper[section]
        head = f"| claim | paper | ours ({profile.name}) | seeds | paper predicts | verdict |"
        if paper is not None:
            head += " ours (paper profile, GPU) | verdict |"
        lines += [f"**{section}**", "", head, "|" + "---|" * (head.count("|") - 1)]
        for i, r in enumerate(mine):
            line = (f"| [{r.claim}]({r.chapter}.md) | {r.paper} | {r.ours} | {r.n_seeds or ''} | "
                    f"{r.expected or 'reproduced'} | **{r.verdict}** |")
            if paper is not None:
                line += f" {other[i].ours} | **{other[i].verdict}** |" if other is not None else " not computed | |"
            lines.append(line)
        lines.append("")
    return "\n".join(lines)


SECTION_COLUMNS = ["claim", "paper", "ours", "n_seeds", "expected", "verdict"]
SECTION_HEADERS = ["claim", "paper", "ours", "seeds", "paper predicts (comparisons)", "verdict"]


def show_section(profile, name: str) -> None:
    """One section of :mod:`molap.claims` as a table (a chapter's "claims, checked" cell)."""
    from molap import claims
    from molap.views.tables import show_table

    show_table([c._replace(n_seeds=c.n_seeds or "", expected=c.expected or "") for c in claims.section(profile, name)],
               SECTION_COLUMNS, headers=SECTION_HEADERS)


def show_comparisons(profile, name: str) -> None:
    """Every comparison behind each comparison claim of one section: a table per claim
    (:func:`molap.claims.verdicts.comparison_rows`)."""
    from IPython.display import Markdown, display

    from molap import claims
    from molap.claims.verdicts import comparison_rows
    from molap.views.tables import markdown_table

    for c in claims.section(profile, name):
        if c.comparisons:
            display(Markdown(f"**{c.claim}**: {c.verdict} (paper predicts {c.expected})\n\n"
                             + markdown_table(comparison_rows(c))))


def show_claims(profile, rows: Report, paper: Report | None) -> None:
    """Display :func:`claims_markdown` in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(claims_markdown(profile, rows, paper)))


def tally(profile, rows: Report, paper: Report | None) -> str:
    """How many claims got each verdict, and how many came out as the paper says, per profile."""
    mine = [r for v in rows.values() for r in v]
    t = Counter(r.verdict for r in mine)
    out = (f"{profile.name}: " + ", ".join(f"{k}: {v}" for k, v in sorted(t.items())) + f" (of {len(mine)} claims; "
           f"{sum(map(as_paper_says, mine))} as the paper says)")
    if paper is not None:
        done = [r for v in paper.values() if v for r in v]
        t = Counter(r.verdict for r in done)
        out += "\npaper: " + ", ".join(f"{k}: {v}" for k, v in sorted(t.items())) + f" (of {len(done)} claims computed)"
    return out


def check(rows: Report) -> None:
    """The report's own checks: every claim measured, with a known verdict of its kind, none NaN."""
    flat = [r for v in rows.values() for r in v]
    assert len(flat) >= 22 and all(r.verdict in VERDICTS for r in flat)
    assert all((r.kind == "comparison") == (r.p is not None) == (r.expected is not None) for r in flat), flat
    assert all(r.ours and "nan" not in r.ours for r in flat), [r for r in flat if "nan" in r.ours]
    assert [r.verdict for r in flat if r.claim.startswith("Table 1")] == ["inconsistent"]
