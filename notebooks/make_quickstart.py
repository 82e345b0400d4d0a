"""Builds quickstart.ipynb (kept as a script so the notebook's source is reviewable)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("# etr_nn quickstart\n\nSolve a bundled instance from Python, inspect exact "
                      "(algebraic) weights, evaluate a network exactly."),
    new_code_cell("from fractions import Fraction\n"
                  "from etr_nn import instance, solution\n"
                  "from etr_nn.certify import certify\n"
                  "from etr_nn.solve import solve\n"
                  "from etr_nn.exact import to_sympy"),
    new_markdown_cell("## Solve: XOR with one and with two hidden ReLUs"),
    new_code_cell("xor1 = instance.load('../encodings/xor-k1.json')\n"
                  "xor2 = instance.load('../encodings/xor-k2.json')\n"
                  "answer1, answer2 = solve(xor1), solve(xor2)\n"
                  "print(answer1.status, '-', answer1.rests_on)\n"
                  "print(answer2.status, '- verified:', answer2.verified)\n"
                  "assert (answer1.status, answer2.status) == ('unsat', 'sat')"),
    new_code_cell("net = answer2.network\n"
                  "print('W =', net.W, '\\nb =', net.b, '\\nA =', net.A, '\\nc =', net.c)\n"
                  "[net(x) for x in xor2.points]  # exact outputs, one per data point"),
    new_markdown_cell("## Algebraic weights\n\nData sampled from relu(x) is fitted by w = √2 and "
                      "a = √2/2: the product a·w is 1, so the labels are rational, but only exact "
                      "arithmetic in Q(√2) shows that the loss is exactly 0."),
    new_code_cell("relu_data = instance.load('../encodings/relu.json')\n"
                  "exact = solution.load('../encodings/relu-sqrt2.solution.json').network\n"
                  "w, a = exact.W[0][0], exact.A[0][0]\n"
                  "print(w)\nprint(a)\n"
                  "print('minimal polynomial of a (ascending):', a.coeffs, ' isolating interval:', a.interval)"),
    new_code_cell("print(w.approx(50))  # digits on demand, by exact refinement\n"
                  "print(a * w, type(a * w).__name__)  # exactly 1: a rational again\n"
                  "to_sympy(w), to_sympy(a)"),
    new_code_cell("check = certify(relu_data, exact)\n"
                  "print('valid:', check.valid, ' loss:', check.loss)\n"
                  "rounded = solution.load('../encodings/relu-sqrt2-rounded.solution.json').network\n"
                  "check = certify(relu_data, rounded)\n"
                  "print('rounded a = 7071/10000 valid:', check.valid, ' loss:', check.loss.approx(15))\n"
                  "exact([Fraction(3)]), rounded([Fraction(3)])"),
    new_markdown_cell("## Two outputs\n\nA planted instance with two outputs (data sampled from a "
                      "random 1-2-2 network): Z3's nonlinear arithmetic decides it, `certify` checks it."),
    new_code_cell("two = instance.load('../encodings/planted-d1-k2-m2-n6-s3.json')\n"
                  "answer = solve(two, timeout=60)\n"
                  "print(answer.status, answer.backend, answer.rests_on)\n"
                  "for row in answer.network.A: print([str(v) for v in row])"),
]
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}})
nbformat.write(nb, "quickstart.ipynb")
