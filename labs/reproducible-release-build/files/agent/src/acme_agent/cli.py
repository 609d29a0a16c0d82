import argparse

from acme_agent import collect


def main():
    p = argparse.ArgumentParser(prog="acme-agent")
    p.add_argument("--config", default="/etc/acme-agent.conf")
    args = p.parse_args()
    for name, value in collect.sample().items():
        print(f"{name} {value}")
