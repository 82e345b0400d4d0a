"""Builds gadgets.ipynb (kept as a script so the notebook's source is reviewable)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell(
        "# ∃R-hardness gadgets for training two-layer ReLU networks\n\n"
        "A value X ∈ [1/2, 2] is the slope s = X + 1 of a *ramp*: the fitted function rises by 2 "
        "across parallel data lines, between two breaklines (where a ReLU switches). Touching "
        "ramps share a breakline, which forces 1/s₁ + 1/s₂ = 1, i.e. X·Y = 1; measuring lines "
        "where ramps cross copy and add slopes. See `etr_nn/gadgets/geometry.py` for the details."),
    new_code_cell(
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "from fractions import Fraction\n"
        "from etr_nn.certify import certify\n"
        "from etr_nn.gadgets import etrinv, reduction\n"
        "from etr_nn.gadgets.checker import check\n"
        "from etr_nn.gadgets.library import GADGETS\n"
        "from etr_nn.exact import approx_str"),
    new_markdown_cell("## The gadgets\n\nData points coloured by their output-1 label (squares: output 2 "
                      "label nonzero); dashed: the breaklines of the intended fit for sample values."),
    new_code_cell(
        "def draw(ax, instance, network, title):\n"
        "    xs = [float(p[0]) for p in instance.points]; ys = [float(p[1]) for p in instance.points]\n"
        "    ax.scatter(xs, ys, c=[float(y[0]) for y in instance.labels], cmap='viridis', s=25, zorder=3)\n"
        "    two = [i for i, y in enumerate(instance.labels) if y[1] != 0]\n"
        "    ax.scatter([xs[i] for i in two], [ys[i] for i in two], marker='s', facecolors='none',\n"
        "               edgecolors='red', s=60, zorder=4)\n"
        "    lo, hi = min(xs + ys) - 1, max(xs + ys) + 1\n"
        "    for w, b in zip(network.W, network.b):\n"
        "        w0, w1, b = float(w[0]), float(w[1]), float(b)\n"
        "        if abs(w1) > abs(w0):\n"
        "            ax.plot([lo, hi], [-(b + w0 * lo) / w1, -(b + w0 * hi) / w1], 'k--', lw=0.7)\n"
        "        else:\n"
        "            ax.plot([-(b + w1 * lo) / w0, -(b + w1 * hi) / w0], [lo, hi], 'k--', lw=0.7)\n"
        "    ax.set_xlim(lo, hi); ax.set_ylim(lo, hi); ax.set_aspect('equal'); ax.set_title(title)\n"
        "\n"
        "fig, axes = plt.subplots(1, 4, figsize=(16, 4))\n"
        "for ax, (name, make) in zip(axes, GADGETS.items()):\n"
        "    g = make(); inst = g.instance(); net = g.layout.network(g.values)\n"
        "    assert certify(inst, net).valid\n"
        "    draw(ax, inst, net, f'{name}: {inst.shape.hidden} ReLUs, {inst.n} points')\n"
        "plt.show()"),
    new_markdown_cell("## The checker on the variable gadget\n\nEach claim is proved for *every* "
                      "zero-error fit (fits ∧ ¬claim is unsatisfiable); a wrong claim is refuted by a "
                      "certified fit."),
    new_code_cell(
        "from etr_nn.gadgets.claims import parse_claim\n"
        "g = GADGETS['variable']()\n"
        "claims = g.parsed_claims() + [parse_claim('3/2*(f1(1/3, 0) - f1(-1/3, 0)) = 2')]\n"
        "report = check(g.instance(), claims, timeout=60)\n"
        "for r in report.results:\n"
        "    print(r.verdict, '|', r.claim.text)\n"
        "print('fits exist:', report.fits.status)\n"
        "assert [r.verdict for r in report.results] == ['proved'] * 3 + ['refuted']\n"
        "report.results[-1].counterexample"),
    new_markdown_cell("The link gadget's relation X·Y = 1 is proved the same way, activation pattern by "
                      "activation pattern (a few seconds; see the test suite). In the plane, *kink covering* "
                      "prunes first: a strictly convex (concave) collinear triple of data needs a neuron with a "
                      "positive (negative) output weight switching between its ends. The copy gadget "
                      "(4 ReLUs) is proved in seconds, the addition gadget (6 ReLUs) in a few minutes (a slow "
                      "test); wrong claims are refuted by certified fits."),
    new_code_cell(
        "g = GADGETS['copy']()\n"
        "sx, sy = '3*(f1(1/3, -10) - f1(0, -10))', '3*(f1(-10, 1/3) - f1(-10, 0))'\n"
        "report = check(g.instance(), g.parsed_claims() + [parse_claim(f'{sx} = {sy} + 1/2')], timeout=120, "
        "fits=False)\n"
        "for r in report.results:\n"
        "    print(r.verdict, f'({r.seconds:.1f} s)', '|', r.claim.text, '|', r.reason[:160])\n"
        "assert [r.verdict for r in report.results] == ['proved', 'refuted']"),
    new_markdown_cell("## End to end: x + x = z, x·z = 1 (x = √2/2, z = √2)"),
    new_code_cell(
        "formula = etrinv.parses('x + x = z\\nx * z = 1')\n"
        "status, values = etrinv.decide(formula)\n"
        "print(status, values)\n"
        "instance = reduction.reduce(formula, 'sqrt2')\n"
        "print(instance.n, 'points,', instance.shape.hidden, 'ReLUs')\n"
        "network = reduction.lift(formula, values)\n"
        "check_ = certify(instance, network)\n"
        "print('certified:', check_.valid, 'loss', check_.loss)\n"
        "print('some weights:', network.A[0][:5])"),
    new_code_cell(
        "decoded = reduction.decode(formula, network)\n"
        "for k, v in decoded.items():\n"
        "    print(k, '=', v, '≈', approx_str(v, 15))\n"
        "assert decoded == values and formula.holds(decoded)\n"
        "fig, ax = plt.subplots(figsize=(7, 7))\n"
        "draw(ax, instance, network, 'the √2 instance and its lifted fit')\n"
        "plt.show()"),
]

nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}})
nbformat.write(nb, "gadgets.ipynb")
