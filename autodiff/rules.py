"""The derivative rule of each built-in primitive, in symbols and in words.

A primitive declares its rule with ``@primitive(rule=(symbols, words))``; the built-ins get
theirs here, one line each, so the table reads as a page of calculus. `watch_backward` shows
the rule beside each step of backward.
"""

from __future__ import annotations

from autodiff.primitive import Rule, registry

BUILTIN_RULES: dict[str, Rule] = {
    "add": ("∂(a + b)/∂a = 1,  ∂(a + b)/∂b = 1", "a sum passes its gradient to both terms"),
    "sub": ("∂(a − b)/∂a = 1,  ∂(a − b)/∂b = −1", "a difference passes g to a and −g to b"),
    "mul": ("∂(a·b)/∂a = b,  ∂(a·b)/∂b = a", "each factor gets g times the other factor"),
    "div": ("∂(a/b)/∂a = 1/b,  ∂(a/b)/∂b = −a/b²", "a quotient scales g by 1/b, and by −a/b²"),
    "neg": ("d/dx (−x) = −1", "negation flips the sign of the gradient"),
    "pow": ("∂aᵇ/∂a = b·aᵇ⁻¹,  ∂aᵇ/∂b = aᵇ·ln a", "the power rule for the base, ln a for b"),
    "maximum": ("∂max(a, b)/∂a = [a > b]", "the larger input takes the gradient (ties split it)"),
    "minimum": ("∂min(a, b)/∂a = [a < b]", "the smaller input takes the gradient (ties split it)"),
    "where": ("∂/∂a = [cond],  ∂/∂b = [not cond]", "each side gets g where it was chosen"),
    "clip": ("d/dx clip(x) = [low ≤ x ≤ high]", "g passes where x was inside the bounds"),
    "matmul": ("∂(A@B)/∂A: g @ Bᵀ,  ∂(A@B)/∂B: Aᵀ @ g", "each matrix gets g times the other"),
    "linear": (
        "∂/∂x: g @ W,  ∂/∂W: gᵀ @ x,  ∂/∂bias: Σ g",
        "a linear layer: g through the weights, outer products for them, sums for the bias",
    ),
    "softmax_cross_entropy": (
        "∂Lₙ/∂zₙ = softmax(zₙ) − onehot(yₙ)",
        "predicted minus true distribution, per row (divided by N for the mean)",
    ),
    "sum": ("∂(Σ x)/∂xᵢ = 1", "a sum copies its gradient back to every term"),
    "max": ("∂max(x)/∂xᵢ = [xᵢ is the max] / k", "the largest gets g; k tied ones 1/k each"),
    "min": ("∂min(x)/∂xᵢ = [xᵢ is the min] / k", "the smallest gets g; k tied ones 1/k each"),
    "logsumexp": ("∂ ln Σ eˣ/∂xᵢ = softmax(x)ᵢ", "the gradient of logsumexp is the softmax"),
    "std": ("∂σ/∂xᵢ = (xᵢ − x̄) / ((n − ddof)·σ)", "each value pulls σ by its deviation"),
    "softmax": ("∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ)", "softmax's Jacobian: s·(g − Σ g·s)"),
    "log_softmax": ("∂ log sᵢ/∂xⱼ = δᵢⱼ − sⱼ", "g minus softmax times the sum of g"),
    "reshape": ("reshape back", "a reshape's gradient is g in the input's shape"),
    "transpose": ("transpose back", "a transpose's gradient is g with the axes put back"),
    "broadcast_to": ("Σ over broadcast axes", "a broadcast's gradient sums g over the copies"),
    "concatenate": ("split g", "each input gets its own slice of g"),
    "stack": ("unstack g", "each input gets its own slice of g"),
    "getitem": ("scatter g into zeros", "g goes back to the places the index picked"),
    "scatter_add": ("gather g at the index", "each added value gets g at its place"),
    "exp": ("d/dx eˣ = eˣ", "exp is its own derivative"),
    "log": ("d/dx ln x = 1/x", "the derivative of ln x is 1/x"),
    "sqrt": ("d/dx √x = 1/(2√x)", "the derivative of √x is one over twice √x"),
    "abs": ("d/dx |x| = sign(x)", "abs passes g with the sign of x"),
    "sin": ("d/dx sin x = cos x", "the derivative of sin is cos"),
    "cos": ("d/dx cos x = −sin x", "the derivative of cos is minus sin"),
    "cosh": ("d/dx cosh x = sinh x", "the derivative of cosh is sinh"),
    "sinh": ("d/dx sinh x = cosh x", "the derivative of sinh is cosh"),
    "tanh": ("d/dx tanh(x) = 1 − tanh²(x)", "tanh's slope is one minus its output squared"),
    "sigmoid": ("d/dx σ(x) = σ(x)(1 − σ(x))", "sigmoid's slope is its output times one minus it"),
    "softplus": ("d/dx ln(1 + eˣ) = σ(x)", "softplus's slope is the sigmoid"),
    "log_sigmoid": ("d/dx ln σ(x) = 1 − σ(x)", "log-sigmoid's slope is one minus the sigmoid"),
    "relu": ("d/dx max(x, 0) = [x > 0]", "relu passes g where its input was positive"),
    "leaky_relu": ("d/dx = 1 if x > 0, else slope", "g passes, scaled by the slope below 0"),
    "erf": ("d/dx erf x = 2/√π · e^(−x²)", "erf's slope is a scaled Gaussian"),
    "astype": ("d/dx cast(x) = 1", "a cast passes g back in the input's dtype"),
    "conv2d": (
        "∂/∂x: conv_transpose2d(g, W),  ∂/∂W: correlate(x, g),  ∂/∂b: Σ g",
        "a convolution sends g back through the flipped kernel",
    ),
    "conv_transpose2d": ("∂/∂x: conv2d(g, W)", "the adjoint of conv2d: g goes through conv2d"),
    "conv2d_weight": ("∂/∂x, ∂/∂g: the adjoints", "the weight gradient's own derivatives"),
    "max_pool2d": ("g to the max of each window", "each window's largest tap gets its g"),
    "max_pool2d_transpose": ("gather g at the taps", "the adjoint of routing to the taps"),
    "max_pool2d_gather": ("scatter g to the taps", "the adjoint of gathering the taps"),
    "avg_pool2d": ("g / window size, spread", "each window shares its g equally"),
    "avg_pool2d_transpose": ("average g per window", "the adjoint of spreading g"),
    "pad": ("crop g", "padding's gradient is g with the padding cut off"),
    "layer_norm": (
        "∂/∂x = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)),  ĝ = g·w",
        "layer norm: g scaled by the weight, less its mean and its part along x̂",
    ),
    "lstm_gates": (
        "∂c'/∂c = σ(f),  ∂h'/∂c' = σ(o)·(1 − tanh² c')",
        "an LSTM cell: each gate gets g times its partner, times its own slope",
    ),
    "gru_gates": (
        "∂h'/∂h = z,  ∂h'/∂z = h − n,  ∂h'/∂n = 1 − z",
        "a GRU cell: g splits between the old state and the candidate by z",
    ),
}


def declare_builtin_rules() -> None:
    """Give each built-in primitive its rule, unless its declaration already has one."""
    for name, rule in BUILTIN_RULES.items():
        prim = registry.get(name)
        if prim is not None and prim.rule is None:
            prim.rule = rule
