"""Compile every gettext catalogue (.po) under copro/ into its binary form (.mo).

Pure Python (polib), so neither `make run` nor `pip install .` needs GNU gettext on the machine.
The .mo files are build products: they are ignored by git and rebuilt by every install.
"""

from __future__ import annotations

import sys
from pathlib import Path


def compile_all(root: Path) -> int:
    import polib

    count = 0
    for po_path in sorted(root.rglob("locale/*/LC_MESSAGES/*.po")):
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        count += 1
    return count


if __name__ == "__main__":
    here = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "copro"
    print(f"compiled {compile_all(here)} message catalogue(s) under {here}")
