"""Eval sets: load cases, run them through the service, score answers, write reports and plots."""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import string
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa.errors import QAError
from qa.text import word_count
from qa.types import Answer

@dataclass(frozen=True)
class Case:
    id: str
    question: str
    history: list[dict] = field(default_factory=list)
    answerable: bool = True
    must: list[list[str]] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    reference: str = ""
    answers: list[str] = field(default_factory=list)
    kind: str = ""


class EvalSetError(QAError):
    """An eval file cannot be read or holds a malformed case."""


def load_cases(paths: Iterable[Path]) -> list[Case]:
    """Cases from JSON Lines files; unknown fields are ignored, malformed lines are errors."""
    cases: list[Case] = []
    known = set(Case.__dataclass_fields__)
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EvalSetError(f"cannot read eval file {path}: {exc.strerror or exc}") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                case = Case(**{k: v for k, v in data.items() if k in known})
            except (json.JSONDecodeError, TypeError) as exc:
                raise EvalSetError(f"{path}:{number}: not a valid case ({exc})") from exc
            if not case.id or not isinstance(case.question, str):
                raise EvalSetError(f"{path}:{number}: a case needs an `id` and a `question`")
            cases.append(case)
    ids = Counter(c.id for c in cases)
    duplicated = [i for i, n in ids.items() if n > 1]
    if duplicated:
        raise EvalSetError(f"case ids used more than once: {', '.join(duplicated[:5])}")
    return cases


HALVES = ("tune", "check", "all")


def half_of(case_id: str) -> str:
    """The half a case belongs to, fixed by a hash of its id: rules, weights and thresholds are
    chosen on "tune"; the figures reported as accuracy come from "check"."""
    return "tune" if hashlib.sha256(case_id.encode("utf-8")).digest()[0] % 2 == 0 else "check"


def select_half(cases: list[Case], half: str) -> list[Case]:
    """The cases of one half ("tune" or "check"), or all of them ("all")."""
    if half not in HALVES:
        raise EvalSetError(f"unknown half {half!r}; valid: {', '.join(HALVES)}")
    return cases if half == "all" else [c for c in cases if half_of(c.id) == half]


# --- scoring -------------------------------------------------------------------

_PUNCT = set(string.punctuation) | set("，。！？；：、“”‘’（）《》【】…—·「」")


