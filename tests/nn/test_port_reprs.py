"""A model prints as the same model prints in PyTorch (module reprs a port shows)."""

import pytest

import nn

torch = pytest.importorskip("torch")


def _model(lib):
    class Head(lib.Module):
        def __init__(self):
            super().__init__()
            self.key = lib.Linear(4, 2, bias=False)
            self.drop = lib.Dropout(0.1)

    heads = lib.ModuleList([Head() for _ in range(3)] + [lib.Linear(2, 2), lib.ReLU(), lib.ReLU()])
    return lib.Sequential(
        heads,
        lib.LayerNorm(4),
        lib.LayerNorm(4, bias=False),
        lib.Dropout2d(0.2),
        lib.ModuleList(),
        lib.ModuleList([lib.Tanh()]),
        lib.GroupNorm(2, 4),
        lib.Sequential(lib.ReLU(), lib.ReLU()),
    )


def test_a_model_prints_as_in_pytorch_runs_of_like_modules_once():
    ours = repr(_model(nn))
    assert "(0-2): 3 x Head(" in ours and "(4-5): 2 x ReLU()" in ours
    assert "(0): ReLU()\n    (1): ReLU()" in ours  # a Sequential prints each layer
    assert ours == repr(_model(torch.nn))


def test_dropout_takes_inplace_and_refuses_true_when_applied():
    import autodiff as ad

    assert repr(nn.Dropout(0.3, inplace=False)) == "Dropout(p=0.3, inplace=False)"
    with pytest.raises(ValueError, match="inplace"):
        nn.Dropout(0.3, inplace=True)(ad.ones(4))
