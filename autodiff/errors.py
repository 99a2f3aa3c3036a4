"""The exception types the engine raises for user mistakes."""


class ShapeError(ValueError):
    """Shapes that do not fit an op: mismatched operands, a wrong gradient, a bad reshape."""


class DTypeError(TypeError):
    """A dtype that cannot take part: e.g. an integer tensor asked to require gradients."""


class GradientError(RuntimeError):
    """Backward cannot run: nothing requires grad, a freed graph, an in-place change, NaN."""
