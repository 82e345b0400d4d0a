"""∃R-completeness gadgets: claims and the gadget checker, ETR-INV formulas, the gadget
library and the reduction ETR-INV → zero-error training (2 inputs, 2 outputs).

- claims.parse_claim(text) → Claim; checker.check(instance, claims, timeout) → Report
  (per claim "proved" / "refuted" with a certified counterexample / "unknown", and
  whether any fit exists).
- etrinv.parses / load → Formula; etrinv.decide(formula) → ("sat", exact values) | ("unsat", None) | ("unknown", None).
- library.GADGETS: variable, link (inversion), copy, addition — small instances and their claims.
- reduction.reduce(formula) → Instance; lift(formula, values) → certified Network;
  decode(formula, network) → values read from any network.
Command line: `etr-nn gadget check`, `etr-nn reduce`, `etr-nn lift`, `etr-nn decode`.
"""
