"""etr_nn: exact training of two-layer ReLU networks."""
