"""stub"""
NAME = "adam"
TITLE = "stub"


def run(out):
    return []
