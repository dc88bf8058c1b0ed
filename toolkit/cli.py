"""The `verisum` command: a thin layer that parses arguments, calls the Python API and turns
verisum's own errors into one clean line on stderr (exit 1) instead of a traceback."""

from __future__ import annotations

import sys
from typing import Any

import click

from toolkit import __version__
from toolkit.errors import VerisumError


class _Group(click.Group):
    """Click group that reports `VerisumError` as a message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VerisumError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="verisum")
def cli() -> None:
    """verisum: bilingual summaries whose numbers are checked against the source."""


def main() -> None:
    """Console-script entry point."""
    cli()
