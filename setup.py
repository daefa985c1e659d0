"""Build hook: compile the message catalogues so an installed Copro speaks Welsh.

Metadata lives in pyproject.toml; this file only adds the .mo compilation to build_py.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithMessages(build_py):
    def run(self) -> None:
        import polib

        for po_path in Path("copro").rglob("locale/*/LC_MESSAGES/*.po"):
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
        super().run()


setup(cmdclass={"build_py": BuildWithMessages})
