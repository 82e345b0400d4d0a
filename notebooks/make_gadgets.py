"""The source of gadgets.ipynb (built by ``python -m notebooks.build``)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

cells = [
    new_markdown_cell(
        "# ∃R-hardness gadgets for training two-layer ReLU networks\n\n"
        "A value X ∈ [1/2, 2] is the slope s = X + 1 of a *ramp*: the fitted function rises by 2 "
        "across parallel data lines, between two breaklines (where a ReLU switches). Touching "
        "ramps share a breakline, which forces 1/s₁ + 1/s₂ = 1, i.e. X·Y = 1; measuring lines "
        "where ramps cross copy and add slopes. See `etr_nn/gadgets/geometry.py` for the details."),
    new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "from IPython.display import Math, display\n"
        "from etr_nn.certify import certify\n"
        "from etr_nn.gadgets import etrinv, reduction\n"
        "from etr_nn.gadgets.checker import check\n"
        "from etr_nn.gadgets.claims import parse_claim\n"
        "from etr_nn.gadgets.library import GADGETS\n"
        "from etr_nn.exact import approx_str, to_latex"),
    new_markdown_cell("## The gadgets\n\nData points coloured by their output-1 label (squares: output 2 "
                      "label nonzero); dashed: the breaklines of the intended fit for sample values."),
    new_code_cell(
        "def line(ax, n, k, centre, reach, *style, **options):\n"
        "    \"\"\"The line n·x = k, drawn across centre ± reach (the axes' limits clip it).\"\"\"\n"
        "    n0, n1, k = float(n[0]), float(n[1]), float(k)\n"
        "    if abs(n1) > abs(n0):\n"
        "        us = [centre[0] - reach, centre[0] + reach]\n"
        "        ax.plot(us, [(k - n0 * u) / n1 for u in us], *style, **options)\n"
        "    else:\n"
        "        vs = [centre[1] - reach, centre[1] + reach]\n"
        "        ax.plot([(k - n1 * v) / n0 for v in vs], vs, *style, **options)\n"
        "\n"
        "def draw(ax, instance, network, title):\n"
        "    xs = [float(p[0]) for p in instance.points]; ys = [float(p[1]) for p in instance.points]\n"
        "    ax.scatter(xs, ys, c=[float(y[0]) for y in instance.labels], cmap='viridis', s=25, zorder=3)\n"
        "    two = [i for i, y in enumerate(instance.labels) if y[1] != 0]\n"
        "    ax.scatter([xs[i] for i in two], [ys[i] for i in two], marker='s', facecolors='none',\n"
        "               edgecolors='red', s=60, zorder=4)\n"
        "    lo, hi = min(xs + ys) - 1, max(xs + ys) + 1\n"
        "    for w, b in zip(network.W, network.b):\n"
        "        line(ax, w, -b, (0, 0), 2 * hi - lo, 'k--', lw=0.7)\n"
        "    ax.set_xlim(lo, hi); ax.set_ylim(lo, hi); ax.set_aspect('equal'); ax.set_title(title)\n"
        "\n"
        "fig, axes = plt.subplots(2, 3, figsize=(12, 8), dpi=80)\n"
        "axes.flat[-1].axis('off')\n"
        "for ax, (name, make) in zip(axes.flat, GADGETS.items()):\n"
        "    g = make(); inst = g.instance(); net = g.layout.network(g.values)\n"
        "    assert certify(inst, net).valid\n"
        "    draw(ax, inst, net, f'{name}: {inst.shape.hidden} ReLUs, {inst.n} points')\n"
        "fig.tight_layout()"),
    new_markdown_cell("## The checker on the variable gadget\n\nEach claim is proved for *every* "
                      "zero-error fit (fits ∧ ¬claim is unsatisfiable); a wrong claim is refuted by a "
                      "certified fit, shown below with its exact weights."),
    new_code_cell(
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
                      "(4 ReLUs) is proved in seconds, the addition gadget (6 ReLUs) in a few minutes (a slow test); "
                      "the transfer gadget (6 ReLUs; it moves a value from output 1 to output 2, which x·y = 1 "
                      "needs) is still open after 40 minutes. Wrong claims are refuted by certified fits."),
    new_code_cell(
        "g = GADGETS['copy']()\n"
        "sx, sy = '3*(f1(1/3, -10) - f1(0, -10))', '3*(f1(-10, 1/3) - f1(-10, 0))'\n"
        "report = check(g.instance(), g.parsed_claims() + [parse_claim(f'{sx} = {sy} + 1/2')], timeout=120, "
        "fits=False)\n"
        "for r in report.results:\n"
        "    print(r.verdict, '|', r.claim.text, '|', r.reason[:160])\n"
        "assert [r.verdict for r in report.results] == ['proved', 'refuted']"),
    new_markdown_cell("## End to end: x + x = z, x·z = 1 (x = √2/2, z = √2)"),
    new_code_cell(
        "formula = etrinv.parses('x + x = z\\nx * z = 1')\n"
        "status, values = etrinv.decide(formula)\n"
        "instance = reduction.reduce(formula, 'sqrt2')\n"
        "network = reduction.lift(formula, values)\n"
        "check_ = certify(instance, network)\n"
        "print(status, '|', instance.n, 'points,', instance.shape.hidden, 'ReLUs | certified:', check_.valid,\n"
        "      '| loss', check_.loss)\n"
        "display(Math(r',\\quad '.join(f'{k} = {to_latex(v)}' for k, v in values.items())))\n"
        "Math('a_{1,1..5} = ' + ', '.join(to_latex(v) for v in network.A[0][:5]))  # some output weights"),
    new_code_cell(
        "decoded = reduction.decode(formula, network)\n"
        "assert decoded == values and formula.holds(decoded)\n"
        "Math(r',\\quad '.join(f'{k} = {to_latex(v)} \\\\approx {approx_str(v, 15)}' for k, v in decoded.items()))"),
    new_markdown_cell(
        "The data spread over ±2420 in both coordinates: each chain's data points lie far out on its "
        "data lines, beyond every crossing. The gadgets sit where chains cross; each panel zooms to one "
        "crossing, with every chain's data lines (solid, one colour per chain), the lifted fit's "
        "breaklines (dashed) and the measuring points (black)."),
    new_code_cell(
        "layout = reduction.layout(formula)\n"
        "crossings = {}\n"
        "for m in layout.measures:\n"
        "    crossings.setdefault(m.origin, []).append(m)\n"
        "fig, axes = plt.subplots(2, 2, figsize=(8, 8), dpi=80)\n"
        "for ax, (origin, measures) in zip(axes.flat, crossings.items()):\n"
        "    centre, reach = (float(origin[0]), float(origin[1])), 3\n"
        "    for i, chain in enumerate(layout.chains):\n"
        "        for j, xi in enumerate(chain.lines()):\n"
        "            line(ax, chain.normal, xi, centre, 2 * reach, color=f'C{i}', lw=1,\n"
        "                 label=chain.name if j == 0 else None)\n"
        "    for w, b in zip(network.W, network.b):\n"
        "        line(ax, w, -b, centre, 2 * reach, 'k--', lw=0.8)\n"
        "    points = [p for m in measures for p in m.points()]\n"
        "    ax.scatter([float(p[0]) for p in points], [float(p[1]) for p in points], c='k', s=20, zorder=3)\n"
        "    ax.set_xlim(centre[0] - reach, centre[0] + reach); ax.set_ylim(centre[1] - reach, centre[1] + reach)\n"
        "    ax.set_aspect('equal'); ax.set_title(' and '.join(m.label for m in measures), fontsize=10)\n"
        "handles, labels = axes.flat[0].get_legend_handles_labels()\n"
        "fig.legend(handles, labels, loc='lower center', ncol=len(labels)); fig.tight_layout(rect=(0, 0.04, 1, 1))"),
]
