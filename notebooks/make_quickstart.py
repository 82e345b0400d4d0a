"""The source of quickstart.ipynb (built by ``python -m notebooks.build``)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

cells = [
    new_markdown_cell("# etr_nn quickstart\n\nSolve a bundled instance from Python, inspect exact "
                      "(algebraic) weights, evaluate a network exactly."),
    new_code_cell("from fractions import Fraction\n"
                  "from etr_nn import instance, solution\n"
                  "from etr_nn.certify import certify\n"
                  "from etr_nn.solve import solve\n"
                  "from IPython.display import display"),
    new_markdown_cell("## Solve: XOR with one and with two hidden ReLUs\n\n"
                      "`solve` runs the pattern search by default: it enumerates the activation "
                      "patterns of the hidden ReLUs and refutes or solves each exactly (with one "
                      "output, a linear program over Q). \"unsat\" rests on every pattern refuted, "
                      "\"sat\" on a network certified exactly."),
    new_code_cell("xor1 = instance.load('../encodings/xor-k1.json')\n"
                  "xor2 = instance.load('../encodings/xor-k2.json')\n"
                  "answer1, answer2 = solve(xor1), solve(xor2)\n"
                  "print(answer1.status, '-', answer1.backend, '-', answer1.rests_on)\n"
                  "print(answer2.status, '- verified:', answer2.verified)\n"
                  "assert (answer1.status, answer2.status) == ('unsat', 'sat')"),
    new_code_cell("net = answer2.network\n"
                  "for x, y in zip(xor2.points, xor2.labels):  # exact outputs against the labels\n"
                  "    print([str(v) for v in x], '->', [str(v) for v in net(x)], ' label', [str(v) for v in y])\n"
                  "net  # the weights, exactly"),
    new_markdown_cell("## Algebraic weights\n\nData sampled from relu(x) is fitted by w = √2 and "
                      "a = √2/2: the product a·w is 1, so the labels are rational, but only exact "
                      "arithmetic in Q(√2) shows that the loss is exactly 0."),
    new_code_cell("relu_data = instance.load('../encodings/relu.json')\n"
                  "exact = solution.load('../encodings/relu-sqrt2.solution.json').network\n"
                  "w, a = exact.W[0][0], exact.A[0][0]\n"
                  "print(w)\nprint(a)\n"
                  "lo, hi = a.isolating_interval\n"
                  "print('minimal polynomial of a (ascending):', a.coeffs, f' isolating interval: [{lo}, {hi}]')"),
    new_code_cell("print(w.approx(50))  # digits on demand, by exact refinement\n"
                  "print(a * w, type(a * w).__name__)  # exactly 1: a rational again\n"
                  "display(w, a)  # Jupyter shows radicals where SymPy finds them (exact.to_sympy, checked exactly)"),
    new_code_cell("check = certify(relu_data, exact)\n"
                  "print('valid:', check.valid, ' loss:', check.loss)\n"
                  "rounded = solution.load('../encodings/relu-sqrt2-rounded.solution.json').network\n"
                  "check = certify(relu_data, rounded)\n"
                  "print('rounded a = 7071/10000 valid:', check.valid, ' loss:', check.loss.approx(15))\n"
                  "print('f(3) =', exact([Fraction(3)])[0], 'exactly; rounded:', rounded([Fraction(3)])[0])"),
    new_markdown_cell("## Two outputs\n\nA planted instance with two outputs (data sampled from a "
                      "random 1-2-2 network), solved by the same pattern search: with two outputs a "
                      "full activation pattern leaves a rank-one system (output weights times hidden "
                      "values), which goes to a nonlinear backend (`cad+z3`: the project's own CAD "
                      "briefly, then Z3's nlsat). `certify` checks the network it returns."),
    new_code_cell("two = instance.load('../encodings/planted-d1-k2-m2-n6-s3.json')\n"
                  "answer = solve(two, timeout=60)\n"
                  "print(answer.status, '-', answer.backend, '-', answer.rests_on)\n"
                  "print('certified:', certify(two, answer.network).valid)\n"
                  "answer.network"),
]