def normalise(text: str) -> str:
    """Case-, width- and quote-insensitive form used for every string comparison."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    return re.sub(r"\s+", " ", text).strip()


def _squad_form(text: str) -> str:
    text = "".join(" " if ch in _PUNCT else ch for ch in normalise(text))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _is_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def _tokens(text: str) -> list[str]:
    """Each Chinese character, and each run of other letters and digits, as CMRC's own scoring
    segments (both sides alike: "150对" is 150 and 对, as "150" is 150); English is its words."""
    return re.findall(r"[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+", _squad_form(text))


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = _tokens(prediction), _tokens(gold)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains(answer: str, gold: str) -> bool:
    """Normalised containment: punctuation, articles, case and width do not matter."""
    gold_form = _squad_form(gold)
    if not gold_form:
        return False
    answer_form = _squad_form(answer)
    if _is_cjk(gold_form):
        return gold_form.replace(" ", "") in answer_form.replace(" ", "")
    # Chinese characters bound a Latin span as spaces do: "通式为R-S-R，" holds "R-S-R"
    answer_form = re.sub(r"([\u4e00-\u9fff])", r" \1 ", answer_form)
    return f" {gold_form} " in f" {re.sub(' +', ' ', answer_form)} "


def meets_must(answer: str, must: list[list[str]]) -> bool:
    text = normalise(answer)
    return all(any(normalise(alt) in text for alt in group) for group in must)


def answer_text(answer: Answer) -> str:
    """The answer without citation markers, for string matching."""
    return re.sub(r"\s*\[\d+\]", "", answer.answer)


def score_case(case: Case, answer: Answer, max_words: int | None = None) -> dict:
    """Per-case scores; a key is None where the case cannot measure it. With `max_words`, an
    answer whose quoted evidence is longer than that is wrong however much it contains (SQuAD's
    target counts a gold span only within an answer of about 60 words); the lead line, at most
    about 12 words of that evidence, is not counted against it."""
    text = answer_text(answer)
    evidence = text.split("\n", 1)[1] if answer.lead and "\n" in text else text
    retrieved = [d["source"] for d in answer.retrieved]
    cited = [c.source for c in answer.citations]
    gold = set(case.sources)
    scores: dict = {"abstained": answer.abstained, "answer_words": word_count(text)}
    if case.answerable:
        checks = []
        if case.must:
            checks.append(meets_must(text, case.must))
        if case.answers:
            checks.append(any(contains(text, a) for a in case.answers))
        forbidden = any(normalise(bad) in normalise(text) for bad in case.must_not)
        too_long = max_words is not None and word_count(evidence) > max_words
        scores["correct"] = (bool(checks) and all(checks) and not forbidden and not too_long
                             and not answer.abstained) if (checks or case.must_not) else None
        golds = case.answers or ([case.reference] if case.reference else [])
        scores["f1"] = max((token_f1(text, g) for g in golds), default=None) \
            if golds and not answer.abstained else (0.0 if golds else None)
        # the lead against the gold answers (SQuAD's and CMRC's short spans; a domain case's
        # reference is a sentence, so its lead F1 says less); 0 without a lead
        lead = answer.lead if not answer.abstained else ""
        scores["lead_f1"] = max((token_f1(lead, g) for g in golds), default=0.0) \
            if golds and lead else (0.0 if golds else None)
        scores["led"] = bool(lead) if not answer.abstained else None
    else:
        scores["correct"] = answer.abstained
        scores["f1"] = scores["lead_f1"] = scores["led"] = None
    if case.answerable and gold:
        rank = next((i + 1 for i, s in enumerate(retrieved) if s in gold), None)
        scores["hit@1"] = rank == 1
        scores["hit@5"] = rank is not None and rank <= 5
        scores["hit@k"] = rank is not None  # k: every document the answer lists (up to 10)
        scores["rr"] = 1.0 / rank if rank else 0.0
        if cited:
            scores["citation_precision"] = sum(s in gold for s in cited) / len(cited)
            scores["citation_recall"] = len(gold & set(cited)) / len(gold)
    return scores


# --- running and aggregating ------------------------------------------------------


def run_cases(ask: Callable[[str, list[dict]], Answer], cases: list[Case],
              on_progress: Callable[[int, int], None] | None = None,
              max_words: int | None = None) -> list[dict]:
    """Ask every case (with its history) and score it; a refused question counts as abstained."""
    results = []
    for done, case in enumerate(cases, start=1):
        try:
            answer = ask(case.question, case.history)
            error = ""
        except QAError as exc:
            answer = Answer(str(exc), True, [])
            error = str(exc)
        results.append({
            "id": case.id, "kind": case.kind or "unlabelled", "question": case.question,
            "history": case.history, "answerable": case.answerable,
            "expected": case.reference or "; ".join(case.answers)
            or " AND ".join(" / ".join(g) for g in case.must) or "(abstain)",
            "sources": case.sources, "answer": answer.answer, "abstained": answer.abstained,
            "query": answer.query, "citations": [asdict(c) for c in answer.citations],
            "retrieved": answer.retrieved, "latency_ms": answer.timings_ms.get("total", 0.0),
            "error": error, "generation": answer.generation, "lead": answer.lead,
            "scores": score_case(case, answer, max_words),
        })
        if on_progress:
            on_progress(done, len(cases))
    return results


def _mean(values: list) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(statistics.fmean(values), 4) if values else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def metrics(results: list[dict]) -> dict:
    """Headline metrics over a list of scored results."""
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    abstained = [r for r in results if r["abstained"]]
    answered_words = [r["scores"]["answer_words"] for r in results if not r["abstained"]]
    latencies = [r["latency_ms"] for r in results]
    out = {
        "cases": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answer_accuracy": _mean([r["scores"]["correct"] for r in answerable]),
        "overall_accuracy": _mean([r["scores"]["correct"] for r in results]),
        "f1": _mean([r["scores"]["f1"] for r in answerable]),
        # token F1 of the lead line (0 where an answer has none), and the share of answers
        # that open with one
        "lead_f1": _mean([r["scores"].get("lead_f1") for r in answerable]),
        "lead_share": _mean([r["scores"].get("led") for r in answerable]),
        "hit@1": _mean([r["scores"].get("hit@1") for r in answerable]),
        "hit@5": _mean([r["scores"].get("hit@5") for r in answerable]),
        "hit@k": _mean([r["scores"].get("hit@k") for r in answerable]),
        "mrr": _mean([r["scores"].get("rr") for r in answerable]),
        "citation_precision": _mean([r["scores"].get("citation_precision") for r in answerable]),
        "citation_recall": _mean([r["scores"].get("citation_recall") for r in answerable]),
        "abstention_precision": _mean([not r["answerable"] for r in abstained]),
        "abstention_recall": _mean([r["abstained"] for r in unanswerable]),
        "false_abstention_rate": _mean([r["abstained"] for r in answerable]),
        "answer_words_mean": _mean(answered_words),
        "answer_words_p95": _percentile(answered_words, 0.95),
        "latency_p50_ms": _percentile(latencies, 0.5),
        "latency_p95_ms": _percentile(latencies, 0.95),
    }
    modes = Counter((r.get("generation") or {}).get("mode") for r in results)
    if any(modes.get(m) for m in ("llm", "fallback")):  # an LLM was configured
        generated = modes["llm"] + modes["fallback"]
        out["llm_answered_share"] = round(modes["llm"] / generated, 4) if generated else None
        out["llm_fallback_share"] = round(modes["fallback"] / generated, 4) if generated else None
        out["llm_sentences_dropped"] = sum((r.get("generation") or {}).get("dropped", 0)
                                           for r in results)
        out["llm_fallback_reasons"] = dict(Counter(
            r["generation"]["reason"] for r in results
            if (r.get("generation") or {}).get("mode") == "fallback"))
    return out


def metrics_by_kind(results: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        groups[result["kind"]].append(result)
    return {kind: metrics(group) for kind, group in sorted(groups.items())}


def check_gates(values: dict, minimums: dict[str, float], maximums: dict[str, float]) -> list[str]:
    """Messages for each gate the metrics fail; an unknown metric name is a failure too."""
    failures = []
    for name, limit in minimums.items():
        value = values.get(name)
        if value is None or value < limit:
            failures.append(f"{name} = {value} is below the minimum {limit}")
    for name, limit in maximums.items():
        value = values.get(name)
        if value is None or value > limit:
            failures.append(f"{name} = {value} is above the maximum {limit}")
    return failures


# --- writing ---------------------------------------------------------------------

HEADLINE = ("cases", "answer_accuracy", "overall_accuracy", "f1", "lead_f1", "lead_share", "hit@1", "hit@5", "hit@k",
            "mrr", "citation_precision", "citation_recall", "abstention_precision", "abstention_recall",
            "false_abstention_rate", "answer_words_mean", "latency_p50_ms", "latency_p95_ms")


def _cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown_table(rows: dict[str, dict], columns: tuple[str, ...] = HEADLINE) -> str:
    lines = ["| set | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, values in rows.items():
        lines.append(f"| {name} | " + " | ".join(_cell(values.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", text).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_report(out_dir: Path, results: list[dict], overall: dict, by_kind: dict,
                 title: str) -> None:
    """results.jsonl, metrics.json, report.md and the PNG plots the report links."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")
    (out_dir / "metrics.json").write_text(
        json.dumps({"overall": overall, "by_kind": by_kind}, indent=2, ensure_ascii=False))
    _plots(out_dir, results, by_kind)
    failed = [r for r in results if r["scores"]["correct"] is False]
    llm = {k: v for k, v in overall.items() if k.startswith("llm_")}
    lines = [f"# Eval report: {title}", "", "## Overall", "", markdown_table({"all": overall}), "",
             *([f"Generative answers: {json.dumps(llm, ensure_ascii=False)}", ""] if llm else []),
             "## By kind", "", markdown_table(by_kind), "",
             "![accuracy by kind](accuracy_by_kind.png)", "", "![latency](latency.png)", "",
             f"## Failed cases ({len(failed)})", ""]
    for r in failed:
        cited = ", ".join(sorted({c["source"] for c in r["citations"]})) or "none"
        lines += [f"### {r['id']} ({r['kind']})", "", f"- question: {_one_line(r['question'])}",
                  f"- expected: {_one_line(r['expected'])}", f"- got: {_one_line(r['answer'])}",
                  f"- cited: {cited}", f"- expected sources: {', '.join(r['sources']) or '–'}", ""]
    (out_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")


def _plots(out_dir: Path, results: list[dict], by_kind: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(by_kind)
    accuracy = [by_kind[k]["overall_accuracy"] or 0.0 for k in kinds]
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(kinds)), 3.5))
    ax.bar(kinds, accuracy, color="#3b6ea5")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy by kind of question")
    for i, value in enumerate(accuracy):
        ax.text(i, value + 0.02, f"{value:.2f}", ha="center", fontsize=8)
    ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    fig.savefig(out_dir / "accuracy_by_kind.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist([r["latency_ms"] for r in results], bins=30, color="#a55b3b")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency distribution")
    fig.tight_layout()
    fig.savefig(out_dir / "latency.png", dpi=110)
    plt.close(fig)


# --- public datasets in the corpus.jsonl + qa.jsonl format ---------------------------------


def dataset_to_corpus(dataset: Path, corpus_dir: Path) -> list[Case]:
    """Write a dataset's documents as files in `corpus_dir`; return its cases."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    try:
        docs = [json.loads(line) for line in (dataset / "corpus.jsonl").read_text(
            encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalSetError(f"{dataset}: no readable corpus.jsonl ({exc})") from exc
    for doc in docs:
        title = str(doc.get("title") or doc["id"]).replace("\n", " ")
        (corpus_dir / f"{doc['id']}.txt").write_text(f"---\ntitle: {title}\n---\n{doc['text']}",
                                                    encoding="utf-8")
    cases = []
    for name, answerable in (("qa.jsonl", True), ("qa_unanswerable.jsonl", False)):
        path = dataset / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                cases.append(Case(id=str(item["id"]), question=item["question"],
                                  answerable=answerable, answers=item.get("answers") or [],
                                  sources=[f"{d}.txt" for d in item.get("doc_ids") or []],
                                  kind="answerable" if answerable else "unanswerable"))
    return cases
