"""The `qa` command line. Heavy modules are imported inside commands so `qa --help` stays fast."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

PATH = click.Path(path_type=Path, file_okay=False)


def _settings(ctx: click.Context):
    from qa.config import load_settings

    try:
        return load_settings(**ctx.obj)
    except ValueError as exc:  # pydantic's ValidationError names the bad setting
        raise click.ClickException(f"bad setting: {exc}") from exc


def _service(ctx: click.Context):
    from qa.errors import QAError
    from qa.service import QAService

    try:
        service = QAService(_settings(ctx))
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc
    if service.outdated:
        click.echo("warning: the index was built by an earlier version of qa; run `qa index` to "
                   "rebuild it (answers are less accurate until then)", err=True)
    return service


def format_answer(answer) -> str:
    """The answer, then one numbered line per source with its quote."""
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
    for c in answer.citations:
        about = ", ".join(x for x in (c.publisher, c.date) if x)
        lines.append(f"[{c.n}] {c.title}" + (f" ({about})" if about else ""))
        lines.append(f"    {c.source}, characters {c.start}-{c.end}")
        lines.append(f"    “{c.quote}”")
    return "\n".join(lines)


@click.group()
@click.option("--corpus-dir", type=PATH, help="Folder of documents [env QA_CORPUS_DIR; default corpus/].")
@click.option("--index-dir", type=PATH, help="Folder of the index [env QA_INDEX_DIR; default index/].")
@click.option("--model", "embedding_model", help="sentence-transformers model name or path "
              "[env QA_EMBEDDING_MODEL; default all-MiniLM-L6-v2, shipped offline].")
@click.pass_context
def main(ctx: click.Context, corpus_dir: Path | None, index_dir: Path | None,
         embedding_model: str | None) -> None:
    """Ask questions about a folder of documents; answers cite the passages they come from."""
    ctx.obj = {"corpus_dir": corpus_dir, "index_dir": index_dir, "embedding_model": embedding_model}


@main.command()
@click.pass_context
def index(ctx: click.Context) -> None:
    """Build or update the index from the corpus folder (only changed files are re-embedded)."""
    from qa.errors import QAError
    from qa.service import make_generations, run_index

    settings = _settings(ctx)
    update, close = _progress_bar("embedding", "passage")

    def warn(warning: str) -> None:  # as each file is skipped or repaired, not at the end
        click.echo(f"warning: {warning}", err=True)

    try:
        report = run_index(settings, on_progress=update, on_warning=warn)
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        close()
    left_out = (f"; {len(report.skipped)} files skipped and {len(report.repaired)} repaired "
                "(warnings above)" if report.skipped or report.repaired else "")
    click.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged documents; {report.documents} documents and "
        f"{report.chunks} chunks in {make_generations(settings).where} "
        f"({report.chunks_embedded} chunks embedded) in {report.seconds:.1f} s{left_out}"
    )


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as JSON.")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool) -> None:
    """Answer one QUESTION from the index."""
    from qa.errors import QAError
    from qa.service import validate_question

    try:  # a bad question is refused before the model loads
        validate_question(question, _settings(ctx).max_question_chars)
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc
    service = _service(ctx)
    try:
        answer = service.ask(question)
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(asdict(answer), ensure_ascii=False, indent=2))
    else:
        click.echo(format_answer(answer))


@main.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Ask questions one after another in the terminal (follow-ups use the conversation)."""
    from qa.errors import QAError

    service = _service(ctx)
    history: list[dict] = []
    click.echo(f"{service.stats()['documents']} documents indexed. Ask a question; Ctrl-D ends.")
    while True:
        try:
            question = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        try:
            answer = service.ask(question, history)
        except QAError as exc:
            click.echo(f"error: {exc}")
            continue
        click.echo(format_answer(answer))
        history += [{"role": "user", "content": question},
                    {"role": "assistant", "content": answer.answer}]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=7860, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the chat UI, the embeddable widget and the HTTP API from one process."""
    from qa.api import serve as run_server

    settings = _settings(ctx)
    click.echo(f"chat: http://{host}:{port}/   API: http://{host}:{port}/api/docs   "
               f"widget: http://{host}:{port}/widget.js", err=True)
    run_server(settings, host, port)


def format_partnership(row) -> str:
    """One partnership, then where each document says so."""
    from qa.partnerships import describe

    lines = [describe(row)]
    for c in row.citations:
        lines.append(f"    {c.source}, characters {c.start}-{c.end}: “{c.quote}”")
    return "\n".join(lines)


@main.command()
@click.option("--country", help="A country's English name or adjective, or its Chinese name "
              "(Russia, Russian, 俄罗斯).")
@click.option("--institution", help="Words of a Chinese or foreign institution's name.")
@click.option("--place", help="A Chinese city or province, English or Chinese (Jiangxi also "
              "selects the rows placed in Nanchang).")
@click.option("--kind", help="joint_institute, joint_programme, overseas_campus, alliance, "
              "alliance_member, exchange or cooperation (or a word of one: programme).")
@click.option("--year", help="The year of the partnership's date, e.g. 2025.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON list.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the rows as CSV.")
@click.pass_context
def partnerships(ctx: click.Context, country: str | None, institution: str | None,
                 place: str | None, kind: str | None, year: str | None, as_json: bool,
                 as_csv: bool) -> None:
    """List the partnerships the documents state, each cited to its source."""
    from qa.errors import QAError
    from qa.partnerships import csv_text, select
    from qa.service import partnership_table

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    try:
        rows, outdated = partnership_table(_settings(ctx))
        rows = select(rows, country=country, institution=institution, kind=kind, year=year,
                      place=place)
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc
    if outdated:
        click.echo("warning: the index was built by an earlier version of qa, without the "
                   "partnership table; run `qa index` to rebuild it", err=True)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(csv_text(rows), nl=False)
    else:
        for row in rows:
            click.echo(format_partnership(row))
        click.echo(f"{len(rows)} partnership{'s' if len(rows) != 1 else ''}", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the ratings as JSON Lines.")
@click.pass_context
def feedback(ctx: click.Context, as_json: bool) -> None:
    """Show the thumbs up/down that users gave answers in the chat."""
    from qa.feedback import FeedbackStore

    records = FeedbackStore(_settings(ctx).data_dir / "feedback.jsonl").read()
    if not records:
        click.echo("no feedback yet")
    for r in records:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
            continue
        mark = "+" if r["rating"] == "up" else "-"
        click.echo(f"{r['time']} [{mark}] {r['question']}")
        click.echo(f"    answer: {r['answer'][:200]}")
        if r.get("comment"):
            click.echo(f"    comment: {r['comment']}")


def _parse_gates(values: tuple[str, ...], option: str) -> dict[str, float]:
    gates = {}
    for value in values:
        name, sep, limit = value.partition("=")
        try:
            gates[name.strip()] = float(limit)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not METRIC=NUMBER", param_hint=option) from None
        if not sep:
            raise click.BadParameter(f"{value!r} is not METRIC=NUMBER", param_hint=option)
    return gates


def _progress_bar(desc: str, unit: str):
    """A progress callback drawing a tqdm bar on stderr, and a function that closes it."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=unit, desc=desc, file=sys.stderr)
        bar.update(done - bar.n)

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close


