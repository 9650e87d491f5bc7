"""``hah compile``: the search engine is ready afterwards, and a solve in the same process
does not compile again."""

from __future__ import annotations

from scheduler.cli import main


def test_hah_compile_leaves_the_engine_ready(capsys):
    from solver.lns import warm_up

    assert main(["compile"]) == 0
    assert "search engine ready" in capsys.readouterr().out
    assert warm_up() == 0.0  # already compiled or loaded in this process: nothing left to do
