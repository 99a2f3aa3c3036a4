"""The language-model examples run end to end with small settings: the GPT learns and writes,
the three names models beat a uniform guess and make up names, the word LSTM trains."""

import importlib
import math
import sys
from pathlib import Path

import numpy as np

import autodiff
import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the examples are scripts, not a package
gpt = importlib.import_module("gpt")
names = importlib.import_module("names")
word_lstm = importlib.import_module("word_lstm")


def test_the_shipped_corpora_are_whole():
    text = nn.datasets.load_tinyshakespeare()
    assert len(text) == 1_115_394 and len(set(text)) == 65
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    words = nn.datasets.load_names()
    assert len(words) == 32_033 and words[:3] == ["emma", "olivia", "ava"]
    assert set("".join(words)) == set("abcdefghijklmnopqrstuvwxyz")


def test_the_gpt_learns_writes_and_draws(tmp_path, capsys):
    result = gpt.main(["--steps", "40", "--sample-length", "30", "--out", str(tmp_path)])
    stdout = capsys.readouterr().out
    assert len(result.losses) == 40
    assert np.mean(result.losses[-5:]) < np.mean(result.losses[:5]) - 0.5  # 4.3 to 3.2 seen
    assert result.val_loss < math.log(65)  # better than a uniform guess
    assert len(result.sample) == 31 and result.sample in stdout
    assert sorted(p.name for p in result.pictures) == ["gpt_attention_graph.svg", "gpt_losses.png"]
    assert all(p.is_file() for p in result.pictures)
    graph = (tmp_path / "gpt_attention_graph.svg").read_text(encoding="utf-8")
    assert "softmax" in graph and "CausalSelfAttention" in graph


def test_the_corpus_round_trips_through_the_character_table():
    corpus = gpt.load_corpus()
    assert len(corpus.chars) == 65 and len(corpus.train) + len(corpus.val) == 1_115_394
    assert corpus.decode(corpus.train[:14].tolist()) == "First Citizen:"
    assert corpus.encode("First") == corpus.train[:5].tolist()


def test_the_names_models_beat_a_uniform_guess_and_make_up_names(capsys):
    results = names.main(["--steps", "150", "--samples", "4"])
    assert [r.name for r in results] == [
        "bigram counts",
        "MLP over embeddings",
        "MLP with BatchNorm",
    ]
    assert results[0].val_loss < 2.5  # the bigram model's well-known 2.45
    for result in results:
        assert result.val_loss < math.log(27) - 0.5, result.name
        assert len(result.samples) == 4
        assert all(set(name) <= set("abcdefghijklmnopqrstuvwxyz") for name in result.samples)
    assert capsys.readouterr().out.count("held-out loss") == 3


def test_the_bigram_counts_are_counts():
    xs, ys = autodiff.tensor([0, 1, 1, 2]), autodiff.tensor([1, 2, 2, 0])
    counts = names.bigram_counts(xs, ys, 3)
    np.testing.assert_array_equal(counts.numpy(), [[0, 1, 0], [0, 0, 2], [1, 0, 0]])


def test_the_word_lstm_trains_on_a_small_vocabulary(capsys):
    losses = word_lstm.main(["--steps", "6", "--vocab", "60", "--batch-size", "4", "--bptt", "5"])
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert "perplexity" in capsys.readouterr().out


def test_the_word_stream_is_laid_out_in_columns():
    columns = word_lstm.batchify(np.arange(10), 3)
    np.testing.assert_array_equal(columns, [[0, 3, 6], [1, 4, 7], [2, 5, 8]])
    ids, vocabulary = word_lstm.tokenize("To be, or not to be.\n", 5)
    assert vocabulary[0] == "<unk>" and vocabulary[1:3] == ["to", "be"]
    assert [vocabulary[i] for i in ids][:5] == ["to", "be", ",", "or", "<unk>"]  # 4 kept
