"""The written and oral presentation and the project board, generated from the project itself.

``netfloox slides`` fills the deck (``docs/presentation/netfloox.md``, Marp) with figures read at
build time from docs/evaluation.md, docs/benchmarks.md and the live database, draws its charts, and
writes the board (``docs/board.csv``, ``docs/board.md``) from docs/user-stories.md and the known
limits in docs/. ``make slides`` then renders HTML and PDF with Marp.
"""
