"""The command line's wiring: every subcommand reaches a handler that exists."""

from __future__ import annotations


def test_every_command_handler_exists() -> None:
    """Each subcommand's handler, imported only when it runs, is where the parser says."""
    import argparse
    import importlib

    from thbscan.cli import build_parser

    def handlers(parser: argparse.ArgumentParser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    func = sub.get_default("func")
                    if func is not None:
                        yield func
                    yield from handlers(sub)

    targets = {getattr(func, "target", None) for func in handlers(build_parser())} - {None}
    assert len(targets) > 20
    for module, func in targets:
        assert callable(getattr(importlib.import_module(f"thbscan.commands.{module}"), func))
