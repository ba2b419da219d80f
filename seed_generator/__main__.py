"""``python -m seed_generator``: the same CLI as ``seed-generator``."""

from seed_generator.cli import app

app(prog_name="seed-generator")
