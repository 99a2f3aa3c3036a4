"""Smoke test of benchmarks/: every script runs in quick mode and the report has its shape.

run_all.py --quick runs every benchmark script, and every worker they start, in one process
with tiny sizes; here that process is this one (PyTorch is imported once, not per worker). We
check the markdown sections and the JSON keys, and that the measured numbers are positive;
the full run's subprocesses are checked apart, with one script and one worker.
No timing is asserted: the numbers of a quick run mean nothing.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))  # the scripts import each other, as scripts beside them
common = importlib.import_module("common")
run_all = importlib.import_module("run_all")
mlp_worker = importlib.import_module("mlp_worker")

TORCH = importlib.util.find_spec("torch") is not None
SECTIONS = ("mlp", "ops", "scalar", "scaling", "memory", "profile", "conv", "models")
HEADINGS = (
    "# Benchmarks:",
    "## Headline numbers",
    "## Targets",
    "## 1. MLP training",
    "## 2. Per-op overhead",
    "## 3. Scalar graphs",
    "## 4. Scaling",
    "## 5. Memory",
    "## 6. Where the time goes",
    "## 7. Convolutions",
    "## 8. Models learners train next",
)


@contextlib.contextmanager
def as_a_fresh_process() -> Iterator[None]:
    """Run benchmarks here as they would run in a process of their own.

    The objects this process already holds (pytest's, PyTorch's) are frozen out of the
    collector's way, since the benchmarks call gc.collect() between measurements; and the
    thread counts they pin (BLAS, PyTorch) are put back for the tests after.
    """
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    gc.freeze()
    try:
        with threadpool_limits(limits=None):  # puts every pool back as it was on exit
            yield
    finally:
        gc.unfreeze()
        if torch is not None:
            torch.set_num_threads(torch_threads)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    printed = io.StringIO()
    with as_a_fresh_process(), contextlib.redirect_stdout(printed):
        try:
            run_all.main(["--quick", "--out", str(out)])
        except SystemExit as error:  # a section failed: the report holds its traceback
            pytest.fail(f"run_all --quick: {error}\n{printed.getvalue()[-4000:]}")
    (markdown,) = out.glob("*.md")
    (raw,) = out.glob("*.json")
    assert raw.stem == markdown.stem
    return markdown.read_text(), json.loads(raw.read_text()), printed.getvalue()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return common.prepare_data(True, tmp_path_factory.mktemp("data"))


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_run_all_prints_the_report_it_writes(report):
    markdown, _, stdout = report
    assert markdown.strip() == stdout.strip()


def test_report_has_every_section(report):
    markdown, _, _ = report
    for heading in HEADINGS:
        assert heading in markdown, heading
    assert "FAILED" not in markdown


def test_report_records_the_environment(report):
    markdown, raw, _ = report
    env = raw["env"]
    for key in ("cpu_model", "threads", "python", "numpy", "torch", "numpy_blas", "openblas_env"):
        assert key in env, key
    assert "OPENBLAS_CORETYPE" in env["openblas_env"]
    assert "OPENBLAS_L2_SIZE" in env["openblas_env"]
    assert (env["torch"] != "not installed") == TORCH
    assert "numpy BLAS" in markdown


def test_every_section_has_its_results(report):
    _, raw, _ = report
    assert set(raw["sections"]) == set(SECTIONS)
    for name, results in raw["sections"].items():
        assert "error" not in results, name
        assert _positive(results["wall_s"]), name


def test_mlp_results_cover_every_implementation_and_config(report):
    _, raw, _ = report
    configs = raw["sections"]["mlp"]["configs"]
    assert {(c["optimizer"], c["batch_size"]) for c in configs} == {
        ("sgd", 64),
        ("sgd", 128),
        ("adam", 64),
        ("adam", 128),
    }
    for c in configs:
        assert _positive(c["s_per_epoch"]["engine"])
        assert _positive(c["s_per_epoch"]["numpy"])
        assert _positive(c["ratio"]["engine/numpy"]["median"])
        if TORCH:
            assert _positive(c["s_per_epoch"]["torch"])
            assert _positive(c["ratio"]["engine/torch"]["median"])
        else:
            assert c["s_per_epoch"]["torch"] == "not installed"
        assert c["same_initial_weights"] and c["same_batch_order"]
        assert isinstance(c["accuracy_ok"], bool)
        assert 0 < c["test_accuracy"]["engine"] <= 1


def test_op_and_scalar_results_are_positive(report):
    _, raw, _ = report
    for kind, us in raw["sections"]["ops"]["kinds"].items():
        for key in ("engine_fwd", "engine_bwd", "engine_both", "numpy_fwd"):
            assert _positive(us[key]), (kind, key)
        assert _positive(us["torch_both"]) == TORCH
    scalar = raw["sections"]["scalar"]
    assert scalar["chain"]["recursion_error"] is None
    assert _positive(scalar["chain"]["ops_per_s"])
    assert _positive(scalar["mlp"]["step_s"])
    assert _positive(scalar["mlp"]["ops_per_step"])


def test_scaling_memory_and_profile_results(report):
    _, raw, _ = report
    scaling = raw["sections"]["scaling"]
    assert len(scaling["chains"]) == 3
    assert all(_positive(c["backward_s"]) for c in scaling["chains"])
    assert [b["batch_size"] for b in scaling["batches"]] == [16, 32, 64, 128, 256, 512, 1024]
    assert all(_positive(b["engine_s"]) and _positive(b["numpy_s"]) for b in scaling["batches"])
    memory = raw["sections"]["memory"]
    for impl in ("engine", "numpy") + (("torch",) if TORCH else ()):
        assert _positive(memory["epoch"][impl]["peak_mb"]), impl
    assert "growth_mb" in memory["growth"]
    assert memory["growth"]["steps_done"] > 0
    profile = raw["sections"]["profile"]
    assert len(profile["top"]) == 10
    assert all(_positive(row["tottime_s"]) for row in profile["top"])


def test_conv_results_cover_the_layer_the_step_and_memory(report):
    _, raw, _ = report
    conv = raw["sections"]["conv"]
    for impl in ("engine",) + (("torch",) if TORCH else ()):
        for key in ("layer_ms", "step_ms", "epoch_peak_mb"):
            assert _positive(conv[impl][key]), (impl, key)
    if TORCH:
        assert _positive(conv["ratio"]["step"])


def test_model_results_cover_every_model_with_agreeing_losses(report):
    _, raw, _ = report
    models = raw["sections"]["models"]["models"]
    assert set(models) == {"mlp", "transformer", "gpt", "lstm", "gru", "cnn"}
    for name, m in models.items():
        impls = ("engine",) + (("torch",) if TORCH else ())
        for impl in impls:
            assert _positive(m[impl]["step_ms"]), (name, impl)
            assert len(m[impl]["losses"]) == 3, (name, impl)
        if TORCH:  # same weights, same batches: the same losses, step after step
            assert _positive(m["ratio"]["step"]) and _positive(m["ratio"]["cpu"]), name
            assert m["losses_agree"], (name, m["loss_first_rel_diff"])


def test_scalar_rows_are_ratios_to_anchors_of_the_same_run(report):
    _, raw, _ = report
    scalar = raw["sections"]["scalar"]
    micrograd = scalar["mlp"]["micrograd"]
    assert _positive(micrograd["over_engine"]) and micrograd["losses_agree"]
    assert _positive(scalar["chain"]["over_torch"]) == TORCH


def test_targets_are_listed_with_a_verdict(report):
    markdown, raw, _ = report
    names = " ".join(t["name"] for t in raw["targets"])
    for expected in ("MLP SGD b64", "MLP SGD b128", "MLP ADAM", "Mixed chain", "scalar chain"):
        assert expected in names, expected
    assert "RSS growth" in names and "Peak RSS" in names
    for t in raw["targets"]:
        # only a target measured against PyTorch can lack a verdict, and only without torch
        unmeasurable = not TORCH and "PyTorch" in t["name"]
        assert t["met"] in ((True, False, None) if unmeasurable else (True, False)), t
    assert "✓" in markdown or "✗" in markdown


def test_a_worker_in_its_own_interpreter_returns_what_it_returns_in_process(data):
    runs = [{"optimizer": "sgd", "lr": 0.1, "batch_size": 64, "epochs": 1}]
    with as_a_fresh_process():
        here = mlp_worker.run("numpy", "train", runs, data, 1, in_process=True)
    alone = mlp_worker.run("numpy", "train", runs, data, 1)  # as the full run starts it
    assert here["impl"] == alone["impl"] == "numpy"
    for key in ("steps", "init_digest", "order_digest", "test_accuracy"):
        assert here["runs"][0][key] == alone["runs"][0][key], key
    assert _positive(alone["runs"][0]["s_per_epoch"])


def test_a_model_worker_in_its_own_interpreter_trains_as_it_does_here(tmp_path):
    bench_models = importlib.import_module("bench_models")
    c = importlib.import_module("models").config("gru", quick=True)
    alone = bench_models.Worker("engine", "gru", c, 2, 1, None)
    try:
        alone.save_state(tmp_path / "gru.npz")
        losses = [alone.step(k)[2] for k in range(2)]
        assert alone.memory()["baseline_mb"] > 0
    finally:
        alone.close()
    with as_a_fresh_process():
        here = bench_models.Here("engine", "gru", c, 2, 1, tmp_path / "gru.npz")
        assert [here.step(k)[2] for k in range(2)] == losses  # same state, same batches


def test_a_script_runs_alone_as_the_full_run_starts_it(data, tmp_path):
    out = tmp_path / "profile.json"
    options = ["--json", str(out), "--data", str(data), "--threads", "1", "--quick"]
    assert run_all._run_subprocess("bench_profile", options) is None
    results = json.loads(out.read_text())
    assert len(results["top"]) == 10
    assert _positive(results["epoch_s_plain"])


def test_without_torch_the_torch_columns_say_not_installed(tmp_path):
    hidden = tmp_path / "hide" / "torch"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("torch hidden by the smoke test")\n')
    env = {**os.environ, "PYTHONPATH": str(hidden.parent)}
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run_all.py"),
            "--quick",
            "--only",
            "mlp,ops,scalar,memory,models",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    raw = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert raw["env"]["torch"] == "not installed"
    sections = raw["sections"]
    for c in sections["mlp"]["configs"]:
        assert c["s_per_epoch"]["torch"] == "not installed"
        assert c["ratio"]["engine/torch"]["median"] == "not installed"
        assert _positive(c["s_per_epoch"]["engine"])
    assert sections["ops"]["kinds"]["mixed"]["torch_both"] == "not installed"
    assert sections["scalar"]["chain"]["torch"] == "not installed"
    assert sections["memory"]["epoch"]["torch"] == "not installed"
    for m in sections["models"]["models"].values():
        assert m["torch"] == "not installed" and _positive(m["engine"]["step_ms"])
    assert "not installed" in done.stdout
