"""Bounds on every input, in one place (the README lists them too).

Input is never evaluated as code: numbers and expressions are read by etr_nn.exact.parse,
claims by etr_nn.gadgets.claims, formulas by etr_nn.gadgets.etrinv, SMT-LIB scripts by etr_nn.poly.script, JSON by
etr_nn.files.load_json. Each of them enforces these bounds before doing work whose cost
grows with the size of what it is given; a violation is an InputError (exit 2). JSON nesting
is bounded by Python's recursion limit (about 1000 levels; deeper is an error, not a crash).
"""

import sys

#: Bytes read from any input file (instance, solution, formula); past it: error.
MAX_INPUT_BYTES = 16 * 2**20
#: Bytes read from a file `verify` is given, which may be a machine-written proof (the addition
#: gadget's claim proof is about 50 MB: 169,000 Farkas entries).
MAX_CERTIFICATE_BYTES = 256 * 2**20
#: Characters in one text argument (--values, --claim, --cluster, an expression, a number).
MAX_TEXT_CHARS = 10_000
#: Nesting of parentheses and signs in an expression or claim.
MAX_NESTING = 100
#: Nesting of parentheses in an SMT-LIB script (machine-written let chains are far shallower).
MAX_SEXPR_NESTING = 400
#: Decimal digits in the numerator or denominator of a rational (a decimal's exponent counts).
MAX_DIGITS = 4_000
#: Absolute value of an integer exponent (`2^100`) in an expression or claim; total degree of an SMT-LIB term's polynomial.
MAX_EXPONENT = 1_000
#: Degree of a real algebraic number: a `root_of` polynomial, an n-th root, a parsed result.
MAX_DEGREE = 32
#: Decimal digits of all coefficients of an algebraic number's polynomial together
#: (root isolation costs grow fast with degree and coefficient size).
MAX_POLY_DIGITS = 3_000
#: Monomials in a claim's polynomial, or in the polynomial of an SMT-LIB term.
MAX_TERMS = 10_000
#: Weights and biases of an instance's network (inputs, hidden, outputs bounded by it).
MAX_WEIGHTS = 100_000

#: Bits of a numerator or denominator with MAX_DIGITS decimal digits.
MAX_BITS = int(MAX_DIGITS * 3.3219280948873626) + 1

#: Megabytes Z3 may allocate (every solver in the process together); past it a check is unknown.
Z3_MEGABYTES = 4096

#: Decimal digits Python converts between an int and its text (its default, 4300, guards parsers
#: of untrusted text; ours bound their input to MAX_DIGITS first). Exact results — a weight, a
#: model value coming out of Z3 as text, a row going in — grow past it from inputs within the
#: limits (a 2200-digit point and label): raised to this on import, never lowered.
INT_TEXT_DIGITS = 1_000_000
if 0 < sys.get_int_max_str_digits() < INT_TEXT_DIGITS:
    sys.set_int_max_str_digits(INT_TEXT_DIGITS)
