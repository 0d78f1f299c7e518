"""A decision document as a list of blocks (headings, paragraphs, fields, tables), in one language."""

from dataclasses import dataclass

from minicompetition.remedies.document import AwardFacts, Parties, RectificationFacts, Remedies
from minicompetition.remedies.texts import T, day, moment, money, name, percent, reason


@dataclass(frozen=True)
class Block:
    """One block: kind is h1, h2, p, fields (label/value rows) or table (header row first)."""

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[int, ...] = ()  # a table's relative column widths


def _decimal(points: str, lang: str) -> str:
    """Points as written in the language: 87,5432 in Finnish, 87.5432 in English."""
    return points.replace(".", ",") if lang == "fi" else points


def _head(title: str, p: Parties, lang: str) -> list[Block]:
    t = T[lang]
    return [
        Block("h1", title),
        Block(
            "fields",
            rows=(
                (t["number"], p.number),
                (t["buyer"], f"{p.buyer_name} ({p.buyer_business_id})"),
                (t["competition"], f"{p.competition_title} ({p.competition_id})"),
                (t["category"], name(p.category, lang)),
                (t["decided_by"], p.decided_by),
                (t["decided_at"], moment(p.decided_at, lang)),
                (t["delivered_at"], moment(p.delivered_at, lang)),
            ),
        ),
    ]


def _remedies(r: Remedies, buyer: str, lang: str) -> list[Block]:
    t, c = T[lang], r.court
    return [
        Block("h2", t["rect"]),
        Block(
            "p",
            t["rect_text"].format(
                buyer=buyer, url=r.rectification_url, last=day(r.rectification_last_day, lang)
            ),
        ),
        Block("h2", t["appeal"]),
        Block(
            "p",
            t["appeal_text"].format(
                last=day(r.appeal_last_day, lang),
                court=c.name(lang),
                address=c.address,
                email=c.email,
                phone=c.phone,
                fee=money(c.fee_cents, lang),
            ),
        ),
    ]


def award_blocks(f: AwardFacts, lang: str) -> list[Block]:
    """The award decision: decision, reasons, comparison per lot, standstill, remedies."""
    t = T[lang]
    criteria = ", ".join(
        f"{t.get(c.name, c.name)} {percent(c.weight_bp, lang)}"
        + (" (" + ", ".join(f"{n} {percent(w, lang)}" for n, w in c.sub) + ")" if c.sub else "")
        for c in f.criteria
    )
    out = _head(t["award_title"], f.parties, lang)
    out += [
        Block("h2", t["decision"]),
        Block("p", t["decision_text"].format(total=money(f.total_value_cents, lang))),
        Block("h2", t["reasons"]),
        Block(
            "p",
            t["reasons_text"].format(criteria=criteria, run=f.run_seq, solver=f.solver, sha=f.input_sha256),
        ),
    ]
    header = tuple(t[k] for k in ("bidder", "unit_price", "p_price", "p_quality", "p_outcome", "p_total"))
    header += (t["rank"], t["awarded"], t["why"])
    for lot in f.lots:
        out.append(Block("h2", f"{t['lot']} {lot.code}"))
        info = t["lot_info"].format(
            munis=", ".join(lot.municipalities),
            group=name(lot.target_group, lang),
            demand=lot.demand,
            awarded=lot.awarded,
        )
        out.append(Block("p", info))
        if lot.override_reason:
            out.append(Block("p", t["override"].format(reason=lot.override_reason)))
        rows = tuple(
            (
                f"{x.bidder} ({x.business_id})",
                money(x.unit_price_cents, lang),
                _decimal(x.price_score, lang),
                _decimal(x.quality_score, lang),
                _decimal(x.outcome_score, lang),
                _decimal(x.total_points, lang),
                t["none"] if x.rank is None else str(x.rank),
                str(x.awarded),
                reason(x.reason_code, x.reason, lang),
            )
            for x in lot.lines
        )
        out.append(Block("table", rows=(header, *rows), widths=(30, 16, 9, 9, 9, 10, 7, 9, 28)))
    if f.ineligible:
        out.append(Block("h2", t["ineligible"]))
        out.append(
            Block(
                "table",
                rows=((t["bidder"], t["why"]), *((f"{n} ({b})", r) for n, b, r in f.ineligible)),
                widths=(40, 60),
            )
        )
    out += [
        Block("h2", t["standstill"]),
        Block("p", t["standstill_text"].format(end=moment(f.standstill_ends_at, lang))),
    ]
    if f.notes:
        out += [Block("h2", t["notes"]), Block("p", f.notes)]
    return out + _remedies(f.remedies, f.parties.buyer_name, lang)


def rectification_blocks(f: RectificationFacts, lang: str) -> list[Block]:
    """The decision on a rectification request: the request, the outcome with reasons, remedies."""
    t = T[lang]
    out = _head(t["rect_title"], f.parties, lang)
    out += [
        Block("h2", t["rect_request"]),
        Block(
            "p",
            t["rect_request_text"].format(
                who=f.requester, filed=moment(f.filed_at, lang), award=f.award_number
            ),
        ),
        Block("p", f.request_reasons),
        Block("h2", t["rect_outcome"]),
        Block("p", t[f.outcome].format(award=f.award_number)),
        Block("h2", t["reasons"]),
        Block("p", f.reasons),
    ]
    return out + _remedies(f.remedies, f.parties.buyer_name, lang)
