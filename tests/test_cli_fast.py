"""The light path: `qa --help` must not import heavy libraries."""

import subprocess
import sys


def test_help_imports_no_heavy_library():
    code = ("import sys; from click.testing import CliRunner; from qa.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'chromadb', 'langchain_core', "
            "'pydantic_settings') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "qa.cli", "--help"], capture_output=True,
                         text=True, check=True)
    for command in ("index", "ask", "chat"):
        assert command in out.stdout
