import shutil
import sys
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embedders import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the seed corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, target)
    return target


@pytest.fixture
def settings(corpus: Path, tmp_path: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


def qa_command() -> list[str]:
    return [sys.executable, "-m", "qa.cli"]
