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
        return QAService(_settings(ctx))
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc


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
    from tqdm import tqdm

    from qa.errors import QAError
    from qa.service import run_index

    settings = _settings(ctx)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="passage", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        report = run_index(settings, on_progress=progress)
    except QAError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if bar is not None:
            bar.close()
    for warning in report.skipped:
        click.echo(f"warning: skipped {warning}", err=True)
    click.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged documents; {report.documents} documents and "
        f"{report.chunks} chunks in {settings.index_dir}/ "
        f"({report.chunks_embedded} chunks embedded) in {report.seconds:.1f} s"
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


if __name__ == "__main__":
    main()
