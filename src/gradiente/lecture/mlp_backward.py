"""stub"""
NAME = "mlp_backward"
TITLE = "stub"


def run(out):
    return []
