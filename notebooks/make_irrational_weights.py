"""The source of irrational_weights.ipynb (built by ``python -m notebooks.build``)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

cells = [
    new_markdown_cell(
        "# Irrational optimal weights, proved\n\n"
        "With one output, training a two-layer ReLU network to optimality never needs irrational "
        "weights (every activation pattern is a convex program with a rational minimiser). With two "
        "outputs it can: the instances below have rational data, and their optimal loss — hence every "
        "optimal network — is irrational, of degree 2 and 3. `etr_nn.optimize` computes the optimum "
        "exactly and proves that nothing lower exists; `etr_nn.optimize.rationality` turns that into "
        "the statement about rational networks. At the end: what gradient descent reaches from many "
        "random starts."),
    new_code_cell(
        "from fractions import Fraction\n"
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "from etr_nn import instance\n"
        "from etr_nn.certify import loss\n"
        "import sympy\n"
        "from etr_nn.optimize import optimize\n"
        "from etr_nn.optimize.rationality import rationality"),
    new_markdown_cell(
        "## Degree 2: one ReLU, two outputs, three points\n\n"
        "Points x = 0, 1, 2 with labels (0, 3), (0, 0), (2, 0). With the ReLU active on x = 0 and 1 "
        "only, the fit of both outputs is a rank-one approximation of a 2×2 residual: its best loss is "
        "an eigenvalue, (13 − √61)/3."),
    new_code_cell(
        "quadratic = instance.load('../encodings/irrational-optimum.json')\n"
        "best = optimize(quadratic, timeout=120)\n"
        "print(best.status, best.value)\n"
        "print('minimal polynomial (ascending coefficients):', best.value.coeffs)\n"
        "t = sympy.Symbol('t')  # the same root, in radicals (exact: minimal polynomial and root index)\n"
        "print('closed form:', sympy.rootof(sympy.Poly(best.value.coeffs[::-1], t), best.value.index, radicals=True))\n"
        "assert best.status == 'optimal' and best.value.degree == 2"),
    new_markdown_cell(
        "The proof, in `rests_on`: the output layer is eliminated by least squares, the loss becomes "
        "a rational function of the hidden layer on finitely many pieces, and on every piece Z3's "
        "nlsat (a complete decision procedure) refutes a loss below the optimum. The optimal network "
        "is re-evaluated exactly, independently of how it was found:"),
    new_code_cell(
        "for line in best.rests_on:\n"
        "    print('-', line)\n"
        "net = best.network\n"
        "for name, value in [('w', net.W[0][0]), ('b', net.b[0]), ('a1', net.A[0][0]), ('a2', net.A[1][0]),\n"
        "                    ('c1', net.c[0]), ('c2', net.c[1])]:\n"
        "    print(f'{name:3} = {value}')\n"
        "assert loss(quadratic, net) == best.value"),
    new_code_cell(
        "answer = rationality(quadratic, timeout=120, optimum=True)\n"
        "print(answer.status, '-', answer.reasons[0])\n"
        "assert answer.status == 'no rational fit'"),
    new_markdown_cell("The fitted functions over the data (both outputs), with the kink of the ReLU:"),
    new_code_cell(
        "def plot_1d(inst, net, title):\n"
        "    xs = np.linspace(-0.5, 2.5, 301)\n"
        "    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=80)\n"
        "    for o, colour in zip(range(inst.shape.outputs), ['C0', 'C1', 'C2']):\n"
        "        ys = [float(net([Fraction(x).limit_denominator(10**6)])[o]) for x in xs]\n"
        "        ax.plot(xs, ys, colour, label=f'f{o + 1}')\n"
        "        ax.plot([float(p[0]) for p in inst.points], [float(y[o]) for y in inst.labels], colour + 'o')\n"
        "    kink = -net.b[0] / net.W[0][0]\n"
        "    ax.axvline(float(kink), color='grey', ls=':', label=f'kink ≈ {float(kink):.6f}')\n"
        "    ax.set_title(title); ax.legend(); fig.tight_layout()\n"
        "    return fig\n"
        "plot_1d(quadratic, net, 'optimal fit, loss (13 − √61)/3');"),
    new_markdown_cell(
        "## Degree 3: one ReLU, three outputs, two inputs\n\n"
        "Active on three of the four points, the ReLU's values span a three-dimensional space beside "
        "the constants; the best rank-one fit of three outputs is the largest root of a cubic."),
    new_code_cell(
        "cubic = instance.load('../encodings/cubic-optimum.json')\n"
        "best3 = optimize(cubic, timeout=120)\n"
        "print(best3.status, best3.value)\n"
        "print('degree', best3.value.degree, 'minimal polynomial', best3.value.coeffs)\n"
        "print('first-layer weights:', [str(v) for v in best3.network.W[0]], str(best3.network.b[0]))\n"
        "assert best3.value.degree == 3 and loss(cubic, best3.network) == best3.value\n"
        "print(rationality(cubic, timeout=120, optimum=True).reasons[0])"),
    new_markdown_cell(
        "## One output: rational, always\n\n"
        "The same questions on a one-output instance: the optimum comes from exact convex programs, "
        "one per activation pattern, and the optimal network is rational."),
    new_code_cell(
        "one = instance.load('../encodings/rational-optimum-one-output.json')\n"
        "best1 = optimize(one, timeout=120)\n"
        "print(best1.value, best1.network.is_rational())\n"
        "print(best1.rests_on[0])\n"
        "assert isinstance(best1.value, Fraction) and best1.network.is_rational()"),
    new_markdown_cell(
        "## When the infimum is not attained\n\n"
        "Two ReLUs, two outputs, five points on a line: the loss gets arbitrarily close to its infimum "
        "only as both kinks tend to x = 2 from either side while their output weights grow without "
        "bound (the difference of the two ReLUs tends to a step with a fractional value at a data "
        "point). The infimum is the least directional limit at that rank drop; nlsat refutes any lower "
        "loss, and the loss equal to it, on every piece."),
    new_code_cell(
        "limit = instance.load('../encodings/infimum-not-attained.json')\n"
        "inf = optimize(limit, timeout=120)\n"
        "print(inf.status, inf.value)\n"
        "print(inf.rests_on[-1])\n"
        "assert inf.status == 'not attained' and inf.network is None"),
    new_markdown_cell(
        "## Zero error: the ∃R reduction of {x + x = z, x·z = 1}\n\n"
        "`sqrt2.json` is the ∃R reduction of {x + x = z, x·z = 1} (2 inputs, 14 ReLUs, 2 outputs). "
        "The formula's solution x = √2/2, z = √2 lifts to a certified fit with irrational weights, and `decode` "
        "reads the values back off any fit. The gadgets are checked one by one; the composition is not, so "
        "`rationality` reads nothing negative off the formula (an earlier layout had rational fits decoding "
        "to x = 1/2, z = 1: see `etr_nn/gadgets/reduction.py`)."),
    new_code_cell(
        "from etr_nn.certify import certify\n"
        "from etr_nn.gadgets import etrinv, reduction\n"
        "path = '../encodings/sqrt2.json'\n"
        "formula = etrinv.attached(path)\n"
        "status, values = etrinv.decide(formula)\n"
        "fit = reduction.lift(formula, values)\n"
        "irrational = [v for v in fit.weights() if not isinstance(v, Fraction)]\n"
        "print(len(irrational), 'of', len(fit.weights()), 'lifted weights irrational, e.g.', irrational[0])\n"
        "print('certified:', certify(instance.load(path), fit).valid, '| decodes to', reduction.decode(formula, fit))\n"
        "assert irrational and formula.holds(reduction.decode(formula, fit))"),
    new_markdown_cell(
        "## What gradient descent reaches\n\n"
        "Plain gradient descent on the squared loss (numpy, analytic gradients) from 100 random "
        "starts. No run goes below the exact optimum — it cannot, the optimum is proved — and many "
        "stop at worse local minima or at dead ReLUs."),
    new_code_cell(
        "def gradient_descent(inst, starts=100, steps=1500, rate=0.01, seed=0):\n"
        "    X = np.array([[float(v) for v in x] for x in inst.points])\n"
        "    Y = np.array([[float(v) for v in y] for y in inst.labels])\n"
        "    d, k, m = inst.shape.inputs, inst.shape.hidden, inst.shape.outputs\n"
        "    rng = np.random.default_rng(seed)\n"
        "    finals = []\n"
        "    for _ in range(starts):\n"
        "        W, b = rng.normal(size=(k, d)), rng.normal(size=k)\n"
        "        A, c = rng.normal(size=(m, k)), rng.normal(size=m)\n"
        "        for _ in range(steps):\n"
        "            Z = X @ W.T + b; H = np.maximum(Z, 0); R = H @ A.T + c - Y\n"
        "            G = (R @ A) * (Z > 0)\n"
        "            W -= rate * 2 * G.T @ X; b -= rate * 2 * G.sum(0)\n"
        "            A -= rate * 2 * R.T @ H; c -= rate * 2 * R.sum(0)\n"
        "        finals.append(float((R ** 2).sum()))\n"
        "    return np.array(finals)\n"
        "\n"
        "runs = {name: gradient_descent(inst) for name, inst in [('degree 2', quadratic), ('degree 3', cubic)]}\n"
        "for name, exact in [('degree 2', best.value), ('degree 3', best3.value)]:\n"
        "    finals = runs[name]\n"
        "    close = np.mean(finals < float(exact) + 1e-4)\n"
        "    print(f'{name}: exact optimum {float(exact):.10f}; best GD {finals.min():.10f}; '\n"
        "          f'{close:.0%} of runs within 1e-4 of it; median {np.median(finals):.4f}')\n"
        "    assert finals.min() >= float(exact) - 1e-9"),
    new_code_cell(
        "finals = runs['degree 2']\n"
        "fig, ax = plt.subplots(figsize=(6, 3), dpi=80)\n"
        "ax.hist(finals, bins=40)\n"
        "ax.axvline(float(best.value), color='red', label='exact optimum (13 − √61)/3')\n"
        "ax.set_xlabel('final loss of gradient descent'); ax.legend(); fig.tight_layout()"),
]
