"""nn draws from autodiff's global generator: `nn.manual_seed is autodiff.manual_seed`."""

from autodiff import Generator, default_generator, manual_seed

__all__ = ["Generator", "default_generator", "manual_seed"]
