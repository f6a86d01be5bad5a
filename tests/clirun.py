"""Running ``featclf`` in-process from a test: the exit code and what it printed, never a traceback."""

from featclf.cli import main


def run(argv, capsys):
    """``(exit code, stdout, stderr)`` of ``featclf *argv``; fails the test on a traceback or a raw warning line."""
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "warnings.warn" not in captured.err, captured.err
    return code, captured.out, captured.err
