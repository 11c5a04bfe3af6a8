"""The numpy question path gives the vectors sentence-transformers gives."""

import json

import numpy as np
import pytest

from qa.embedders import (HashingEmbedder, SentenceTransformerEmbedder, _mean_pooling_layout,
                          _NumpyBertEncoder, _SentenceTransformersEncoder, resolve_model_path)
from qa.errors import ConfigError

TEXTS = ["Which UK university did Chongqing Medical University partner with?",
         "重庆医科大学与英国莱斯特大学合作。", "a", "word " * 400]


@pytest.mark.integration
def test_numpy_path_matches_sentence_transformers():
    path = resolve_model_path("all-MiniLM-L6-v2")
    embedder = SentenceTransformerEmbedder()
    short = embedder.embed(TEXTS)
    assert isinstance(embedder._short, _NumpyBertEncoder) and embedder._batch is None
    reference = _SentenceTransformersEncoder(path).encode(TEXTS, 32)
    assert short.shape == (4, 384)
    np.testing.assert_allclose(short, reference, atol=1e-5)
    batch = embedder.embed(TEXTS * 3)  # more than SHORT texts: sentence-transformers
    assert embedder._batch is not None
    np.testing.assert_allclose(batch[:4], reference, atol=1e-5)


def test_only_mean_pooling_models_take_the_numpy_path(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"path": "", "type": "sentence_transformers.models.Transformer"},
        {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    pooling = tmp_path / "1_Pooling" / "config.json"
    pooling.write_text('{"pooling_mode_mean_tokens": true, "pooling_mode_cls_token": false}')
    assert _mean_pooling_layout(tmp_path) == 128
    pooling.write_text('{"pooling_mode_mean_tokens": false, "pooling_mode_cls_token": true}')
    assert _mean_pooling_layout(tmp_path) is None


def test_unloadable_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot load the embedding model"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model")).embed(["x"])


def test_hashing_embedder_is_unit_length_and_deterministic():
    vectors = HashingEmbedder().embed(["a b c", "a b c", ""])
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, rtol=1e-6)
    assert (vectors[0] == vectors[1]).all() and not vectors[2].any()
