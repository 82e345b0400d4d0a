from etr_nn.cli import run

run()
