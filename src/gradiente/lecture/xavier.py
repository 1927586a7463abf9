"""stub"""
NAME = "xavier"
TITLE = "stub"


def run(out):
    return []