@main.command("eval")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=PATH, default=Path("reports/eval"), show_default=True,
              help="Folder for results.jsonl, metrics.json, report.md and plots.")
@click.option("--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder with corpus.jsonl + qa.jsonl (+ qa_unanswerable.jsonl), evaluated "
              "against its own temporary index.")
@click.option("--min", "minimums", multiple=True, metavar="METRIC=VALUE",
              help="Exit non-zero when METRIC falls below VALUE (repeatable).")
@click.option("--max", "maximums", multiple=True, metavar="METRIC=VALUE",
              help="Exit non-zero when METRIC rises above VALUE, for latency, false abstention "
              "and answer length (repeatable).")
@click.option("--max-answer-words", type=click.IntRange(min=1), default=None,
              help="An answer longer than this many words counts as wrong (SQuAD's target: the "
              "gold span within about 60 words).")
@click.option("--half", type=click.Choice(["tune", "check", "all"]), default="all",
              show_default=True,
              help="Which cases to score, split by a hash of their id: choose rules and "
              "weights on 'tune', report accuracy on 'check'.")
@click.pass_context
def eval_command(ctx: click.Context, files: tuple[Path, ...], out: Path, dataset: Path | None,
                 minimums: tuple[str, ...], maximums: tuple[str, ...],
                 max_answer_words: int | None, half: str) -> None:
    """Score answers on eval sets (JSON Lines FILES, or a public --dataset) and write a report."""
    import tempfile
    import uuid

    from qa import evaluation
    from qa.errors import QAError
    from qa.service import QAService, make_generations, run_index

    gates_min = _parse_gates(minimums, "--min")
    gates_max = _parse_gates(maximums, "--max")
    if not files and dataset is None:
        raise click.UsageError("give eval FILES or --dataset DIR")
    settings = _settings(ctx)
    try:
        with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
            temporary = None  # the dataset's own index, removed at the end
            if dataset is not None:
                cases = evaluation.dataset_to_corpus(dataset, Path(tmp) / "corpus")
                # a temporary folder, or a temporary index on the Chroma server
                settings = settings.model_copy(
                    update={"corpus_dir": Path(tmp) / "corpus", "index_dir": Path(tmp) / "index",
                            "chroma_index": f"eval-{uuid.uuid4().hex[:12]}"})
                temporary = make_generations(settings)
            else:
                cases = evaluation.load_cases(files)
            try:
                if temporary is not None:
                    update, close = _progress_bar("indexing", "passage")
                    try:
                        run_index(settings, on_progress=update)
                    finally:
                        close()
                cases = evaluation.select_half(cases, half)
                service = QAService(settings)
                update, close = _progress_bar("asking", "case")
                try:
                    results = evaluation.run_cases(service.ask, cases, update, max_answer_words)
                finally:
                    close()
                    service.close()
            finally:
                if temporary is not None:
                    temporary.remove()
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc
    overall = evaluation.metrics(results)
    by_kind = evaluation.metrics_by_kind(results)
    title = str(dataset) if dataset else ", ".join(str(f) for f in files)
    if half != "all":
        title += f" ({half} half)"
    evaluation.write_report(out, results, overall, by_kind, title)
    click.echo(evaluation.markdown_table({"all": overall}))
    click.echo(f"report: {out / 'report.md'}")
    failures = evaluation.check_gates(overall, gates_min, gates_max)
    for failure in failures:
        click.echo(f"gate failed: {failure}", err=True)
    if failures:
        ctx.exit(1)


if __name__ == "__main__":
    main()
