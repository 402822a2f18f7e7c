"""cli.options: shared options spelt and defaulted once, with the course's defaults."""

from __future__ import annotations

import argparse

import pytest

from coursekit.cli import options
from coursekit.course import defaults


def _parser(*adders):
    parser = argparse.ArgumentParser(exit_on_error=False)
    for add in adders:
        add(parser)
    return parser


def test_pdf_is_three_way():
    parser = _parser(lambda p: options.add_pdf(p, require="need it", refuse="skip it"))
    assert [parser.parse_args(a).pdf for a in ([], ["--pdf"], ["--no-pdf"])] == [None, True, False]
    with pytest.raises((SystemExit, argparse.ArgumentError)):
        parser.parse_args(["--pdf", "--no-pdf"])


def test_limits_default_to_the_course_defaults():
    args = _parser(options.add_memory, options.add_cell_timeout).parse_args([])
    assert (args.memory_mb, args.cell_timeout) == (defaults.MEMORY_MB, defaults.CELL_TIMEOUT)
